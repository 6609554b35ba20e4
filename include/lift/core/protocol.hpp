/// @file protocol.hpp
/// API Gateway WebSocket wire constants and the exact error frames AWS sends.
///
///     ws.send(lift::forbidden_frame(cid, rid));
///     // {"message": "Forbidden", "connectionId":"…", "requestId":"…"}
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <lift/core/event.hpp>

namespace lift::protocol {

inline constexpr std::size_t max_frame_bytes = 32 * 1024;       ///< larger frame → close 1009
inline constexpr std::size_t max_message_bytes = 128 * 1024;    ///< larger message → close 1009
inline constexpr std::size_t max_post_bytes = 131072;           ///< PostToConnection → 413 above
inline constexpr std::int64_t idle_timeout_seconds = 600;       ///< 10 minutes
inline constexpr std::int64_t max_lifetime_seconds = 7200;      ///< 2 hours
inline constexpr std::int64_t integration_timeout_ms = 29000;   ///< 29 s (50 ms – 29 s)
inline constexpr std::int64_t min_integration_timeout_ms = 50;  ///< AWS minimum

inline constexpr std::string_view connect_route = "$connect";
inline constexpr std::string_view disconnect_route = "$disconnect";
inline constexpr std::string_view default_route = "$default";

/// Close codes and the reasons AWS reports in `$disconnect`.
inline constexpr std::uint16_t close_normal = 1000;
inline constexpr std::uint16_t close_going_away = 1001;
inline constexpr std::uint16_t close_unsupported_data = 1003;
inline constexpr std::uint16_t close_no_status = 1005;
inline constexpr std::uint16_t close_abnormal = 1006;
inline constexpr std::uint16_t close_invalid_payload = 1007;
inline constexpr std::uint16_t close_too_big = 1009;
inline constexpr std::string_view reason_closed_normally = "Connection Closed Normally";
inline constexpr std::string_view reason_going_away = "Going away";
inline constexpr std::string_view reason_no_status = "Client-side close frame status not set";

/// `{"message": "Forbidden", "connectionId":"<cid>", "requestId":"<rid>"}`, AWS's spacing.
std::string forbidden_frame(std::string_view connection_id, std::string_view request_id);

/// `{"message": "Internal server error", "connectionId":"<cid>", "requestId":"<rid>"}`.
std::string internal_error_frame(std::string_view connection_id, std::string_view request_id);

/// API Gateway's fixed `$disconnect` header set:
/// `{"Host": domain, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}`.
string_map disconnect_headers(std::string_view domain);

}  // namespace lift::protocol
