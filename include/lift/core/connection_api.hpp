/// @file connection_api.hpp
/// The API Gateway management API (`@connections`) as an interface: post to, look up and close
/// connections. The gateway implements it in-process; lift::aws implements it over HTTPS.
///
///     auto r = api.post_to_connection(id, R"({"hello":1})");
///     if (!r && r.error().code == lift::condition::gone) store.remove(id);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <lift/core/result.hpp>

namespace lift {

/// What GetConnection returns.
struct connection_info {
    std::int64_t connected_at = 0;          ///< epoch ms
    std::int64_t last_active_at = 0;        ///< epoch ms of the last frame in either direction
    std::string source_ip;                  ///< `identity.sourceIp`
    std::optional<std::string> user_agent;  ///< `identity.userAgent`, null when none was sent
};

/// Management API operations. Errors: `errc::gone` (410: unknown, connecting or closed id),
/// `errc::payload_too_large` (413: data over 131072 bytes), `errc::limit_exceeded` (429: the
/// client's outbound buffer is full), `errc::forbidden` (403), `errc::unavailable` (transport).
/// Implementations are thread-safe.
class connection_api {
public:
    virtual ~connection_api() = default;

    /// PostToConnection: sends `data` to the client as one text message.
    [[nodiscard]] virtual result<void> post_to_connection(std::string_view connection_id,
                                                          std::string_view data) = 0;

    /// GetConnection.
    [[nodiscard]] virtual result<connection_info> get_connection(
        std::string_view connection_id) = 0;

    /// DeleteConnection: closes the socket (the `$disconnect` event then carries 1000,
    /// "Connection Closed Normally").
    [[nodiscard]] virtual result<void> delete_connection(std::string_view connection_id) = 0;

    /// Posts `data` to every id; one result per id, in order. The default loops over
    /// `post_to_connection`; implementations may fan out concurrently.
    [[nodiscard]] virtual std::vector<result<void>> post_many(
        std::span<const std::string> connection_ids, std::string_view data);
};

}  // namespace lift
