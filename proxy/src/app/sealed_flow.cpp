#include "app/sealed_flow.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/crypto.h"
#include "base/key_derivation.h"
#include "core/callback.h"
#include "core/json_input.h"
#include "provider/pkce.h"

namespace perch {
namespace {

constexpr int payload_version = 1;

// The token cipher's associated data, so a value sealed for one purpose can
// never be opened as another even if keys were ever shared.
std::string associated_data(std::string_view binding) { return "perch-flow\n" + std::string(binding); }

std::string base64url(std::string_view bytes) {
    std::string text = base64_encode(bytes);
    while (!text.empty() && text.back() == '=') text.pop_back();
    std::replace(text.begin(), text.end(), '+', '-');
    std::replace(text.begin(), text.end(), '/', '_');
    return text;
}

// Strict: only the URL-safe alphabet, no padding, no whitespace, canonical.
std::optional<std::string> from_base64url(std::string_view text) {
    if (text.empty() || text.size() % 4 == 1 || !is_base64url_text(text)) {
        return std::nullopt;
    }
    std::string padded(text);
    std::replace(padded.begin(), padded.end(), '-', '+');
    std::replace(padded.begin(), padded.end(), '_', '/');
    const std::size_t padding = (4 - padded.size() % 4) % 4;
    padded.append(padding, '=');
    std::string out(padded.size() / 4 * 3, '\0');
    const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(padded.data()),
                                        static_cast<int>(padded.size()));
    if (written < 0 || static_cast<std::size_t>(written) != out.size()) return std::nullopt;
    out.resize(out.size() - padding);
    // Only the one canonical spelling: the unused low bits of the last
    // character must be zero, so no two texts carry the same seal.
    if (base64url(out) != text) return std::nullopt;
    return out;
}

std::optional<FlowProtocol> protocol_named(std::string_view name) {
    if (name == "oauth1") return FlowProtocol::oauth1;
    if (name == "oauth2") return FlowProtocol::oauth2;
    return std::nullopt;
}

bool is_flow_token(const nlohmann::json& value) {
    if (!value.is_string()) return false;
    const auto& text = value.get_ref<const std::string&>();
    return text.size() <= max_token_length && is_token_text(text);
}

std::optional<PendingFlow> parse_payload(std::string_view text) {
    auto parsed = parse_json(text, JsonLimits{FlowSeal::max_sealed_text, 2});
    if (!parsed) return std::nullopt;
    const nlohmann::json& payload = parsed.value();
    if (!payload.is_object() || payload.size() != 5) return std::nullopt;
    const auto version = payload.find("v");
    const auto protocol = payload.find("p");
    const auto id = payload.find("t");
    const auto secret = payload.find("s");
    const auto expiry = payload.find("x");
    if (version == payload.end() || protocol == payload.end() || id == payload.end() ||
        secret == payload.end() || expiry == payload.end()) {
        return std::nullopt;
    }
    if (!version->is_number_integer() || version->get<std::int64_t>() != payload_version) return std::nullopt;
    if (!protocol->is_string() || !is_flow_token(*id) || !is_flow_token(*secret)) return std::nullopt;
    if (!expiry->is_number_integer()) return std::nullopt;
    auto named = protocol_named(protocol->get_ref<const std::string&>());
    if (!named) return std::nullopt;
    // An OAuth 2.0 flow's secret is its PKCE code_verifier.
    if (*named == FlowProtocol::oauth2 && !is_code_verifier_text(secret->get_ref<const std::string&>())) {
        return std::nullopt;
    }
    return PendingFlow{*named, id->get<std::string>(), secret->get<std::string>(), expiry->get<std::int64_t>()};
}

}  // namespace

std::string_view to_string(FlowProtocol protocol) {
    switch (protocol) {
        case FlowProtocol::oauth1: return "oauth1";
        case FlowProtocol::oauth2: return "oauth2";
    }
    return "oauth1";
}

FlowSeal::FlowSeal(const TokenKey& master, RandomSource& random)
    : cipher_(derive_key(master, flow_seal_label), random), key_for_names_(derive_key(master, flow_key_label)) {}

FlowSeal::~FlowSeal() { OPENSSL_cleanse(key_for_names_.data(), key_for_names_.size()); }

std::string FlowSeal::seal(const PendingFlow& flow, std::string_view binding) const {
    const nlohmann::json payload{{"v", payload_version},
                                 {"p", std::string(to_string(flow.protocol))},
                                 {"t", flow.id},
                                 {"s", flow.secret},
                                 {"x", flow.expires_unix}};
    std::string plaintext = payload.dump();
    std::string text = base64url(cipher_.seal(plaintext, associated_data(binding)));
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return text;
}

std::optional<PendingFlow> FlowSeal::open(std::string_view text, std::string_view binding) const {
    if (text.size() > max_sealed_text) return std::nullopt;
    const std::optional<std::string> sealed = from_base64url(text);
    if (!sealed) return std::nullopt;
    auto opened = cipher_.open(*sealed, associated_data(binding));
    if (!opened) return std::nullopt;
    std::optional<PendingFlow> flow = parse_payload(opened.value());
    OPENSSL_cleanse(opened.value().data(), opened.value().size());
    return flow;
}

FlowKey FlowSeal::key_of(FlowProtocol protocol, std::string_view id) const {
    std::string message(to_string(protocol));
    message += '\0';
    message += id;
    unsigned char digest[EVP_MAX_MD_SIZE];
    const std::string_view names_key(reinterpret_cast<const char*>(key_for_names_.data()), key_for_names_.size());
    const std::size_t length = hmac(HmacDigest::sha256, names_key, message, digest);
    if (length < FlowKey().size()) {
        std::fputs("perch: OpenSSL HMAC-SHA256 failed; stopping\n", stderr);
        std::abort();
    }
    FlowKey key{};
    std::copy(digest, digest + key.size(), key.begin());
    return key;
}

}  // namespace perch
