// SigV4 signing (botocore SigV4Auth rules; see docs in include/lift/aws/sigv4.hpp).
#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include <openssl/evp.h>

#include <lift/aws/sigv4.hpp>
#include <lift/core/ascii.hpp>

namespace lift::aws {

namespace detail {

struct digest_engine {
    EVP_MD* md = nullptr;
    EVP_MD_CTX* ctx = nullptr;
};

void digest_engine_deleter::operator()(digest_engine* engine) const noexcept {
    EVP_MD_CTX_free(engine->ctx);
    EVP_MD_free(engine->md);
    delete engine;
}

}  // namespace detail

namespace {

using engine_ptr = std::unique_ptr<detail::digest_engine, detail::digest_engine_deleter>;

// Fetches SHA-256 once (an implicit fetch per EVP_DigestInit costs about a microsecond).
engine_ptr make_engine() {
    engine_ptr engine(new detail::digest_engine{});
    engine->md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    engine->ctx = EVP_MD_CTX_new();
    if (engine->md == nullptr || engine->ctx == nullptr) {
        return nullptr;
    }
    return engine;
}

using digest = std::array<std::uint8_t, 32>;

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
constexpr std::size_t sha256_block = 64;
constexpr std::size_t max_cached_keys = 8;

// Headers botocore never signs (botocore.auth.SIGNED_HEADERS_BLACKLIST plus hop-by-hop).
constexpr std::array<std::string_view, 11> unsigned_headers = {"connection",
                                                               "expect",
                                                               "keep-alive",
                                                               "proxy-authenticate",
                                                               "proxy-authorization",
                                                               "te",
                                                               "trailer",
                                                               "transfer-encoding",
                                                               "upgrade",
                                                               "user-agent",
                                                               "x-amzn-trace-id"};

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// RFC 7230 token characters, the only ones allowed in a header name.
bool is_token_char(unsigned char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

using ascii::lower;

constexpr std::string_view hex_upper = "0123456789ABCDEF";
constexpr std::string_view hex_lower = "0123456789abcdef";

// Percent-encodes everything except unreserved characters (and '/' when keep_slash).
void uri_encode(std::string_view in, bool keep_slash, std::string& out) {
    std::size_t run = 0;  // start of the pending run of characters kept as they are
    for (std::size_t i = 0; i < in.size(); ++i) {
        const auto c = static_cast<unsigned char>(in[i]);
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            continue;
        }
        out.append(in.substr(run, i - run));
        const char escape[3] = {'%', hex_upper[c >> 4U], hex_upper[c & 0xFU]};
        out.append(escape, sizeof escape);
        run = i + 1;
    }
    out.append(in.substr(run));
}

using ascii::hex_value;

// Decodes %XX escapes ('+' stays literal). Fails on a malformed escape.
result<std::string> percent_decode(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size()) {
            return fail(errc::invalid_argument, "sigv4: truncated percent escape in query");
        }
        const int hi = hex_value(in[i + 1]);
        const int lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0) {
            return fail(errc::invalid_argument, "sigv4: malformed percent escape in query");
        }
        out.push_back(static_cast<char>((hi << 4) | lo));
        i += 2;
    }
    return out;
}

void append_hex(const std::uint8_t* data, std::size_t size, std::string& out) {
    const std::size_t at = out.size();
    out.resize(at + size * 2);
    char* p = out.data() + at;
    for (std::size_t i = 0; i < size; ++i) {
        *p++ = hex_lower[data[i] >> 4U];
        *p++ = hex_lower[data[i] & 0xFU];
    }
}

std::string to_hex(const digest& d) {
    std::string out;
    out.reserve(d.size() * 2);
    append_hex(d.data(), d.size(), out);
    return out;
}

std::string_view as_view(const digest& d) {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
}

bool sha256(detail::digest_engine& engine, std::string_view data, digest& out) {
    unsigned int len = 0;
    return EVP_DigestInit_ex2(engine.ctx, engine.md, nullptr) == 1 &&
           EVP_DigestUpdate(engine.ctx, data.data(), data.size()) == 1 &&
           EVP_DigestFinal_ex(engine.ctx, out.data(), &len) == 1 && len == out.size();
}

// HMAC-SHA256 (RFC 2104) on top of the engine's digest: no MAC fetch per call.
bool hmac_sha256(detail::digest_engine& engine,
                 std::string_view key,
                 std::string_view data,
                 digest& out) {
    std::array<std::uint8_t, sha256_block> block{};
    if (key.size() > sha256_block) {
        digest hashed{};
        if (!sha256(engine, key, hashed)) {
            return false;
        }
        std::memcpy(block.data(), hashed.data(), hashed.size());
    } else if (!key.empty()) {
        std::memcpy(block.data(), key.data(), key.size());
    }
    std::array<std::uint8_t, sha256_block> ipad{};
    std::array<std::uint8_t, sha256_block> opad{};
    for (std::size_t i = 0; i < sha256_block; ++i) {
        ipad[i] = static_cast<std::uint8_t>(block[i] ^ 0x36U);
        opad[i] = static_cast<std::uint8_t>(block[i] ^ 0x5cU);
    }
    digest inner{};
    unsigned int len = 0;
    EVP_MD_CTX* ctx = engine.ctx;
    return EVP_DigestInit_ex2(ctx, engine.md, nullptr) == 1 &&
           EVP_DigestUpdate(ctx, ipad.data(), ipad.size()) == 1 &&
           EVP_DigestUpdate(ctx, data.data(), data.size()) == 1 &&
           EVP_DigestFinal_ex(ctx, inner.data(), &len) == 1 &&
           EVP_DigestInit_ex2(ctx, engine.md, nullptr) == 1 &&
           EVP_DigestUpdate(ctx, opad.data(), opad.size()) == 1 &&
           EVP_DigestUpdate(ctx, inner.data(), inner.size()) == 1 &&
           EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
}

bool is_hex_sha256(std::string_view s) {
    return s.size() == 64 &&
           std::all_of(s.begin(), s.end(), [](char c) { return hex_value(c) >= 0; });
}

// RFC 3986 5.2.4 plus removal of empty segments, exactly as botocore's remove_dot_segments.
std::string remove_dot_segments(std::string_view path) {
    if (path.empty()) {
        return {};
    }
    std::vector<std::string_view> segments;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        const std::size_t next = std::min(path.find('/', pos), path.size());
        const std::string_view seg = path.substr(pos, next - pos);
        if (seg == "..") {
            if (!segments.empty()) {
                segments.pop_back();
            }
        } else if (!seg.empty() && seg != ".") {
            segments.push_back(seg);
        }
        pos = next + 1;
    }
    std::string out;
    out.reserve(path.size());
    if (path.front() == '/') {
        out.push_back('/');
    }
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (i != 0) {
            out.push_back('/');
        }
        out.append(segments[i]);
    }
    if (path.back() == '/' && !segments.empty()) {
        out.push_back('/');
    }
    return out;
}

result<std::string> canonical_uri(std::string_view path, bool normalize) {
    if (path.empty()) {
        path = "/";
    }
    if (path.front() != '/') {
        return fail(errc::invalid_argument, "sigv4: path must start with '/'");
    }
    std::string out;
    out.reserve(path.size() + 16);
    if (normalize) {
        std::string normalized = remove_dot_segments(path);
        if (normalized.empty()) {
            normalized = "/";
        }
        uri_encode(normalized, true, out);
    } else {
        uri_encode(path, true, out);
    }
    return out;
}

result<std::string> canonical_query(std::string_view query) {
    if (query.empty()) {
        return std::string{};
    }
    std::vector<std::pair<std::string, std::string>> pairs;
    std::size_t pos = 0;
    while (pos <= query.size()) {
        const std::size_t next = std::min(query.find('&', pos), query.size());
        const std::string_view item = query.substr(pos, next - pos);
        pos = next + 1;
        if (item.empty()) {
            continue;
        }
        const std::size_t eq = item.find('=');
        auto key = percent_decode(item.substr(0, eq));
        if (!key) {
            return key.error();
        }
        auto value =
            percent_decode(eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1));
        if (!value) {
            return value.error();
        }
        std::pair<std::string, std::string> encoded;
        uri_encode(*key, false, encoded.first);
        uri_encode(*value, false, encoded.second);
        pairs.push_back(std::move(encoded));
    }
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (const auto& [k, v] : pairs) {
        if (!out.empty()) {
            out.push_back('&');
        }
        out.append(k).append("=").append(v);
    }
    return out;
}

// Trims and collapses runs of whitespace to one space (botocore: ' '.join(value.split())).
void append_collapsed(std::string_view value, std::string& out) {
    bool first = true;
    std::size_t i = 0;
    while (i < value.size()) {
        while (i < value.size() && is_space(value[i])) {
            ++i;
        }
        const std::size_t start = i;
        while (i < value.size() && !is_space(value[i])) {
            ++i;
        }
        if (i == start) {
            break;
        }
        if (!first) {
            out.push_back(' ');
        }
        out.append(value.substr(start, i - start));
        first = false;
    }
}

bool is_unsigned_header(std::string_view lower_name) {
    return std::find(unsigned_headers.begin(), unsigned_headers.end(), lower_name) !=
           unsigned_headers.end();
}

// Everything signing needs, computed once and shared by canonical_request() and sign().
struct canonical_parts {
    std::string amz_date;
    std::string date;
    std::string payload_hash;
    std::string signed_header_names;
    std::string canonical_request;
    bool added_content_sha = false;
};

result<canonical_parts> build_canonical(detail::digest_engine& engine,
                                        const signing_request& req,
                                        const credentials& creds,
                                        const signing_params& params) {
    if (req.method.empty()) {
        return fail(errc::invalid_argument, "sigv4: empty method");
    }
    auto amz_date = format_amz_date(params.time);
    if (!amz_date) {
        return amz_date.error();
    }
    canonical_parts parts;
    parts.amz_date = std::move(*amz_date);
    parts.date = parts.amz_date.substr(0, 8);

    // Headers: lower-case name, collapsed value; signing adds its own x-amz-* headers.
    std::vector<std::pair<std::string, std::string>> headers;
    headers.reserve(req.headers.size() + 3);
    std::string user_content_sha;
    bool has_host = false;
    for (const auto& h : req.headers) {
        if (h.name.empty() || !std::all_of(h.name.begin(), h.name.end(), [](char c) {
                return is_token_char(static_cast<unsigned char>(c));
            })) {
            return fail(errc::invalid_argument, "sigv4: invalid header name '" + h.name + "'");
        }
        std::string name = lower(h.name);
        if (is_unsigned_header(name) || name == "authorization" || name == "x-amz-date" ||
            name == "x-amz-security-token") {
            continue;
        }
        std::string value;
        value.reserve(h.value.size());
        append_collapsed(h.value, value);
        if (name == "host") {
            has_host = true;
        } else if (name == "x-amz-content-sha256") {
            user_content_sha = value;
        }
        headers.emplace_back(std::move(name), std::move(value));
    }
    if (!has_host) {
        return fail(errc::invalid_argument, "sigv4: request has no Host header");
    }

    if (!params.payload_hash.empty()) {
        if (!is_hex_sha256(params.payload_hash)) {
            return fail(errc::invalid_argument, "sigv4: payload_hash is not a hex SHA-256");
        }
        parts.payload_hash = lower(params.payload_hash);
    } else if (!user_content_sha.empty()) {
        parts.payload_hash = user_content_sha;
    } else {
        digest d{};
        if (!sha256(engine, req.payload, d)) {
            return fail(errc::internal, "sigv4: SHA-256 failed");
        }
        parts.payload_hash = to_hex(d);
    }

    headers.emplace_back("x-amz-date", parts.amz_date);
    if (!creds.session_token.empty() && !params.omit_session_token) {
        headers.emplace_back("x-amz-security-token", creds.session_token);
    }
    if (params.sign_body && user_content_sha.empty()) {
        headers.emplace_back("x-amz-content-sha256", parts.payload_hash);
        parts.added_content_sha = true;
    }
    std::stable_sort(headers.begin(), headers.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });

    auto uri = canonical_uri(req.path, params.normalize_path);
    if (!uri) {
        return uri.error();
    }
    auto query = canonical_query(req.query);
    if (!query) {
        return query.error();
    }

    std::string& out = parts.canonical_request;
    out.reserve(256 + req.path.size() * 2 + req.query.size() * 2);
    for (char c : req.method) {
        out.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
    }
    out.push_back('\n');
    out.append(*uri).push_back('\n');
    out.append(*query).push_back('\n');
    for (std::size_t i = 0; i < headers.size(); ++i) {
        const bool continues = i != 0 && headers[i].first == headers[i - 1].first;
        if (continues) {
            out.push_back(',');
        } else {
            if (i != 0) {
                out.push_back('\n');
                parts.signed_header_names.push_back(';');
            }
            out.append(headers[i].first).push_back(':');
            parts.signed_header_names.append(headers[i].first);
        }
        out.append(headers[i].second);
    }
    out.append("\n\n");
    out.append(parts.signed_header_names).push_back('\n');
    out.append(parts.payload_hash);
    return parts;
}

bool append_string_to_sign(detail::digest_engine& engine,
                           std::string_view amz_date,
                           std::string_view scope,
                           std::string_view canonical_request,
                           std::string& out) {
    out.reserve(algorithm.size() + amz_date.size() + scope.size() + 64 + 3);
    out.append(algorithm).push_back('\n');
    out.append(amz_date).push_back('\n');
    out.append(scope).push_back('\n');
    digest d{};
    if (!sha256(engine, canonical_request, d)) {
        return false;
    }
    append_hex(d.data(), d.size(), out);
    return true;
}

}  // namespace

std::vector<header> signed_headers::headers() const {
    std::vector<header> out;
    out.reserve(4);
    out.push_back({"Authorization", authorization});
    out.push_back({"X-Amz-Date", amz_date});
    if (!security_token.empty()) {
        out.push_back({"X-Amz-Security-Token", security_token});
    }
    if (!content_sha256.empty()) {
        out.push_back({"X-Amz-Content-SHA256", content_sha256});
    }
    return out;
}

result<std::string> format_amz_date(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto secs = floor<seconds>(time);
    const auto days = floor<std::chrono::days>(secs);
    const year_month_day ymd{days};
    const hh_mm_ss hms{secs - days};
    const int y = static_cast<int>(ymd.year());
    if (y < 1970 || y > 9999) {
        return fail(errc::invalid_argument, "sigv4: signing time out of range");
    }
    std::string out(16, '0');
    auto put = [&out](std::size_t pos, unsigned value, std::size_t width) {
        for (std::size_t i = 0; i < width; ++i) {
            out[pos + width - 1 - i] = static_cast<char>('0' + value % 10U);
            value /= 10U;
        }
    };
    put(0, static_cast<unsigned>(y), 4);
    put(4, static_cast<unsigned>(ymd.month()), 2);
    put(6, static_cast<unsigned>(ymd.day()), 2);
    out[8] = 'T';
    put(9, static_cast<unsigned>(hms.hours().count()), 2);
    put(11, static_cast<unsigned>(hms.minutes().count()), 2);
    put(13, static_cast<unsigned>(hms.seconds().count()), 2);
    out[15] = 'Z';
    return out;
}

result<std::string> canonical_request(const signing_request& req,
                                      const credentials& creds,
                                      const signing_params& params) {
    const engine_ptr engine = make_engine();
    if (!engine) {
        return fail(errc::internal, "sigv4: OpenSSL SHA-256 unavailable");
    }
    auto parts = build_canonical(*engine, req, creds, params);
    if (!parts) {
        return parts.error();
    }
    return std::move(parts->canonical_request);
}

std::string string_to_sign(std::string_view amz_date,
                           std::string_view scope,
                           std::string_view canonical_request) {
    const engine_ptr engine = make_engine();
    std::string out;
    if (engine) {
        append_string_to_sign(*engine, amz_date, scope, canonical_request, out);
    }
    return out;
}

const signer::key_bytes& signer::signing_key(detail::digest_engine& engine,
                                             const credentials& creds,
                                             std::string_view date,
                                             const signing_params& params) {
    for (const auto& e : cache_) {
        if (e.date == date && e.region == params.region && e.service == params.service &&
            e.secret == creds.secret_access_key) {
            return e.key;
        }
    }
    // A new day invalidates every older key; otherwise keep a few (services x regions).
    std::erase_if(cache_, [&](const cache_entry& e) { return e.date != date; });
    if (cache_.size() >= max_cached_keys) {
        cache_.erase(cache_.begin());
    }
    cache_entry entry{
        creds.secret_access_key, std::string(date), params.region, params.service, {}};
    digest k{};
    hmac_sha256(engine, "AWS4" + creds.secret_access_key, date, k);
    hmac_sha256(engine, as_view(k), params.region, k);
    hmac_sha256(engine, as_view(k), params.service, k);
    hmac_sha256(engine, as_view(k), "aws4_request", k);
    entry.key = k;
    cache_.push_back(std::move(entry));
    return cache_.back().key;
}

result<signed_headers> signer::sign(const signing_request& req,
                                    const credentials& creds,
                                    const signing_params& params) {
    if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
        return fail(errc::invalid_argument, "sigv4: incomplete credentials");
    }
    if (params.region.empty() || params.service.empty()) {
        return fail(errc::invalid_argument, "sigv4: region and service are required");
    }
    if (!engine_) {
        engine_ = make_engine();
        if (!engine_) {
            return fail(errc::internal, "sigv4: OpenSSL SHA-256 unavailable");
        }
    }
    auto parts = build_canonical(*engine_, req, creds, params);
    if (!parts) {
        return parts.error();
    }
    signed_headers out;
    std::string scope;
    scope.reserve(8 + params.region.size() + params.service.size() + 16);
    scope.append(parts->date)
        .append("/")
        .append(params.region)
        .append("/")
        .append(params.service)
        .append("/aws4_request");
    if (!append_string_to_sign(*engine_, parts->amz_date, scope, parts->canonical_request,
                               out.string_to_sign)) {
        return fail(errc::internal, "sigv4: SHA-256 failed");
    }

    const key_bytes& key = signing_key(*engine_, creds, parts->date, params);
    digest sig{};
    if (!hmac_sha256(*engine_, {reinterpret_cast<const char*>(key.data()), key.size()},
                     out.string_to_sign, sig)) {
        return fail(errc::internal, "sigv4: HMAC-SHA256 failed");
    }
    out.signature = to_hex(sig);
    out.authorization.reserve(algorithm.size() + creds.access_key_id.size() + scope.size() +
                              parts->signed_header_names.size() + 100);
    out.authorization.append(algorithm)
        .append(" Credential=")
        .append(creds.access_key_id)
        .append("/")
        .append(scope)
        .append(", SignedHeaders=")
        .append(parts->signed_header_names)
        .append(", Signature=")
        .append(out.signature);
    out.amz_date = std::move(parts->amz_date);
    out.security_token = creds.session_token;
    if (parts->added_content_sha) {
        out.content_sha256 = parts->payload_hash;
    }
    out.signed_header_names = std::move(parts->signed_header_names);
    out.canonical_request = std::move(parts->canonical_request);
    return out;
}

}  // namespace lift::aws
