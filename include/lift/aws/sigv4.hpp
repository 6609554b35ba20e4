/// @file sigv4.hpp
/// AWS Signature Version 4 request signing, following botocore's `SigV4Auth` rules.
///
///     lift::aws::signer signer;
///     lift::aws::signing_request req{"POST", "/prod/@connections/R1kmxc2VNjMCFIA%3D", "",
///                                    {{"Host", "abc.execute-api.eu-west-1.amazonaws.com"}},
///                                    "hello"};
///     lift::aws::signing_params params;
///     params.region = "eu-west-1";
///     params.service = "execute-api";
///     params.time = std::chrono::system_clock::now();
///     auto signed_req = signer.sign(req, creds, params);
///     if (signed_req) for (auto& h : signed_req->headers()) add_header(h.name, h.value);
///
/// The canonical URI is the percent-encoding of the path *as sent on the wire* (double
/// encoding: a wire `%3D` becomes `%253D`, a literal `@` becomes `%40`), except that S3 is
/// signed with `normalize_path = false`.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <lift/core/result.hpp>

namespace lift::aws {

namespace detail {
/// Reusable SHA-256 state (a fetched digest and a context), defined in sigv4.cpp.
struct digest_engine;

/// Frees a `digest_engine`.
struct digest_engine_deleter {
    /// Releases the OpenSSL objects and the engine.
    void operator()(digest_engine* engine) const noexcept;
};
}  // namespace detail

/// AWS credentials. `session_token` is empty for long-term keys.
struct credentials {
    std::string access_key_id;      ///< e.g. `AKIDEXAMPLE`
    std::string secret_access_key;  ///< never logged
    std::string session_token;      ///< temporary credentials only; empty otherwise
};

/// One HTTP header as a name/value pair (names compare case-insensitively).
struct header {
    std::string name;   ///< as sent, any case
    std::string value;  ///< as sent; trimmed and whitespace-collapsed for signing
};

/// The parts of an HTTP request that SigV4 signs.
struct signing_request {
    std::string method;           ///< `GET`, `POST`, ... (upper-cased for signing)
    std::string path;             ///< raw path exactly as sent on the wire, starting with `/`
    std::string query;            ///< raw query string without `?`; may be empty
    std::vector<header> headers;  ///< must contain `Host`; repeated names are allowed
    std::string payload;          ///< body bytes (hashed unless `payload_hash` is set)
};

/// What to sign for and how.
struct signing_params {
    std::string region;                            ///< e.g. `us-east-1`
    std::string service;                           ///< `execute-api`, `dynamodb`, ...
    std::chrono::system_clock::time_point time{};  ///< signing time (UTC), second precision
    bool normalize_path = true;  ///< remove dot segments and duplicate slashes; false for S3
    bool sign_body = false;      ///< add and sign `X-Amz-Content-SHA256` (botocore does not for
                                 ///< execute-api/dynamodb)
    bool omit_session_token = false;  ///< send the token but leave it out of the signature
    std::string payload_hash;  ///< hex SHA-256 to use instead of hashing the payload, or empty
};

/// The result of signing: the headers to add and the intermediate strings (for tests/logs).
struct signed_headers {
    std::string authorization;        ///< value of `Authorization`
    std::string amz_date;             ///< value of `X-Amz-Date`, `YYYYMMDDTHHMMSSZ`
    std::string security_token;       ///< value of `X-Amz-Security-Token`, or empty (not sent)
    std::string content_sha256;       ///< value of `X-Amz-Content-SHA256` if `sign_body`, or empty
    std::string canonical_request;    ///< the SigV4 canonical request
    std::string string_to_sign;       ///< the SigV4 string to sign
    std::string signed_header_names;  ///< e.g. `host;x-amz-date`
    std::string signature;            ///< lower-case hex HMAC-SHA256

    /// The headers to add to the request (`Authorization`, `X-Amz-Date`, and
    /// `X-Amz-Security-Token` / `X-Amz-Content-SHA256` when set).
    [[nodiscard]] std::vector<header> headers() const;
};

/// Formats a time as `YYYYMMDDTHHMMSSZ`; fails outside years 1970..9999.
[[nodiscard]] result<std::string> format_amz_date(std::chrono::system_clock::time_point time);

/// Builds the canonical request for `req` as it will be signed, i.e. including the
/// `X-Amz-Date` (and token / content-hash) headers that signing adds. Fails with
/// `errc::invalid_argument` on malformed input (no Host, bad path or query escapes, ...).
[[nodiscard]] result<std::string> canonical_request(const signing_request& req,
                                                    const credentials& creds,
                                                    const signing_params& params);

/// Builds the string to sign from an `X-Amz-Date` value, the credential scope
/// (`date/region/service/aws4_request`) and the canonical request.
[[nodiscard]] std::string string_to_sign(std::string_view amz_date,
                                         std::string_view scope,
                                         std::string_view canonical_request);

/// Signs requests, caching the derived daily signing key per (secret, date, region, service).
/// Thread-compatible: `sign` mutates the cache, so use one signer per thread or lock around it.
/// Move-only (it owns a reusable OpenSSL digest context, created on first use).
class signer {
public:
    /// Signs `req`; returns the headers to add. Fails with `errc::invalid_argument` on
    /// malformed input or incomplete credentials/params.
    [[nodiscard]] result<signed_headers> sign(const signing_request& req,
                                              const credentials& creds,
                                              const signing_params& params);

    /// Number of cached signing keys (for tests).
    [[nodiscard]] std::size_t cached_keys() const noexcept { return cache_.size(); }

private:
    using key_bytes = std::array<std::uint8_t, 32>;

    struct cache_entry {
        std::string secret;
        std::string date;
        std::string region;
        std::string service;
        key_bytes key{};
    };

    const key_bytes& signing_key(detail::digest_engine& engine,
                                 const credentials& creds,
                                 std::string_view date,
                                 const signing_params& params);

    std::vector<cache_entry> cache_;
    std::unique_ptr<detail::digest_engine, detail::digest_engine_deleter> engine_;
};

}  // namespace lift::aws
