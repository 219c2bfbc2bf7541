// The Perch-Signature header of a webhook delivery, in the form Stripe
// popularised: "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
// Signing the send time with the body lets a receiver refuse replays older
// than its window; the body alone would verify forever.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace perch {

// Lower-case hex of HMAC-SHA256(key, message).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// "t=1714566896,v1=5257a869…"
std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

}  // namespace perch
