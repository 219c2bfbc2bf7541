// Counts and times every call to X (perch_provider_requests_total,
// perch_provider_request_duration_seconds) by wrapping the transport the
// provider clients use; only made when metrics are on.
#pragma once

#include <string>
#include <string_view>

#include "app/metrics.h"
#include "net/http_types.h"

namespace perch {

// The endpoint label of a call to X: request_token, access_token,
// verify_credentials, users_me, oauth2_token, or "other" (so a URL never
// becomes a label value).
std::string_view provider_endpoint(std::string_view url);

// The status label: the HTTP status ("200", "429"), or the transport failure
// ("timeout", "connection", "too_large", "tls", "invalid_url").
std::string provider_status(const TransportResult& result);

class MeteredTransport final : public HttpTransport {
public:
    MeteredTransport(HttpTransport& inner, Metrics& metrics) : inner_(inner), metrics_(metrics) {}
    TransportResult send(const OutgoingRequest& request) override;

private:
    HttpTransport& inner_;
    Metrics& metrics_;
};

}  // namespace perch
