#include "emulator/oauth2/oauth2_params.h"

#include <algorithm>

#include <openssl/evp.h>

#include "base/crypto.h"

namespace perch::emulator {
namespace {

bool is_unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

bool is_base64url(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// "Scheme rest" with the scheme compared case-insensitively; returns rest.
std::optional<std::string_view> after_scheme(std::string_view header, std::string_view scheme) {
    if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return std::nullopt;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        char c = header[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != scheme[i]) return std::nullopt;
    }
    std::string_view rest = header.substr(scheme.size() + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) return std::nullopt;
    return rest;
}

// Strict standard Base64 (RFC 4648 §4) with padding, via OpenSSL.
std::optional<std::string> base64_decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0 || text.size() > 4096) return std::nullopt;
    const auto first_pad = text.find('=');
    const std::size_t padding = first_pad == std::string_view::npos ? 0 : text.size() - first_pad;
    if (padding > 2) return std::nullopt;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                              c == '+' || c == '/';
        if (i < text.size() - padding ? !alphabet : c != '=') return std::nullopt;
    }
    std::string out(text.size() / 4 * 3, '\0');
    const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(text.data()),
                                        static_cast<int>(text.size()));
    if (written < 0) return std::nullopt;
    // EVP_DecodeBlock counts padding as zero bytes.
    out.resize(static_cast<std::size_t>(written) - padding);
    return out;
}

}  // namespace

const std::vector<std::string_view>& known_x_scopes() {
    static const std::vector<std::string_view> scopes = {
        "tweet.read",    "tweet.write",    "tweet.moderate.write", "users.read",     "users.email",
        "follows.read",  "follows.write",  "offline.access",       "space.read",     "mute.read",
        "mute.write",    "like.read",      "like.write",           "list.read",      "list.write",
        "block.read",    "block.write",    "bookmark.read",        "bookmark.write", "dm.read",
        "dm.write",      "media.write",    "timeline.read",
    };
    return scopes;
}

std::variant<Scopes, ScopeError> parse_scopes(std::string_view text) {
    Scopes scopes;
    while (!text.empty()) {
        const auto space = text.find(' ');
        const std::string_view token = text.substr(0, space);
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
        if (token.empty()) continue;
        const auto& known = known_x_scopes();
        if (std::find(known.begin(), known.end(), token) == known.end())
            return ScopeError{printable_excerpt(token)};
        if (!has_scope(scopes, token)) scopes.emplace_back(token);
    }
    return scopes;
}

std::string join_scopes(const Scopes& scopes) {
    std::string joined;
    for (const std::string& scope : scopes) joined += (joined.empty() ? "" : " ") + scope;
    return joined;
}

bool has_scope(const Scopes& scopes, std::string_view scope) {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

bool is_s256_challenge(std::string_view challenge) {
    return challenge.size() == 43 && std::all_of(challenge.begin(), challenge.end(), is_base64url);
}

bool is_code_verifier(std::string_view verifier) {
    return verifier.size() >= 43 && verifier.size() <= 128 &&
           std::all_of(verifier.begin(), verifier.end(), is_unreserved);
}

std::string s256_challenge(std::string_view verifier) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(verifier.data(), verifier.size(), digest, &length, EVP_sha256(), nullptr);
    std::string text = base64_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
    while (!text.empty() && text.back() == '=') text.pop_back();
    for (char& c : text) {
        if (c == '+') c = '-';
        else if (c == '/') c = '_';
    }
    return text;
}

std::optional<BasicCredentials> parse_basic_authorization(std::string_view header) {
    const auto encoded = after_scheme(header, "basic");
    if (!encoded) return std::nullopt;
    const auto decoded = base64_decode(*encoded);
    if (!decoded) return std::nullopt;
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    for (unsigned char c : *decoded)
        if (c < 0x20 || c == 0x7f) return std::nullopt;
    return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::optional<std::string> parse_bearer_authorization(std::string_view header) {
    const auto token = after_scheme(header, "bearer");
    if (!token || token->size() > 1024) return std::nullopt;
    for (unsigned char c : *token)
        if (c <= 0x20 || c >= 0x7f) return std::nullopt;
    return std::string(*token);
}

std::string printable_excerpt(std::string_view text, std::size_t max) {
    std::string out(text.substr(0, max));
    for (char& c : out)
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') c = '?';
    return out;
}

bool is_unreserved_token(std::string_view text) {
    return !text.empty() && text.size() <= 128 && std::all_of(text.begin(), text.end(), is_unreserved);
}

}  // namespace perch::emulator
