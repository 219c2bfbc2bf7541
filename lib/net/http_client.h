// HttpTransport over cpp-httplib.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "net/http_types.h"

namespace perch {

// https with certificate and host-name verification against `ca_bundle`; plain
// http only to loopback hosts (127.0.0.0/8, ::1, localhost) else invalid_url.
// Never follows redirects, never retries. Responses above max_response_bytes
// are cut off -> too_large. Thread-safe: idle keep-alive connections are pooled
// per origin and each call uses one connection exclusively.
class HttplibTransport final : public HttpTransport {
public:
    explicit HttplibTransport(TransportLimits limits,
                              std::string ca_bundle = "/etc/ssl/certs/ca-certificates.crt");
    ~HttplibTransport() override;

    TransportResult send(const OutgoingRequest& request) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace perch
