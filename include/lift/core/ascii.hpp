/// @file ascii.hpp
/// Locale-independent ASCII helpers shared by the HTTP, header and signing code: header names
/// and log levels compare case-insensitively, percent-escapes decode hex digits.
///
///     lift::ascii::iequals("Sec-WebSocket-Key", "sec-websocket-key");  // true
///     lift::ascii::hex_value('f');                                     // 15
///     lift::ascii::trim_ows(" v\t");                                   // "v"
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lift::ascii {

/// `c` lower-cased if it is an ASCII capital letter; other bytes unchanged.
constexpr char to_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// A copy of `s` with ASCII capitals lower-cased.
inline std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = to_lower(c);
    }
    return out;
}

/// ASCII case-insensitive equality (std::tolower would depend on the locale).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) {
            return false;
        }
    }
    return true;
}

/// `s` without leading and trailing spaces and tabs (HTTP's optional whitespace).
constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

/// The 6-bit value of a base64 digit, or -1: `c62`/`c63` are the last two digits of the
/// alphabet (`+`/`/` for base64, `-`/`_` for base64url, RFC 4648).
constexpr int base64_value(char c, char c62 = '+', char c63 = '/') noexcept {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == c62) {
        return 62;
    }
    if (c == c63) {
        return 63;
    }
    return -1;
}

/// The value of a hexadecimal digit (either case), or -1 for any other byte.
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace lift::ascii
