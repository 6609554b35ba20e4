// Splits libFuzzer input into parts (the fuzz targets' only shared helper).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace lift::fuzz {

/// `data` as a string_view.
inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Splits at `sep` into at most `max_parts` parts (the last keeps the rest).
inline std::vector<std::string_view> split(std::string_view s, char sep, std::size_t max_parts) {
    std::vector<std::string_view> out;
    while (out.size() + 1 < max_parts) {
        const auto at = s.find(sep);
        if (at == std::string_view::npos) {
            break;
        }
        out.push_back(s.substr(0, at));
        s.remove_prefix(at + 1);
    }
    out.push_back(s);
    return out;
}

}  // namespace lift::fuzz
