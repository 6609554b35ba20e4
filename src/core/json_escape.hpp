// Private helper of lift::core: appends a JSON string literal without building a boost::json
// value (used on hot paths: log lines and error frames).
#pragma once

#include <string>
#include <string_view>

namespace lift::detail {

/// Appends `s` to `out` as a quoted JSON string. Bytes >= 0x80 are copied as they are.
inline void append_json_string(std::string& out, std::string_view s) {
    constexpr std::string_view hex = "0123456789abcdef";
    out += '"';
    for (const char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    const auto u = static_cast<unsigned char>(c);
                    out += "\\u00";
                    out += hex[u >> 4];
                    out += hex[u & 15];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

}  // namespace lift::detail
