// Embind bindings: marshal JS values to the core and back, nothing else.
// The public, fixed-arity API object is made in api.js.
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include "core/callback.h"
#include "core/json_input.h"
#include "core/percent_encoding.h"
#include "core/profile.h"
#include "core/query.h"
#include "core/registration_form.h"
#include "js_values.h"

namespace perch::wasm {
namespace {

using emscripten::val;

// The callback query, the expected token and the user JSON are copied into
// wasm memory up to this many UTF-16 code units. Each code unit is at least one
// UTF-8 byte, so a longer input's prefix is still over the core's limit, which
// the core checks before anything else (parse_query, parse_json), and the
// expected token only ever has to be non-empty and unequal to a token of at
// most max_token_length bytes: the answer is the same as for the whole input.
// Form fields are copied whole: validation looks at characters before length.
constexpr std::size_t max_copied_units = 4 * 1024 * 1024;
static_assert(max_copied_units > JsonLimits{}.max_bytes);
static_assert(max_copied_units > QueryLimits{}.max_length);
static_assert(max_copied_units > max_token_length);

std::string bounded_string(const val& value) { return string_arg(value, max_copied_units); }

val verify_callback_js(val search, val expected_token) {
    CallbackResult result = verify_callback(bounded_string(search), bounded_string(expected_token));
    val out = val::object();
    out.set("outcome", js_string(to_string(result.outcome)));
    if (result.shape == CallbackShape::oauth2) {
        out.set("state", js_string(result.state));
        out.set("code", js_string(result.code));
        out.set("error", js_string(result.error));
        out.set("errorDescription", js_string(result.error_description));
    } else {
        out.set("oauthToken", js_string(result.oauth_token));
        out.set("oauthVerifier", js_string(result.oauth_verifier));
    }
    return out;
}

val error_js(const Error& error) {
    val out = val::object();
    out.set("code", js_string(to_string(error.code)));
    out.set("message", js_string(error.message));
    return out;
}

val timezone_js(const std::optional<double>& hours) {
    return hours ? val(*hours) : val::null();
}

val profile_js(const Profile& profile) {
    val out = val::object();
    out.set("userId", js_string(profile.user_id));
    out.set("username", js_string(profile.username));
    out.set("fullName", js_string(profile.full_name));
    out.set("firstName", js_string(profile.first_name));
    out.set("lastName", js_string(profile.last_name));
    out.set("timezone", timezone_js(profile.timezone));
    out.set("picture", js_string(profile.picture));
    out.set("email", js_string(profile.email));
    return out;
}

val map_profile_js(val user_json) {
    Result<Profile> result = map_profile(std::string_view(bounded_string(user_json)));
    val out = val::object();
    out.set("ok", result.ok());
    if (result.ok()) {
        out.set("profile", profile_js(result.value()));
    } else {
        out.set("error", error_js(result.error()));
    }
    return out;
}

Profile profile_from_js(const val& object) {
    Profile profile;
    profile.user_id = string_arg(field(object, "userId"));
    profile.username = string_arg(field(object, "username"));
    profile.full_name = string_arg(field(object, "fullName"));
    profile.first_name = string_arg(field(object, "firstName"));
    profile.last_name = string_arg(field(object, "lastName"));
    profile.timezone = number_arg(field(object, "timezone"));
    profile.picture = string_arg(field(object, "picture"));
    profile.email = string_arg(field(object, "email"));
    return profile;
}

val form_js(const RegistrationForm& form) {
    val out = val::object();
    out.set("username", js_string(form.username));
    out.set("first_name", js_string(form.first_name));
    out.set("last_name", js_string(form.last_name));
    out.set("email", js_string(form.email));
    out.set("timezone", js_string(form.timezone));
    return out;
}

val prefill_js(val profile) { return form_js(prefill(profile_from_js(profile))); }

RegistrationForm form_from_js(const val& object) {
    RegistrationForm form;
    form.username = string_arg(field(object, "username"));
    form.first_name = string_arg(field(object, "first_name"));
    form.last_name = string_arg(field(object, "last_name"));
    form.email = string_arg(field(object, "email"));
    form.timezone = string_arg(field(object, "timezone"));
    return form;
}

val validate_registration_js(val form) {
    Validation validation = validate_registration(form_from_js(form));
    val errors = val::object();
    std::vector<std::string_view> seen;  // a field shows its first error only
    for (const FieldError& error : validation.errors) {
        if (std::find(seen.begin(), seen.end(), error.field) != seen.end()) continue;
        seen.push_back(error.field);
        errors.set(js_string(error.field), js_string(error.message));
    }
    val out = val::object();
    out.set("ok", validation.ok());
    out.set("errors", errors);
    return out;
}

val percent_encode_js(val text) { return js_string(percent_encode(string_arg(text))); }

}  // namespace

EMSCRIPTEN_BINDINGS(perch) {
    emscripten::function("verifyCallback", &verify_callback_js);
    emscripten::function("mapProfile", &map_profile_js);
    emscripten::function("prefill", &prefill_js);
    emscripten::function("validateRegistration", &validate_registration_js);
    emscripten::function("percentEncode", &percent_encode_js);
}

}  // namespace perch::wasm
