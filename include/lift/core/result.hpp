/// @file result.hpp
/// `lift::result<T>`: a value or a `lift::error`. Use only the subset shared with
/// `std::expected` (has_value, explicit bool, value, error, *, ->).
///
///     lift::result<std::string> load() { return lift::fail(lift::errc::not_found, "no file"); }
///     auto r = load(); if (!r) log(r.error().message);
#pragma once

#include <string>

#include <boost/system/result.hpp>

#include <lift/core/error.hpp>

namespace lift {

/// A value of type T or a `lift::error`.
template <class T>
using result = boost::system::result<T, error>;

/// Builds a failure. Every failure in the project goes through here, so a later switch to
/// `std::expected` changes this one function.
[[nodiscard]] inline error fail(errc code, std::string message) {
    return error{code, std::move(message)};
}

/// Builds a failure from any error code.
[[nodiscard]] inline error fail(boost::system::error_code code, std::string message) {
    return error{code, std::move(message)};
}

}  // namespace lift
