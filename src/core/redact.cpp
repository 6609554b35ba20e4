#include <array>

#include <boost/json/array.hpp>

#include <lift/core/ascii.hpp>
#include <lift/core/redact.hpp>

namespace lift {

namespace {

using ascii::iequals;
using ascii::to_lower;

constexpr std::array<std::string_view, 7> sensitive_headers{
    "authorization", "proxy-authorization", "sec-websocket-protocol",
    "cookie",        "set-cookie",          "x-amz-security-token",
    "x-api-key"};

constexpr std::array<std::string_view, 14> sensitive_parameters{"token",
                                                                "access_token",
                                                                "id_token",
                                                                "refresh_token",
                                                                "api_key",
                                                                "apikey",
                                                                "key",
                                                                "password",
                                                                "secret",
                                                                "client_secret",
                                                                "signature",
                                                                "x-amz-signature",
                                                                "x-amz-credential",
                                                                "x-amz-security-token"};

constexpr std::array<std::string_view, 5> sensitive_words{"token", "secret", "password",
                                                          "authorization", "cookie"};

template <std::size_t N>
bool in(const std::array<std::string_view, N>& list, std::string_view name) noexcept {
    for (const auto item : list) {
        if (iequals(item, name)) {
            return true;
        }
    }
    return false;
}

bool icontains(std::string_view haystack, std::string_view needle) noexcept {
    if (needle.size() > haystack.size()) {
        return false;
    }
    for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
        if (iequals(haystack.substr(i, needle.size()), needle)) {
            return true;
        }
    }
    return false;
}

bool is_base64url(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

// Characters a bearer/basic credential may contain (RFC 6750 b64token plus '=').
bool is_token_char(char c) noexcept {
    return is_base64url(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

// Length of a JWT starting at `s` (header "eyJ…", two dots, base64url segments), or 0.
std::size_t jwt_length(std::string_view s) noexcept {
    if (s.substr(0, 3) != "eyJ") {
        return 0;
    }
    std::size_t i = 0;
    int dots = 0;
    while (i < s.size() && (is_base64url(s[i]) || s[i] == '.')) {
        if (s[i] == '.') {
            ++dots;
        }
        ++i;
    }
    return dots >= 2 ? i : 0;
}

// Length of a "Bearer "/"Basic " scheme prefix at `s` (any case), or 0.
std::size_t scheme_length(std::string_view s) noexcept {
    for (const std::string_view scheme :
         {std::string_view{"bearer "}, std::string_view{"basic "}}) {
        if (s.size() > scheme.size() && iequals(s.substr(0, scheme.size()), scheme)) {
            return scheme.size();
        }
    }
    return 0;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            const int hi = ascii::hex_value(s[i + 1]);
            const int lo = ascii::hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i] == '+' ? ' ' : s[i];
    }
    return out;
}

}  // namespace

bool is_sensitive_header(std::string_view name) noexcept {
    return in(sensitive_headers, name);
}

bool is_sensitive_query_parameter(std::string_view name) noexcept {
    return in(sensitive_parameters, name);
}

bool is_sensitive_name(std::string_view name) noexcept {
    if (is_sensitive_header(name) || is_sensitive_query_parameter(name)) {
        return true;
    }
    for (const auto word : sensitive_words) {
        if (icontains(name, word)) {
            return true;
        }
    }
    return false;
}

string_map redact_headers(const string_map& headers) {
    string_map out = headers;
    for (auto& [name, value] : out) {
        if (is_sensitive_header(name)) {
            value = std::string{redacted};
        }
    }
    return out;
}

multi_string_map redact_headers(const multi_string_map& headers) {
    multi_string_map out = headers;
    for (auto& [name, values] : out) {
        if (is_sensitive_header(name)) {
            for (auto& v : values) {
                v = std::string{redacted};
            }
        }
    }
    return out;
}

string_map redact_query(const string_map& query) {
    string_map out = query;
    for (auto& [name, value] : out) {
        if (is_sensitive_query_parameter(name)) {
            value = std::string{redacted};
        }
    }
    return out;
}

multi_string_map redact_query(const multi_string_map& query) {
    multi_string_map out = query;
    for (auto& [name, values] : out) {
        if (is_sensitive_query_parameter(name)) {
            for (auto& v : values) {
                v = std::string{redacted};
            }
        }
    }
    return out;
}

std::string redact_query_string(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    const auto q = text.find('?');
    std::string_view query = text;
    if (q != std::string_view::npos) {
        out.append(text.substr(0, q + 1));
        query = text.substr(q + 1);
    }
    std::string_view fragment;
    if (const auto hash = query.find('#'); hash != std::string_view::npos) {
        fragment = query.substr(hash);
        query = query.substr(0, hash);
    }
    bool first = true;
    while (true) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        if (!first) {
            out += '&';
        }
        first = false;
        const auto eq = pair.find('=');
        const std::string_view name = pair.substr(0, eq);
        if (eq != std::string_view::npos && is_sensitive_query_parameter(percent_decode(name))) {
            out.append(name);
            out += '=';
            out.append(redacted);
        } else {
            out.append(pair);
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query.remove_prefix(amp + 1);
    }
    out.append(fragment);
    return out;
}

bool has_credential_shape(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = to_lower(text[i]);
        if (c == 'e' && jwt_length(text.substr(i)) > 0) {
            return true;
        }
        if ((c == 'b') && (i == 0 || !is_token_char(text[i - 1]))) {
            const auto n = scheme_length(text.substr(i));
            if (n > 0 && i + n < text.size() && is_token_char(text[i + n])) {
                return true;
            }
        }
    }
    return false;
}

std::string redact_text(std::string_view text) {
    if (!has_credential_shape(text)) {
        return std::string{text};
    }
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = to_lower(text[i]);
        const bool boundary = i == 0 || !is_base64url(text[i - 1]);
        if (c == 'e' && boundary) {
            if (const auto n = jwt_length(text.substr(i)); n > 0) {
                out.append(redacted);
                i += n;
                continue;
            }
        }
        if (c == 'b' && (i == 0 || !is_token_char(text[i - 1]))) {
            const auto n = scheme_length(text.substr(i));
            if (n > 0 && i + n < text.size() && is_token_char(text[i + n])) {
                out.append(text.substr(i, n));
                out.append(redacted);
                i += n;
                while (i < text.size() && is_token_char(text[i])) {
                    ++i;
                }
                continue;
            }
        }
        out += text[i];
        ++i;
    }
    return out;
}

boost::json::object event_summary(const websocket_event& ev) {
    boost::json::object o;
    const auto& rc = ev.request_context;
    o["eventType"] = to_string(rc.type);
    o["routeKey"] = rc.route_key;
    o["connectionId"] = rc.connection_id;
    o["requestId"] = rc.request_id;
    o["sourceIp"] = rc.identity.source_ip;
    if (ev.body) {
        o["bodyBytes"] = ev.body->size();
    }
    if (ev.headers) {
        boost::json::object h;
        for (const auto& [k, v] : redact_headers(*ev.headers)) {
            h[k] = v;
        }
        o["headers"] = std::move(h);
    }
    if (ev.query_string_parameters) {
        boost::json::object q;
        for (const auto& [k, v] : redact_query(*ev.query_string_parameters)) {
            q[k] = v;
        }
        o["query"] = std::move(q);
    }
    if (rc.disconnect_status_code) {
        o["disconnectStatusCode"] = *rc.disconnect_status_code;
    }
    return o;
}

}  // namespace lift
