/// @file error.hpp
/// Error codes of the AWS wire clients (lift::aws): transport failures and the service errors
/// AWS names in `__type` / `x-amzn-ErrorType`. Every code maps to a `lift::condition`, so callers
/// and the retry driver decide without knowing which service failed.
///
///     auto r = ddb.put_item(req);
///     if (!r && r.error().code == lift::aws::errc::conditional_check_failed) { /* lost a race */ }
///     if (!r && r.error().code == lift::condition::throttled) { /* slow down */ }
#pragma once

#include <string_view>

#include <boost/system/error_code.hpp>

namespace lift::aws {

/// Error codes of lift::aws. Values are never renumbered or reused. The management API's
/// modeled errors use the core codes (`lift::errc::gone`, `forbidden`, `limit_exceeded`,
/// `payload_too_large`) so the HTTP client and the gateway's in-process API agree.
enum class errc {
    // Transport (condition `retryable` unless noted).
    connect_failed = 1,   ///< DNS, TCP connect or proxy failure
    tls_failed = 2,       ///< TLS handshake or certificate/host-name verification (`auth`)
    connection_lost = 3,  ///< the peer closed or reset while a request was in flight
    timeout = 4,          ///< connect or total timeout passed
    bad_response = 5,     ///< malformed HTTP, wrong content type, undecodable body (`invalid`)
    bad_endpoint = 6,     ///< an endpoint URL that cannot be used (`invalid`)
    // Service errors by `__type` (DynamoDB) or `x-amzn-ErrorType` (others).
    conditional_check_failed = 20,  ///< ConditionalCheckFailedException (`invalid`)
    validation = 21,                ///< ValidationException (`invalid`)
    resource_not_found = 22,        ///< ResourceNotFoundException (`not_found`)
    resource_in_use = 23,           ///< ResourceInUseException (e.g. table exists) (`invalid`)
    throughput_exceeded = 24,       ///< ProvisionedThroughputExceededException (`throttled`)
    throttling = 25,                ///< ThrottlingException and other throttle codes (`throttled`)
    request_limit_exceeded = 26,    ///< RequestLimitExceeded (`throttled`)
    transaction_canceled = 27,      ///< TransactionCanceledException (`invalid`)
    transaction_conflict = 28,      ///< TransactionConflictException (`invalid`)
    item_collection_size_exceeded = 29,  ///< ItemCollectionSizeLimitExceededException (`invalid`)
    internal_server_error = 30,          ///< InternalServerError, HTTP 5xx (`retryable`)
    service_unavailable = 31,            ///< HTTP 503 / ServiceUnavailable (`retryable`)
    invalid_signature = 40,              ///< InvalidSignatureException, incl. clock skew (`auth`)
    unrecognized_client = 41,            ///< UnrecognizedClientException: unknown key (`auth`)
    missing_authentication = 42,  ///< MissingAuthenticationToken / IncompleteSignature (`auth`)
    access_denied = 43,           ///< AccessDeniedException (`auth`)
    expired_token = 44,           ///< ExpiredTokenException (`auth`)
    unknown_service_error = 60,   ///< an error response whose code we do not model
};

/// The category of `lift::aws::errc` (name `lift.aws`). Its codes compare equal to the
/// `lift::condition` named beside each enumerator above.
const boost::system::error_category& aws_category() noexcept;

/// Makes an error_code from an aws error enum (found by ADL).
boost::system::error_code make_error_code(errc e) noexcept;

/// The bare error code of an AWS error type: the part after the last `#` and before any `:`
/// (`com.amazon.coral.validate#ValidationException` → `ValidationException`).
[[nodiscard]] std::string_view bare_error_code(std::string_view type) noexcept;

/// Maps an HTTP status and a bare AWS error code (may be empty) to a code: the modeled names
/// above first, then the throttle names `classify` knows (→ `throttling`), then the status
/// (5xx → `internal_server_error`/`service_unavailable`, 410/403/413/429 → the core codes).
/// Pure; thread-safe.
[[nodiscard]] boost::system::error_code error_code_for(int http_status,
                                                       std::string_view bare_code) noexcept;

}  // namespace lift::aws

namespace boost::system {
template <>
struct is_error_code_enum<lift::aws::errc> : std::true_type {};
}  // namespace boost::system
