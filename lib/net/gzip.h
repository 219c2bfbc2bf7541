// Content-coding negotiation for the server's answers.
#pragma once

#include <string>

namespace perch {

// Whether an Accept-Encoding value accepts gzip (a "gzip" coding whose q is not 0).
bool accepts_gzip(const std::string& accept_encoding);

}  // namespace perch
