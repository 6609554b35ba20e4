#include "http_paths.hpp"

#include <lift/core/ascii.hpp>

namespace lift::gateway::detail {

namespace {

using ascii::hex_value;

bool ends_with(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            const int hi = hex_value(s[i + 1]);
            const int lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

target_parts split_target(std::string_view target) noexcept {
    target_parts p;
    const auto q = target.find('?');
    if (q == std::string_view::npos) {
        p.path = target;
        return p;
    }
    p.path = target.substr(0, q);
    p.query = target.substr(q + 1);
    p.has_query = true;
    return p;
}

std::optional<std::string> connections_id(std::string_view path, std::string_view stage) {
    auto strip_marker = [](std::string_view rest) -> std::optional<std::string_view> {
        // rest starts after a '/': "@connections/ID" or "%40connections/ID".
        constexpr std::string_view word = "connections/";
        if (rest.size() >= 1 && rest[0] == '@') {
            rest.remove_prefix(1);
        } else if (rest.size() >= 3 && rest[0] == '%' && rest[1] == '4' && rest[2] == '0') {
            rest.remove_prefix(3);
        } else {
            return std::nullopt;
        }
        if (rest.substr(0, word.size()) != word) {
            return std::nullopt;
        }
        return rest.substr(word.size());
    };
    if (path.empty() || path[0] != '/') {
        return std::nullopt;
    }
    std::string_view rest = path.substr(1);
    if (auto id = strip_marker(rest)) {
        return percent_decode(*id);
    }
    if (!stage.empty() && rest.substr(0, stage.size()) == stage && rest.size() > stage.size() &&
        rest[stage.size()] == '/') {
        if (auto id = strip_marker(rest.substr(stage.size() + 1))) {
            return percent_decode(*id);
        }
    }
    return std::nullopt;
}

void parse_query(std::string_view query, string_map& single, multi_string_map& multi) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        const auto eq = pair.find('=');
        std::string key = percent_decode(pair.substr(0, eq));
        std::string value =
            eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
        multi[key].push_back(value);
        single[std::move(key)] = std::move(value);
    }
}

std::optional<std::string> static_relative_path(std::string_view path) {
    std::string decoded = percent_decode(path);
    if (decoded.find('\0') != std::string::npos || decoded.empty() || decoded[0] != '/') {
        return std::nullopt;
    }
    std::string out;
    std::string_view rest{decoded};
    while (!rest.empty()) {
        while (!rest.empty() && rest[0] == '/') {
            rest.remove_prefix(1);
        }
        const auto slash = rest.find('/');
        std::string_view seg = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
        if (seg.empty() || seg == ".") {
            continue;
        }
        if (seg == ".." || seg.find('\\') != std::string_view::npos) {
            return std::nullopt;
        }
        if (!out.empty()) {
            out += '/';
        }
        out.append(seg);
    }
    if (out.empty() || ends_with(decoded, "/")) {
        out += out.empty() ? "index.html" : "/index.html";
    }
    return out;
}

std::string_view content_type_for(std::string_view name) noexcept {
    if (ends_with(name, ".html") || ends_with(name, ".htm")) {
        return "text/html; charset=utf-8";
    }
    if (ends_with(name, ".js") || ends_with(name, ".mjs")) {
        return "text/javascript; charset=utf-8";
    }
    if (ends_with(name, ".css")) {
        return "text/css; charset=utf-8";
    }
    if (ends_with(name, ".json")) {
        return "application/json";
    }
    if (ends_with(name, ".svg")) {
        return "image/svg+xml";
    }
    if (ends_with(name, ".png")) {
        return "image/png";
    }
    if (ends_with(name, ".ico")) {
        return "image/x-icon";
    }
    if (ends_with(name, ".txt")) {
        return "text/plain; charset=utf-8";
    }
    return "application/octet-stream";
}

}  // namespace lift::gateway::detail
