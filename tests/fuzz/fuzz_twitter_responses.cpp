// Parsers for what Twitter's OAuth endpoints answer: never crash or throw, and
// whatever they accept or report stays within its documented shape.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/callback.h"
#include "fuzz_check.h"
#include "core/twitter_responses.h"

namespace {

bool is_token(const std::string& text) {
    return perch::is_token_text(text) && text.size() <= perch::max_token_length;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);

    const auto errors = perch::parse_twitter_errors(body);
    PERCH_FUZZ_CHECK(!errors.empty() && errors.size() <= 10);
    for (const perch::TwitterError& error : errors) {
        PERCH_FUZZ_CHECK(error.code >= 0);
        PERCH_FUZZ_CHECK(error.message.size() <= 200);
        for (char c : error.message) PERCH_FUZZ_CHECK(c >= 0x20 && c < 0x7F);
        (void)perch::operator_hint(error.code);
    }

    const auto request = perch::parse_request_token_response(body);
    if (request.ok()) {
        PERCH_FUZZ_CHECK(is_token(request.value().token) && is_token(request.value().secret));
    } else {
        PERCH_FUZZ_CHECK(request.error().code == perch::ErrorCode::provider_error);
    }

    const auto access = perch::parse_access_token_response(body);
    if (access.ok()) {
        const perch::AccessToken& token = access.value();
        PERCH_FUZZ_CHECK(is_token(token.token) && is_token(token.secret));
        PERCH_FUZZ_CHECK(!token.user_id.empty() && token.user_id.size() <= 20 && token.user_id[0] != '0');
        for (char c : token.user_id) PERCH_FUZZ_CHECK(c >= '0' && c <= '9');
        PERCH_FUZZ_CHECK(!token.screen_name.empty() && token.screen_name.size() <= 50);
    } else {
        PERCH_FUZZ_CHECK(access.error().code == perch::ErrorCode::provider_error);
    }
    return 0;
}
