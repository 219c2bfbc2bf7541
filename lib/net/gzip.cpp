#include "net/gzip.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace perch {

bool accepts_gzip(const std::string& accept_encoding) {
    std::size_t start = 0;
    while (start <= accept_encoding.size()) {
        std::size_t comma = accept_encoding.find(',', start);
        if (comma == std::string::npos) comma = accept_encoding.size();
        std::string item = lower(accept_encoding.substr(start, comma - start));
        item.erase(std::remove_if(item.begin(), item.end(), [](char c) { return c == ' ' || c == '\t'; }), item.end());
        const std::size_t semicolon = item.find(';');
        if (item.substr(0, semicolon) == "gzip") {
            const std::string params = semicolon == std::string::npos ? std::string() : item.substr(semicolon + 1);
            const bool refused = params.rfind("q=0", 0) == 0 && params.find_first_not_of("0.", 2) == std::string::npos;
            if (!refused) return true;
        }
        start = comma + 1;
    }
    return false;
}

}  // namespace perch
