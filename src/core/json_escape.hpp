// Private helper of lift::core: appends a JSON string literal without building a boost::json
// value (used on hot paths: log lines, error frames, EMF documents).
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace lift::detail {

/// The escape sequences of the bytes below 0x20 (`\n`, `\t`, ... or `\u00XX`).
struct json_control_escapes {
    std::array<std::array<char, 6>, 32> text{};
    std::array<unsigned char, 32> size{};

    constexpr json_control_escapes() {
        constexpr std::string_view hex = "0123456789abcdef";
        for (std::size_t u = 0; u < 32; ++u) {
            char short_form = 0;
            switch (u) {
                case '\n':
                    short_form = 'n';
                    break;
                case '\r':
                    short_form = 'r';
                    break;
                case '\t':
                    short_form = 't';
                    break;
                case '\b':
                    short_form = 'b';
                    break;
                case '\f':
                    short_form = 'f';
                    break;
                default:
                    break;
            }
            if (short_form != 0) {
                text[u] = {'\\', short_form};
                size[u] = 2;
            } else {
                text[u] = {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 15]};
                size[u] = 6;
            }
        }
    }
};

inline constexpr json_control_escapes json_controls{};

/// Which bytes stand for themselves inside a JSON string (all but controls, '"' and '\\').
struct json_plain_bytes {
    std::array<bool, 256> plain{};

    constexpr json_plain_bytes() {
        for (std::size_t u = 0; u < plain.size(); ++u) {
            plain[u] = u >= 0x20 && u != '"' && u != '\\';
        }
    }
};

inline constexpr json_plain_bytes json_plain{};

/// How byte `c` is written inside a JSON string: empty when it stands for itself (bytes >= 0x80
/// included), else its escape sequence.
inline std::string_view json_escape_of(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20) {
        if (u == '"') {
            return "\\\"";
        }
        if (u == '\\') {
            return "\\\\";
        }
        return {};
    }
    return {json_controls.text[u].data(), json_controls.size[u]};
}

/// Room `write_json_string` needs for `n` bytes: each as a 6-byte escape, and the quotes.
constexpr std::size_t max_json_string_size(std::size_t n) noexcept {
    return 6 * n + 2;
}

/// Writes `s` as a quoted JSON string at `out`, which has room for
/// `max_json_string_size(s.size())` bytes. Returns the end of what was written.
inline char* write_json_string(char* out, std::string_view s) noexcept {
    *out++ = '"';
    for (const char c : s) {
        if (json_plain.plain[static_cast<unsigned char>(c)]) {
            *out++ = c;
        } else {
            const std::string_view esc = json_escape_of(c);
            std::memcpy(out, esc.data(), esc.size());
            out += esc.size();
        }
    }
    *out++ = '"';
    return out;
}

/// Appends `s` to `out` as a quoted JSON string. Bytes >= 0x80 are copied as they are.
inline void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    std::size_t run = 0;  // start of the pending run of bytes copied as they are
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (!json_plain.plain[static_cast<unsigned char>(s[i])]) {
            out.append(s.data() + run, i - run);
            out += json_escape_of(s[i]);
            run = i + 1;
        }
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

}  // namespace lift::detail
