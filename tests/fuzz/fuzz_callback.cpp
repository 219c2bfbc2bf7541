// verify_callback against a fixed expected token (or state): never crashes, and
// only an exact, well-formed match with a verifier (or code) is ever approved.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/callback.h"
#include "fuzz_check.h"
#include "core/query.h"

namespace {

const std::string expected_token = "NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0";

// The OAuth 2.0 shape: only an exact, well-formed state with a code, and no error, is approved.
void check_oauth2_result(const perch::CallbackResult& result, std::string_view search, std::string_view expected) {
    PERCH_FUZZ_CHECK(result.oauth_token.empty() && result.oauth_verifier.empty());
    const bool refused = result.outcome == perch::CallbackOutcome::denied ||
                         result.outcome == perch::CallbackOutcome::provider_refused;
    if (!refused) PERCH_FUZZ_CHECK(result.error.empty() && result.error_description.empty());
    if (result.outcome != perch::CallbackOutcome::approved) {
        PERCH_FUZZ_CHECK(result.state.empty() && result.code.empty());
        return;
    }
    PERCH_FUZZ_CHECK(!expected.empty());
    PERCH_FUZZ_CHECK(result.state == expected);
    PERCH_FUZZ_CHECK(!result.code.empty() && result.code.size() <= perch::max_code_length);
    PERCH_FUZZ_CHECK(perch::is_token_text(result.state) && perch::is_token_text(result.code));
    const auto params = perch::parse_query(search);
    PERCH_FUZZ_CHECK(params.ok());
    PERCH_FUZZ_CHECK(perch::count_params(params.value(), "state") == 1);
    PERCH_FUZZ_CHECK(perch::count_params(params.value(), "code") == 1);
    PERCH_FUZZ_CHECK(perch::count_params(params.value(), "error") == 0);
    PERCH_FUZZ_CHECK(perch::count_params(params.value(), "oauth_token") == 0);
}

void check_result(const perch::CallbackResult& result, std::string_view search, std::string_view expected) {
    if (result.shape == perch::CallbackShape::oauth2) {
        check_oauth2_result(result, search, expected);
        return;
    }
    PERCH_FUZZ_CHECK(result.state.empty() && result.code.empty() && result.error.empty());
    if (result.outcome != perch::CallbackOutcome::approved) {
        PERCH_FUZZ_CHECK(result.oauth_token.empty());
        PERCH_FUZZ_CHECK(result.oauth_verifier.empty());
        return;
    }
    PERCH_FUZZ_CHECK(!expected.empty());
    PERCH_FUZZ_CHECK(result.oauth_token == expected);
    PERCH_FUZZ_CHECK(!result.oauth_verifier.empty());
    PERCH_FUZZ_CHECK(result.oauth_verifier.size() <= perch::max_token_length);
    PERCH_FUZZ_CHECK(perch::is_token_text(result.oauth_token));
    PERCH_FUZZ_CHECK(perch::is_token_text(result.oauth_verifier));
    // Approval means the query held exactly one of each, and no denial.
    const auto params = perch::parse_query(search);
    PERCH_FUZZ_CHECK(params.ok());
    PERCH_FUZZ_CHECK(perch::count_params(params.value(), "oauth_token") == 1);
    PERCH_FUZZ_CHECK(perch::count_params(params.value(), "oauth_verifier") == 1);
    PERCH_FUZZ_CHECK(perch::count_params(params.value(), "denied") == 0);
    PERCH_FUZZ_CHECK(perch::find_param(params.value(), "oauth_verifier") == result.oauth_verifier);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view search(reinterpret_cast<const char*>(data), size);

    const auto result = perch::verify_callback(search, expected_token);
    check_result(result, search, expected_token);
    PERCH_FUZZ_CHECK(!perch::to_string(result.outcome).empty());

    // Without a session nothing is ever approved.
    const auto no_session = perch::verify_callback(search, "");
    PERCH_FUZZ_CHECK(no_session.outcome != perch::CallbackOutcome::approved);
    check_result(no_session, search, "");

    // Outcomes other than approved/token_mismatch do not depend on which
    // (non-empty) token was expected.
    const auto other = perch::verify_callback(search, "some-other-token");
    check_result(other, search, "some-other-token");
    const bool depends = result.outcome == perch::CallbackOutcome::approved ||
                         result.outcome == perch::CallbackOutcome::token_mismatch;
    if (!depends) PERCH_FUZZ_CHECK(other.outcome == result.outcome);
    return 0;
}
