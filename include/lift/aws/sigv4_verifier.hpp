/// @file sigv4_verifier.hpp
/// Server-side SigV4 checking, as API Gateway does for IAM-authorized requests: the local
/// gateway uses it for `@connections` with `--verify-sigv4`. The signature is recomputed over
/// the raw request target as received (the client signed the path it sent, so decoding it
/// first would break ids such as `R1kmxc2VNjMCFIA=` sent as `%3D`).
///
///     lift::aws::sigv4_verifier verifier({.credentials = creds, .region = "us-east-1"}, clock);
///     if (auto no = verifier.check({"POST", "/dev/@connections/abc%3D", headers, body}))
///         respond(403, no->error_type, R"({"message":")" + no->message + "\"}");
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <lift/aws/error.hpp>
#include <lift/aws/sigv4.hpp>
#include <lift/core/clock.hpp>

namespace lift::aws {

/// What the verifier accepts.
struct sigv4_verifier_config {
    aws::credentials credentials;  ///< the one key pair (and token, if any) that may sign
    std::string region = "us-east-1";
    std::string service = "execute-api";
    /// Allowed difference between `X-Amz-Date` and the verifier's clock, both ways. API Gateway
    /// answers "... - 5 min." (observed); other services use 15 minutes.
    std::chrono::seconds max_skew{300};
};

/// A request as received.
struct sigv4_incoming {
    std::string_view method;          ///< as received
    std::string_view target;          ///< raw path and query (`/dev/@connections/a%3D?x=1`)
    std::span<const header> headers;  ///< every header as received (names in any case)
    std::string_view body;            ///< the body bytes
};

/// Why a request was refused, in API Gateway's terms (HTTP 403).
struct sigv4_rejection {
    aws::errc code;          ///< `missing_authentication`, `unrecognized_client`,
                             ///< `invalid_signature`
    std::string error_type;  ///< the `x-amzn-ErrorType` value, e.g. `InvalidSignatureException`
    std::string message;     ///< the `message` of the JSON body (AWS's wording; no secrets)
};

/// Checks `Authorization: AWS4-HMAC-SHA256 ...` headers against one set of credentials:
/// - no `Authorization` header → `MissingAuthenticationTokenException`,
///   "Missing Authentication Token";
/// - a malformed header, another algorithm or no `X-Amz-Date` →
///   `IncompleteSignatureException` with a message naming what is missing;
/// - another access key id, or a session token that differs from the configured one →
///   `UnrecognizedClientException`, "The security token included in the request is invalid.";
/// - `X-Amz-Date` outside `max_skew` → `InvalidSignatureException`, "Signature expired: ..."
///   or "Signature not yet current: ..." (AWS's wording);
/// - a credential scope with another date, region or service, or a signature that does not
///   match → `InvalidSignatureException` (AWS's "The request signature we calculated does not
///   match ..." text for the latter).
/// Thread-safe (the signer is guarded by a mutex). `clk` must outlive the verifier.
class sigv4_verifier {
public:
    /// A verifier for `config`, reading the time from `clk`.
    sigv4_verifier(sigv4_verifier_config config, const lift::clock& clk);

    sigv4_verifier(const sigv4_verifier&) = delete;
    sigv4_verifier& operator=(const sigv4_verifier&) = delete;

    /// nullopt when the request is signed correctly, else why not.
    [[nodiscard]] std::optional<sigv4_rejection> check(const sigv4_incoming& request);

    /// The settings in use.
    [[nodiscard]] const sigv4_verifier_config& config() const noexcept { return config_; }

private:
    sigv4_verifier_config config_;
    const lift::clock& clock_;
    std::mutex mutex_;
    aws::signer signer_;
};

}  // namespace lift::aws
