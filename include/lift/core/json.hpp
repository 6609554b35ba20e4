/// @file json.hpp
/// JSON mapping of `websocket_event` and `reply`, both ways, in AWS's member names and order.
///
///     auto ev = lift::parse_event(bytes);        // result<websocket_event>
///     std::string out = lift::serialize(*ev);    // same members back
#pragma once

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include <lift/core/event.hpp>
#include <lift/core/reply.hpp>
#include <lift/core/result.hpp>

namespace lift {

/// Parses a proxy event. Unknown members are kept in `extra`; absent or null optional members
/// become nullopt. Fails with `errc::parse_error` on invalid JSON or a member of the wrong type.
[[nodiscard]] result<websocket_event> parse_event(std::string_view json);

/// Maps an already parsed JSON value; same rules as `parse_event`.
[[nodiscard]] result<websocket_event> event_from_json(const boost::json::value& v);

/// The event as JSON, members in the order real captures show; nullopt members are omitted.
boost::json::value to_json(const websocket_event& ev);

/// `to_json(ev)` serialised.
std::string serialize(const websocket_event& ev);

/// Parses a proxy response. `statusCode` may be a number or a numeric string (Lambda accepts
/// both); a missing `statusCode` is 200. Fails with `errc::parse_error` otherwise.
[[nodiscard]] result<reply> parse_reply(std::string_view json);

/// Maps an already parsed JSON value; same rules as `parse_reply`.
[[nodiscard]] result<reply> reply_from_json(const boost::json::value& v);

/// The response as JSON; empty header maps and an absent body are omitted.
boost::json::value to_json(const reply& r);

/// `to_json(r)` serialised.
std::string serialize(const reply& r);

}  // namespace lift
