#include "net/client_key.h"

#include <cstring>

#include <arpa/inet.h>

#include "core/text.h"

namespace perch {

std::string client_key(std::string_view remote_addr, std::string_view forwarded_for, bool trust_forwarded_for) {
    std::string_view text = remote_addr;
    if (trust_forwarded_for) {
        const std::size_t comma = forwarded_for.rfind(',');
        const std::string_view last =
            trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
        if (!last.empty()) text = last;
    }
    text = trim(text);
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (text.size() > 64) return std::string(text);  // not an address; the limiter cuts it

    const std::string address(text);
    unsigned char bytes[16];
    char out[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, address.c_str(), bytes) == 1) {
        return inet_ntop(AF_INET, bytes, out, sizeof out) ? std::string(out) : address;
    }
    if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
        static const unsigned char mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(bytes, mapped_prefix, sizeof mapped_prefix) == 0) {
            return inet_ntop(AF_INET, bytes + 12, out, sizeof out) ? std::string(out) : address;
        }
        std::memset(bytes + 8, 0, 8);
        if (inet_ntop(AF_INET6, bytes, out, sizeof out)) return std::string(out) + "/64";
    }
    return address;
}

}  // namespace perch
