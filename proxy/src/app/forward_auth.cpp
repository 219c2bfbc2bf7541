#include "app/forward_auth.h"

#include <string>
#include <utility>

#include "app/account_handlers.h"
#include "base/log.h"
#include "store/account_store.h"

namespace perch {

bool is_header_safe(std::string_view value) {
    if (value.empty()) return false;
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte > 0x7e) return false;
    }
    return true;
}

RouteResult forward_auth_route(const HttpRequest& request, AppContext& context) {
    auto found = signed_in_account(request, context, "auth");
    if (!found) return std::move(found.error());
    const Account& account = found.value();

    // The core only stores digit ids and validated usernames; a row that is not
    // header-safe anyway was written by something else and is not passed on.
    if (!is_header_safe(account.twitter_id) || !is_header_safe(account.username)) {
        if (context.log != nullptr) context.log->error("auth: a stored account has an id or username unfit for a header");
        return ApiError{500, "internal", "Internal error."};
    }
    HttpResponse response;
    response.status = 204;
    response.content_type.clear();
    response.headers.emplace_back("X-Perch-User-Id", account.twitter_id);
    response.headers.emplace_back("X-Perch-Username", account.username);
    if (is_header_safe(account.email)) response.headers.emplace_back("X-Perch-Email", account.email);
    return response;
}

}  // namespace perch
