// A sign-in in progress, sealed so the browser can keep it for the proxy:
// AES-256-GCM (token_cipher.h's format) under a key derived from
// PERCH_TOKEN_KEY for this purpose alone, bound to where it is kept.
//
// Sealed payload, before encryption (JSON, version 1):
//     {"v":1,"p":"oauth1"|"oauth2","t":<id>,"s":<secret>,"x":<expiry, Unix seconds>}
// The protocol tag says what id and secret are (FlowProtocol). The text the
// browser holds is the sealed bytes as unpadded URL-safe Base64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/consumed_flows.h"
#include "base/crypto.h"
#include "store/token_cipher.h"

namespace perch {

enum class FlowProtocol {
    oauth1,  // OAuth 1.0a: id = the request token (oauth_token), secret = its token secret
    oauth2,  // OAuth 2.0: id = the `state`, secret = the PKCE code_verifier
};

std::string_view to_string(FlowProtocol protocol);

struct PendingFlow {
    FlowProtocol protocol = FlowProtocol::oauth1;
    std::string id;      // what the provider's callback names the flow by
    std::string secret;  // what only the proxy uses to finish it; never shown to anyone
    std::int64_t expires_unix = 0;  // wall-clock (Clock::unix_seconds), so several proxies agree
};

// HKDF-SHA256 labels of the keys derived from PERCH_TOKEN_KEY (key_derivation.h).
inline constexpr std::string_view flow_seal_label = "perch flow cookie v1";
inline constexpr std::string_view flow_key_label = "perch consumed flow v1";

class FlowSeal {
public:
    // Longest sealed text open() looks at; a real one is about 200 characters.
    static constexpr std::size_t max_sealed_text = 1024;

    // Derives its two keys from `master` and keeps no copy of it. `random`
    // (for the GCM nonces) must outlive the seal and be thread-safe.
    FlowSeal(const TokenKey& master, RandomSource& random);
    ~FlowSeal();
    FlowSeal(const FlowSeal&) = delete;
    FlowSeal& operator=(const FlowSeal&) = delete;

    // `binding` is authenticated with the flow (the cookie's name), so a value
    // moved to another name no longer opens.
    std::string seal(const PendingFlow& flow, std::string_view binding) const;

    // The flow, or nullopt when `text` is not exactly what seal() made with
    // this key and binding: too long, not Base64url, tampered, another key,
    // another binding, or a payload not of the shape above (a token or secret
    // that is not token text of at most max_token_length).
    std::optional<PendingFlow> open(std::string_view text, std::string_view binding) const;

    // The flow's name for ConsumedFlows: HMAC-SHA256 under the second derived
    // key of its protocol and id, cut to 16 bytes.
    FlowKey key_of(FlowProtocol protocol, std::string_view id) const;

private:
    TokenCipher cipher_;
    TokenKey key_for_names_;
};

}  // namespace perch
