#include "app/account_handlers.h"

#include <optional>
#include <string>
#include <utility>

#include "app/route_support.h"
#include "core/api_types.h"
#include "base/log.h"
#include "core/profile.h"
#include "core/registration_form.h"

namespace perch {
namespace {

// The original-size picture from the user object Twitter gave the proxy itself.
// A profile the core cannot map is stored without a picture rather than refused:
// the person already proved who they are.
std::string verified_picture(AppContext& context, const TwitterIdentity& identity) {
    auto profile = map_profile(identity.user);
    if (profile) return profile.value().picture;
    if (context.log != nullptr) {
        context.log->warn("register: the verified Twitter profile could not be mapped (" +
                          std::string(to_string(profile.error().code)) + "); stored without a picture");
    }
    return {};
}

nlohmann::json user_body(const Account& account) {
    return nlohmann::json{{"user", api::to_json(to_api_user(account))}};
}

}  // namespace

RouteResult register_route(const HttpRequest& request, AppContext& context) {
    // Who is registering comes only from the session: the identity the proxy
    // established with Twitter during the exchange.
    auto current = current_session_id(request, context.config, context.sessions);
    if (!current) return store_unavailable(context, "register", current.error());
    const std::optional<std::string>& session = current.value();
    if (!session) return not_authenticated();
    auto established = context.sessions.identity(*session);
    if (!established) return store_unavailable(context, "register", established.error());
    const std::optional<TwitterIdentity>& identity = established.value();
    if (!identity) return not_authenticated();

    auto form = api::parse_registration_request(request.body);
    if (!form) return request_body_error(form.error());
    const Validation validation = validate_registration(form.value());
    if (!validation.ok()) {
        ApiError error{422, "invalid", "Some fields need correcting."};
        for (const FieldError& field : validation.errors) error.fields.emplace(field.field, field.message);
        return error;
    }

    const NewAccount account{identity->user_id, std::move(form).value(), verified_picture(context, *identity),
                             identity->access_token, identity->access_token_secret, identity->oauth2};
    // One transaction: the account exists completely or not at all.
    auto registered = context.accounts.register_account(account);
    if (!registered) {
        switch (registered.error().kind) {
            case AccountErrorKind::already_registered:
                return ApiError{409, "already_registered",
                                "This Twitter account already has an account here. Sign in instead."};
            case AccountErrorKind::username_taken:
                return ApiError{409, "username_taken", "This username is taken. Choose another."};
            default:
                return account_store_failure(context, "register", registered.error());
        }
    }

    HttpResponse response = json_response(user_body(registered.value()), 201);
    // Signing in rotates the session id, as establishing the identity did.
    // The account stands whatever happens to the session now: a store that
    // fails here costs the person one more sign-in, never the account.
    auto rotated = context.sessions.sign_in(*session, registered.value().id);
    if (rotated && rotated.value()) {
        response.headers.emplace_back("Set-Cookie", session_cookie(context.config, *rotated.value()));
    } else if (!rotated) {
        if (context.log != nullptr) {
            context.log->error("register: the account was created but the session store failed to sign it in: " +
                               rotated.error().message);
        }
    } else if (context.log != nullptr) {
        // Ended (signed out or expired) while the account was written: the
        // account stands, and the next sign-in finds it.
        context.log->warn("register: the session ended before it could be signed in; the account was created");
    }
    return response;
}

Result<Account, ApiError> signed_in_account(const HttpRequest& request, AppContext& context, std::string_view step) {
    auto current = current_session_id(request, context.config, context.sessions);
    if (!current) return store_unavailable(context, step, current.error());
    const std::optional<std::string>& session = current.value();
    if (!session) return not_authenticated();
    auto signed_in = context.sessions.signed_in_account(*session);
    if (!signed_in) return store_unavailable(context, step, signed_in.error());
    const std::optional<std::int64_t>& account_id = signed_in.value();
    if (!account_id) return not_authenticated();
    auto account = context.accounts.find_by_id(*account_id);
    if (!account) return account_store_failure(context, step, account.error());
    if (!account.value()) return not_authenticated();
    return std::move(*account.value());
}

RouteResult me_route(const HttpRequest& request, AppContext& context) {
    auto account = signed_in_account(request, context, "me");
    if (!account) return std::move(account.error());
    return json_response(user_body(account.value()));
}

RouteResult delete_me_route(const HttpRequest& request, AppContext& context) {
    if (auto error = check_empty_body(request.body)) return *error;
    auto account = signed_in_account(request, context, "delete account");
    if (!account) return std::move(account.error());
    auto deleted = context.accounts.delete_account(account.value().id);
    if (!deleted) {
        // Deleted meanwhile (another tab): the person has no account either way.
        if (deleted.error().kind == AccountErrorKind::not_found) return not_authenticated();
        return account_store_failure(context, "delete account", deleted.error());
    }
    // The account is gone whatever happens to the session now: a session left
    // behind points at an id no account will ever have again (never reused),
    // so it can only answer 401.
    auto current = current_session_id(request, context.config, context.sessions);
    if (current && current.value()) {
        auto ended = context.sessions.destroy(*current.value());
        if (!ended && context.log != nullptr) {
            context.log->warn("delete account: the account was deleted but its session could not be destroyed: " +
                              ended.error().message);
        }
    }
    if (context.log != nullptr) context.log->info("account " + std::to_string(deleted.value().id) + " deleted");
    HttpResponse response;
    response.status = 204;
    response.content_type.clear();
    response.headers.emplace_back("Set-Cookie", expired_session_cookie(context.config));
    return response;
}

RouteResult logout_route(const HttpRequest& request, AppContext& context) {
    if (auto error = check_empty_body(request.body)) return *error;
    auto current = current_session_id(request, context.config, context.sessions);
    if (!current) return store_unavailable(context, "logout", current.error());
    if (current.value()) {
        auto ended = context.sessions.destroy(*current.value());
        if (!ended) return store_unavailable(context, "logout", ended.error());
    }
    HttpResponse response;
    response.status = 204;
    response.content_type.clear();
    response.headers.emplace_back("Set-Cookie", expired_session_cookie(context.config));
    return response;
}

}  // namespace perch
