/// @file event.hpp
/// The API Gateway WebSocket proxy event (CONNECT, MESSAGE, DISCONNECT) as C++ values.
/// Field presence follows AWS: `headers` only on CONNECT/DISCONNECT, `body` and `message_id`
/// only on MESSAGE, the disconnect fields only on DISCONNECT. JSON mapping: `lift/core/json.hpp`.
///
///     if (ev.type() == lift::event_type::message) use(*ev.body);
///     auto ua = ev.request_context.identity.user_agent.value_or("");
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace lift {

/// `requestContext.eventType`.
enum class event_type {
    connect = 1,     ///< "CONNECT", route `$connect`
    message = 2,     ///< "MESSAGE", a custom route or `$default`
    disconnect = 3,  ///< "DISCONNECT", route `$disconnect`
};

/// "CONNECT", "MESSAGE" or "DISCONNECT".
std::string_view to_string(event_type t) noexcept;

/// Single-value header or query map; keys keep the client's case (AWS forwards it as sent).
using string_map = std::map<std::string, std::string>;

/// Multi-value header or query map (`multiValueHeaders`, `multiValueQueryStringParameters`).
using multi_string_map = std::map<std::string, std::vector<std::string>>;

/// The multi-value form of a single-value map (each value becomes a one-element list), as
/// API Gateway fills `multiValueHeaders` next to `headers`.
multi_string_map to_multi_value(const string_map& single);

/// Case-insensitive header lookup in a `string_map`; nullptr when absent.
const std::string* find_header(const string_map& headers, std::string_view name) noexcept;

/// Query parameter lookup (exact name): the single-value map first, else the first value of the
/// multi-value map; nullptr when absent from both.
const std::string* find_query(const std::optional<string_map>& single,
                              const std::optional<multi_string_map>& multi,
                              std::string_view name) noexcept;

/// `requestContext.identity`: who is on the other end of the socket, as the network saw it.
struct request_identity {
    std::string source_ip;                  ///< `sourceIp`, always present
    std::optional<std::string> user_agent;  ///< `userAgent`, when the client sent one
    std::optional<std::string> api_key;     ///< `apiKey`, when `$connect` requires one
    std::optional<std::string> api_key_id;  ///< `apiKeyId`
    boost::json::object extra;              ///< other members (IAM fields), kept for round trip
};

/// `requestContext` of a WebSocket proxy event.
struct ws_request_context {
    std::string route_key;  ///< `routeKey`: `$connect`, `$default`, a custom key, ...
    event_type type = event_type::message;  ///< `eventType`
    std::string extended_request_id;        ///< `extendedRequestId` (equal to request_id on AWS)
    std::string request_time;               ///< `requestTime`, e.g. "20/Jan/2024:11:55:00 +0000"
    std::string message_direction = "IN";   ///< `messageDirection`, always "IN"
    std::string stage;                      ///< `stage`
    std::int64_t connected_at = 0;          ///< `connectedAt`, epoch ms, same on every event
    std::int64_t request_time_epoch = 0;    ///< `requestTimeEpoch`, epoch ms
    request_identity identity;              ///< `identity`
    std::string request_id;                 ///< `requestId`
    std::string domain_name;                ///< `domainName`
    std::string connection_id;              ///< `connectionId`
    std::string api_id;                     ///< `apiId`
    std::optional<std::string> message_id;  ///< `messageId`: MESSAGE only
    std::optional<int> disconnect_status_code;      ///< `disconnectStatusCode`: DISCONNECT only
    std::optional<std::string> disconnect_reason;   ///< `disconnectReason`: DISCONNECT only
    std::optional<boost::json::object> authorizer;  ///< `authorizer`: principalId + context
    boost::json::object extra;  ///< members this model does not name, kept for round trip
};

/// One WebSocket proxy event as API Gateway hands it to a Lambda function.
/// Absent and `null` members both read as `std::nullopt`; serialisation omits them.
struct websocket_event {
    ws_request_context request_context;                   ///< `requestContext`
    std::optional<string_map> headers;                    ///< `headers` (CONNECT, DISCONNECT)
    std::optional<multi_string_map> multi_value_headers;  ///< `multiValueHeaders`
    std::optional<string_map> query_string_parameters;    ///< `queryStringParameters`
    std::optional<multi_string_map> multi_value_query_string_parameters;
    std::optional<boost::json::object> stage_variables;  ///< `stageVariables`
    std::optional<std::string> body;                     ///< `body`: the text frame, MESSAGE only
    bool is_base64_encoded = false;                      ///< `isBase64Encoded`, always false on AWS
    boost::json::object extra;  ///< members this model does not name, kept for round trip

    /// Shorthand for `request_context.type`.
    event_type type() const noexcept { return request_context.type; }

    /// Shorthand for `request_context.connection_id`.
    const std::string& connection_id() const noexcept { return request_context.connection_id; }

    /// Shorthand for `request_context.route_key`.
    const std::string& route_key() const noexcept { return request_context.route_key; }

    /// First value of query parameter `name` on a CONNECT event; nullptr when absent.
    const std::string* query(std::string_view name) const noexcept;

    /// Case-insensitive lookup of a handshake header (CONNECT); nullptr when absent.
    const std::string* header(std::string_view name) const noexcept;
};

}  // namespace lift
