// Which client a connection or request belongs to, for per-client limits (the
// server's connection cap, the proxy's rate limits).
#pragma once

#include <string>
#include <string_view>

namespace perch {

// The key a request is limited under.
//   remote_addr: the connection's peer address as the server reports it.
//   forwarded_for: the X-Forwarded-For header ("" if absent); used only when
//     trust_forwarded_for, and then only its LAST entry (the one the
//     operator's reverse proxy appended; earlier ones are the client's own words).
// IPv6 addresses are keyed by their /64 (one host usually holds a whole /64);
// an IPv4-mapped IPv6 address is keyed as the IPv4 address. Text that is not
// an IP address is used as it is (its user bounds it).
std::string client_key(std::string_view remote_addr, std::string_view forwarded_for, bool trust_forwarded_for);

}  // namespace perch
