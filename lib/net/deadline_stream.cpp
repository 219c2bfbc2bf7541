#include "net/deadline_stream.h"

#include <string_view>

namespace perch {

ssize_t DeadlineStream::write(const char* ptr, size_t size) {
    const std::string_view data(ptr, size);
    const bool answer_head = data.rfind("HTTP/1.", 0) == 0 && size > 9 && data[9] != '1' &&
                             data.substr(size - 4) == "\r\n\r\n";
    if (held_.empty() && size <= max_held && answer_head) {
        held_.assign(data);
        return static_cast<ssize_t>(size);
    }
    if (!held_.empty() && size <= max_held) {
        held_.append(data);
        return flush() ? static_cast<ssize_t>(size) : -1;
    }
    if (!flush()) return -1;
    return send_within(fd_, ptr, size, write_timeout_);
}

bool DeadlineStream::flush() {
    std::size_t sent = 0;
    while (sent < held_.size()) {
        const ssize_t n = send_within(fd_, held_.data() + sent, held_.size() - sent, write_timeout_);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    const bool all = sent == held_.size();
    held_.clear();
    return all;
}

}  // namespace perch
