// Endpoint parsing and the parts of the HTTP transport that need no I/O library.
#include <charconv>
#include <string>
#include <string_view>
#include <system_error>

#include <lift/aws/error.hpp>
#include <lift/aws/http.hpp>
#include <lift/core/ascii.hpp>

namespace lift::aws {

namespace {

error bad(std::string_view url, std::string_view why) {
    return fail(make_error_code(errc::bad_endpoint),
                "endpoint '" + std::string(url) + "': " + std::string(why));
}

// IPv6 literals need brackets in Host headers and URLs.
std::string bracketed(const std::string& host) {
    return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

}  // namespace

std::string endpoint::host_header() const {
    const std::uint16_t default_port = tls ? 443 : 80;
    std::string out = bracketed(host);
    if (port != default_port) {
        out += ':';
        out += std::to_string(port);
    }
    return out;
}

std::string endpoint::url() const {
    return std::string(tls ? "https://" : "http://") + host_header() + base_path;
}

result<endpoint> parse_endpoint(std::string_view url) {
    endpoint ep;
    std::string_view rest;
    constexpr std::string_view https = "https://";
    constexpr std::string_view http = "http://";
    if (url.size() >= https.size() && ascii::iequals(url.substr(0, https.size()), https)) {
        ep.tls = true;
        rest = url.substr(https.size());
    } else if (url.size() >= http.size() && ascii::iequals(url.substr(0, http.size()), http)) {
        ep.tls = false;
        rest = url.substr(http.size());
    } else {
        return bad(url, "scheme must be http:// or https://");
    }
    if (rest.find_first_of("?#") != std::string_view::npos) {
        return bad(url, "query strings and fragments are not allowed");
    }
    for (const char c : rest) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
            return bad(url, "contains whitespace or control characters");
        }
    }
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
    if (authority.find('@') != std::string_view::npos) {
        return bad(url, "user info is not allowed");
    }

    std::string_view host;
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return bad(url, "unterminated IPv6 literal");
        }
        host = authority.substr(1, close - 1);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return bad(url, "unexpected text after IPv6 literal");
            }
            port_text = after.substr(1);
            if (port_text.empty()) {
                return bad(url, "empty port");
            }
        }
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) {
                return bad(url, "empty port");
            }
        }
        if (host.find_first_of("[]") != std::string_view::npos) {
            return bad(url, "malformed host");
        }
    }
    if (host.empty()) {
        return bad(url, "empty host");
    }
    ep.host = std::string(host);

    if (port_text.empty()) {
        ep.port = ep.tls ? 443 : 80;
    } else {
        unsigned value = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535) {
            return bad(url, "port must be a number from 1 to 65535");
        }
        ep.port = static_cast<std::uint16_t>(value);
    }

    std::string_view base = path;
    while (!base.empty() && base.back() == '/') {
        base.remove_suffix(1);
    }
    ep.base_path = std::string(base);
    return ep;
}

std::optional<std::string_view> http_response::header_value(std::string_view name) const {
    for (const auto& h : headers) {
        if (ascii::iequals(h.name, name)) {
            return std::string_view(h.value);
        }
    }
    return std::nullopt;
}

std::vector<result<http_response>> http_transport::send_many(
    const endpoint& to,
    std::span<const http_request> requests,
    std::size_t /*max_in_flight*/,
    std::chrono::steady_clock::time_point deadline) {
    std::vector<result<http_response>> out;
    out.reserve(requests.size());
    for (const auto& request : requests) {
        out.push_back(send(to, request, deadline));
    }
    return out;
}

}  // namespace lift::aws
