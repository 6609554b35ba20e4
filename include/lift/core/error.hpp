/// @file error.hpp
/// Error codes and the error value carried by `lift::result`.
///
///     lift::result<int> r = lift::fail(lift::errc::gone, "connection closed");
///     if (!r && r.error().code == lift::condition::gone) { /* prune it */ }
#pragma once

#include <string>
#include <system_error>

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>

namespace lift {

/// Error codes of lift::core and of the gateway. Values are never renumbered or reused.
enum class errc {
    invalid_argument = 1,   ///< a caller passed something malformed
    parse_error = 2,        ///< input was not valid JSON or not of the expected shape
    not_found = 3,          ///< no such item
    gone = 4,               ///< the connection does not exist (any more), AWS GoneException
    payload_too_large = 5,  ///< over a size limit, AWS PayloadTooLargeException
    limit_exceeded = 6,     ///< a queue or rate cap was hit, AWS LimitExceededException
    forbidden = 7,          ///< the caller may not do this, AWS ForbiddenException
    timeout = 8,            ///< a deadline passed
    handler_failed = 9,     ///< a handler threw or returned an error
    no_route = 10,          ///< no route matched and there is no `$default`
    unavailable = 11,       ///< a transport or service failed; may succeed later
    internal = 12,          ///< a bug or an unexpected state
    unauthorized = 13,      ///< no or bad credentials: a Lambda authorizer's "Unauthorized" (401)
};

/// Conditions to decide on, independent of which module produced an error.
enum class condition {
    retryable = 1,  ///< try again (transient failure)
    throttled = 2,  ///< try again later, slower
    gone = 3,       ///< the target no longer exists: forget it
    not_found = 4,
    invalid = 5,  ///< fix the input; retrying cannot help
    auth = 6,     ///< credentials or permissions
};

/// The category of `lift::errc`.
const boost::system::error_category& core_category() noexcept;

/// The category of `lift::condition`.
const boost::system::error_category& condition_category() noexcept;

/// Makes an error_code from a core error enum (found by ADL).
boost::system::error_code make_error_code(errc e) noexcept;

/// Makes an error_condition from a condition enum (found by ADL).
boost::system::error_condition make_error_condition(condition c) noexcept;

/// The error held by a failed `lift::result`: a code to decide on and a message for people.
struct error {
    boost::system::error_code code;  ///< what failed (compare with `errc` or `condition`)
    std::string message;             ///< human-readable detail; never contains secrets

    error() = default;

    /// Builds an error from any error_code and a message.
    error(boost::system::error_code c, std::string msg) : code(c), message(std::move(msg)) {}

    /// Builds an error from a core code and a message.
    error(errc c, std::string msg) : code(make_error_code(c)), message(std::move(msg)) {}

    /// "message (category:value)" for logs.
    std::string what() const;
};

/// Called by `result<T>::value()` on failure; throws `boost::system::system_error`.
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

}  // namespace lift

namespace boost::system {
template <>
struct is_error_code_enum<lift::errc> : std::true_type {};

template <>
struct is_error_condition_enum<lift::condition> : std::true_type {};
}  // namespace boost::system
