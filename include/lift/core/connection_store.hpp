/// @file connection_store.hpp
/// Where connections are remembered between invocations: an interface with an in-memory
/// implementation (`memory_store.hpp`) and a DynamoDB one (lift::aws). Records past their
/// `expires_at` are never returned, whether or not the backend has deleted them yet.
///
///     store.save(record);
///     auto r = store.list_by_user("alice");   // result<std::vector<connection_record>>
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <lift/core/identity.hpp>
#include <lift/core/result.hpp>

namespace lift {

/// One open connection as stored.
struct connection_record {
    std::string connection_id;      ///< API Gateway connection id
    std::int64_t connected_at = 0;  ///< epoch ms (`requestContext.connectedAt`)
    std::int64_t expires_at = 0;    ///< epoch seconds after which the record is dead; 0 = never
    std::string source_ip;          ///< from the handshake
    std::string user_agent;         ///< from the handshake, may be empty
    std::string stage;              ///< stage the connection came in on
    std::string domain_name;        ///< domain the connection came in on
    lift::identity identity;        ///< who the user is; empty when anonymous
    std::map<std::string, std::string> metadata;  ///< application data (room, name, flags)

    /// The user id used for `list_by_user` (identity.subject).
    const std::string& user_id() const noexcept { return identity.subject; }

    /// The tenant id used for `list_by_tenant` (identity.tenant).
    const std::string& tenant_id() const noexcept { return identity.tenant; }
};

/// Default record lifetime: API Gateway's 2 h connection cap plus a 10 minute margin.
inline constexpr std::int64_t default_record_ttl_seconds = 2 * 3600 + 600;

/// Connection storage. Implementations document their thread safety; all shipped ones are
/// thread-safe. Errors: `errc::unavailable` for backend failures (condition `retryable`),
/// `errc::invalid_argument` for an empty connection id.
class connection_store {
public:
    virtual ~connection_store() = default;

    /// Inserts or replaces the record with the same connection id.
    [[nodiscard]] virtual result<void> save(const connection_record& record) = 0;

    /// Replaces the record only if a live record with the same connection id exists, atomically
    /// (a conditional write on DynamoDB). Use it for changes made while the connection is open
    /// (metadata after `join`, ...): a `$disconnect` that removed the record meanwhile is not
    /// undone. Fails with `errc::gone` when there is no live record.
    [[nodiscard]] virtual result<void> update(const connection_record& record) = 0;

    /// The record, or nullopt when absent or expired.
    [[nodiscard]] virtual result<std::optional<connection_record>> get(
        std::string_view connection_id) = 0;

    /// Removes the record; removing an absent record succeeds.
    [[nodiscard]] virtual result<void> remove(std::string_view connection_id) = 0;

    /// Every live record whose `identity.subject` equals `user_id` (all pages).
    [[nodiscard]] virtual result<std::vector<connection_record>> list_by_user(
        std::string_view user_id) = 0;

    /// Every live record whose `identity.tenant` equals `tenant_id` (all pages).
    [[nodiscard]] virtual result<std::vector<connection_record>> list_by_tenant(
        std::string_view tenant_id) = 0;

    /// Every live record (for broadcast to all; a scan on DynamoDB).
    [[nodiscard]] virtual result<std::vector<connection_record>> list_all() = 0;

    /// Number of live records.
    [[nodiscard]] virtual result<std::size_t> count() = 0;
};

}  // namespace lift
