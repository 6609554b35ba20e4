#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <lift/aws/sigv4_verifier.hpp>
#include <lift/core/ascii.hpp>

#include "civil_time.hpp"

namespace lift::aws {

namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view missing_token_message = "Missing Authentication Token";
constexpr std::string_view unrecognized_message =
    "The security token included in the request is invalid.";
constexpr std::string_view mismatch_message =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

sigv4_rejection incomplete(std::string message) {
    return {errc::missing_authentication, "IncompleteSignatureException", std::move(message)};
}

sigv4_rejection invalid(std::string message) {
    return {errc::invalid_signature, "InvalidSignatureException", std::move(message)};
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

const header* find_header(std::span<const header> headers, std::string_view name) {
    for (const auto& h : headers) {
        if (ascii::iequals(h.name, name)) {
            return &h;
        }
    }
    return nullptr;
}

using detail::days_from_civil;

// `YYYYMMDDTHHMMSSZ` → epoch seconds.
std::optional<std::int64_t> parse_amz_date(std::string_view s) {
    if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') {
        return std::nullopt;
    }
    auto num = [&](std::size_t at, std::size_t n) -> std::optional<unsigned> {
        unsigned v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (s[i] < '0' || s[i] > '9') {
                return std::nullopt;
            }
            v = v * 10 + static_cast<unsigned>(s[i] - '0');
        }
        return v;
    };
    const auto y = num(0, 4);
    const auto mo = num(4, 2);
    const auto d = num(6, 2);
    const auto h = num(9, 2);
    const auto mi = num(11, 2);
    const auto se = num(13, 2);
    if (!y || !mo || !d || !h || !mi || !se || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 ||
        *h > 23 || *mi > 59 || *se > 60) {
        return std::nullopt;
    }
    return days_from_civil(*y, *mo, *d) * 86400 + *h * 3600 + *mi * 60 + *se;
}

std::string amz_date_of(std::int64_t epoch_seconds) {
    const auto tp = std::chrono::system_clock::time_point{std::chrono::seconds{epoch_seconds}};
    auto text = format_amz_date(tp);
    return text ? *text : std::string{"?"};
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = static_cast<unsigned char>(
            diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
    }
    return diff == 0;
}

struct authorization {
    std::string_view credential;
    std::string_view signed_headers;
    std::string_view signature;
};

}  // namespace

sigv4_verifier::sigv4_verifier(sigv4_verifier_config config, const lift::clock& clk)
    : config_(std::move(config)),
      clock_(clk) {}

std::optional<sigv4_rejection> sigv4_verifier::check(const sigv4_incoming& request) {
    const header* auth_header = find_header(request.headers, "Authorization");
    if (auth_header == nullptr || trim(auth_header->value).empty()) {
        return sigv4_rejection{errc::missing_authentication, "MissingAuthenticationTokenException",
                               std::string{missing_token_message}};
    }
    const std::string_view value = trim(auth_header->value);
    const std::string shown = fmt::format("Authorization={}", value);
    if (!value.starts_with(algorithm) ||
        (value.size() > algorithm.size() && value[algorithm.size()] != ' ')) {
        return incomplete(fmt::format("Authorization header requires '{}' as its algorithm. {}",
                                      algorithm, shown));
    }

    // Credential=..., SignedHeaders=..., Signature=...
    authorization a;
    std::string_view rest = value.substr(algorithm.size());
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view item = trim(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        const auto eq = item.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        const std::string_view key = trim(item.substr(0, eq));
        const std::string_view val = trim(item.substr(eq + 1));
        if (key == "Credential") {
            a.credential = val;
        } else if (key == "SignedHeaders") {
            a.signed_headers = val;
        } else if (key == "Signature") {
            a.signature = val;
        }
    }
    std::string missing;
    for (const auto& [name, v] :
         {std::pair{"Credential", a.credential}, std::pair{"Signature", a.signature},
          std::pair{"SignedHeaders", a.signed_headers}}) {
        if (v.empty()) {
            missing += fmt::format("Authorization header requires '{}' parameter. ", name);
        }
    }
    const header* date_header = find_header(request.headers, "X-Amz-Date");
    if (date_header == nullptr) {
        missing +=
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
            "header. ";
    }
    if (!missing.empty()) {
        return incomplete(missing + shown);
    }

    // Credential = AKID/date/region/service/aws4_request
    std::vector<std::string_view> scope;
    for (std::string_view c = a.credential;;) {
        const auto slash = c.find('/');
        scope.push_back(c.substr(0, slash));
        if (slash == std::string_view::npos) {
            break;
        }
        c.remove_prefix(slash + 1);
    }
    if (scope.size() != 5 || scope[4] != "aws4_request") {
        return incomplete(
            fmt::format("Credential should be scoped to a valid region, service and aws4_request "
                        "terminator: '{}'. {}",
                        a.credential, shown));
    }

    // Who signed: the one configured key (and its token, when it has one).
    const header* token_header = find_header(request.headers, "X-Amz-Security-Token");
    const std::string_view token = token_header != nullptr ? trim(token_header->value) : "";
    if (scope[0] != config_.credentials.access_key_id ||
        token != config_.credentials.session_token) {
        return sigv4_rejection{errc::unrecognized_client, "UnrecognizedClientException",
                               std::string{unrecognized_message}};
    }

    // When: X-Amz-Date within the allowed skew of our clock.
    const std::string_view amz_date = trim(date_header->value);
    const auto signed_at = parse_amz_date(amz_date);
    if (!signed_at) {
        return incomplete(
            fmt::format("Date must be in ISO-8601 'basic format'. Got '{}'. See "
                        "http://en.wikipedia.org/wiki/ISO_8601",
                        amz_date));
    }
    const std::int64_t now = clock_.now_ms() / 1000;
    const std::int64_t skew = config_.max_skew.count();
    const std::int64_t minutes = skew / 60;
    if (*signed_at < now - skew) {
        return invalid(fmt::format("Signature expired: {} is now earlier than {} ({} - {} min.)",
                                   amz_date, amz_date_of(now - skew), amz_date_of(now), minutes));
    }
    if (*signed_at > now + skew) {
        return invalid(
            fmt::format("Signature not yet current: {} is still later than {} ({} + {} min.)",
                        amz_date, amz_date_of(now + skew), amz_date_of(now), minutes));
    }

    // Scope: the date of X-Amz-Date, our region and service.
    if (scope[1] != amz_date.substr(0, 8)) {
        return invalid(fmt::format(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            "from HTTP: '{}' != '{}', from '{}'.",
            scope[1], amz_date.substr(0, 8), amz_date));
    }
    if (scope[2] != config_.region) {
        return invalid(
            fmt::format("Credential should be scoped to a valid region, not '{}'. ", scope[2]));
    }
    if (scope[3] != config_.service) {
        return invalid(
            fmt::format("Credential should be scoped to correct service: '{}'. ", config_.service));
    }

    // Recompute over exactly the headers the client says it signed, and the raw target.
    signing_request sr;
    sr.method = std::string{request.method};
    const auto q = request.target.find('?');
    sr.path = std::string{request.target.substr(0, q)};
    if (q != std::string_view::npos) {
        sr.query = std::string{request.target.substr(q + 1)};
    }
    bool token_signed = false;
    for (std::string_view names = a.signed_headers; !names.empty();) {
        const auto semi = names.find(';');
        const std::string_view name = names.substr(0, semi);
        names = semi == std::string_view::npos ? std::string_view{} : names.substr(semi + 1);
        if (name == "x-amz-security-token") {
            token_signed = true;
        }
        for (const auto& h : request.headers) {
            if (ascii::iequals(h.name, name)) {
                sr.headers.push_back(h);
            }
        }
    }
    sr.payload = std::string{request.body};
    signing_params params;
    params.region = config_.region;
    params.service = config_.service;
    params.time = std::chrono::system_clock::time_point{std::chrono::seconds{*signed_at}};
    params.omit_session_token = !token_signed;
    result<signed_headers> expected = [&] {
        std::lock_guard lock{mutex_};
        return signer_.sign(sr, config_.credentials, params);
    }();
    if (!expected || expected->signed_header_names != a.signed_headers ||
        !constant_time_equal(expected->signature, a.signature)) {
        return invalid(std::string{mismatch_message});
    }
    return std::nullopt;
}

}  // namespace lift::aws
