// DynamoDB AttributeValue <-> Boost.JSON, and base64 for B/BS. Private to lift::aws.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <lift/aws/dynamodb.hpp>
#include <lift/core/result.hpp>

namespace lift::aws::detail {

/// Standard base64 with padding.
[[nodiscard]] std::string base64_encode(std::string_view bytes);

/// Decodes standard base64 (padding required when the length is not a multiple of 4 is not
/// enforced; whitespace is rejected). nullopt on any invalid character or length.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

/// `{"S":"a"}` etc.
[[nodiscard]] boost::json::value to_json(const attribute_value& v);

/// `{"pk":{"S":"a"}, ...}`.
[[nodiscard]] boost::json::object to_json(const attribute_map& item);

/// Parses one AttributeValue; `path` names it in error messages (e.g. `Item.pk`).
/// Fails with `aws::errc::bad_response` on anything malformed.
[[nodiscard]] result<attribute_value> attribute_from_json(const boost::json::value& v,
                                                          const std::string& path);

/// Parses an item or key; `path` names it in error messages.
[[nodiscard]] result<attribute_map> attribute_map_from_json(const boost::json::value& v,
                                                            const std::string& path);

}  // namespace lift::aws::detail
