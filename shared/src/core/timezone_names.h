// The IANA time zone names, carried by the core (it does no I/O) so that the
// page and the proxy accept exactly the same zones. The list itself is
// generated from Debian's tzdata by shared/tools/gen_timezones.py into
// timezone_names.cpp.
#pragma once

#include <cstddef>
#include <string_view>

namespace perch {

/// True when `name` is, byte for byte, a Zone or Link name of the tz database
/// ("Europe/Berlin", "Asia/Calcutta", "UTC", "Etc/GMT+5"); names are
/// case-sensitive, as browsers report them.
bool is_iana_timezone_name(std::string_view name);

namespace timezone_data {

/// A sorted list of names packed as "a\0b\0c\0", searched by bisection over
/// the text itself: no table of offsets, so the binary (and the WebAssembly
/// module) holds only the names.
class PackedNames {
public:
    template <std::size_t Bytes>
    constexpr explicit PackedNames(const char (&packed)[Bytes]) : packed_(packed, Bytes - 1) {}

    constexpr std::size_t count() const {
        std::size_t names = 0;
        for (char c : packed_) names += c == '\0' ? 1 : 0;
        return names;
    }

    /// Each name non-empty, NUL-terminated and strictly after the one before:
    /// what contains() needs; checked by a static_assert where the list is made.
    constexpr bool well_formed() const {
        if (packed_.empty() || packed_.back() != '\0') return false;
        std::string_view previous;
        for (std::size_t start = 0; start < packed_.size();) {
            const std::string_view name = name_at(start);
            if (name.empty() || (start > 0 && !(previous < name))) return false;
            previous = name;
            start += name.size() + 1;
        }
        return true;
    }

    constexpr bool contains(std::string_view name) const {
        // [low, high) always holds whole names: low is a name's first byte,
        // high one past a NUL.
        std::size_t low = 0;
        std::size_t high = packed_.size();
        while (low < high) {
            std::size_t start = low + (high - low) / 2;
            while (start > low && packed_[start - 1] != '\0') --start;
            const std::string_view candidate = name_at(start);
            if (candidate == name) return true;
            if (candidate < name) {
                low = start + candidate.size() + 1;
            } else {
                high = start;
            }
        }
        return false;
    }

private:
    // The name that starts at byte `start`, up to its NUL.
    constexpr std::string_view name_at(std::size_t start) const {
        const std::size_t end = packed_.find('\0', start);
        return packed_.substr(start, end == std::string_view::npos ? std::string_view::npos
                                                                   : end - start);
    }

    std::string_view packed_;  // without the literal's own closing NUL
};

}  // namespace timezone_data
}  // namespace perch
