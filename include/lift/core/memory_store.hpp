/// @file memory_store.hpp
/// `connection_store` in process memory: the local default and the test double.
///
///     lift::system_clock clock;
///     lift::memory_store store{clock};
///     store.save({.connection_id = "abc=", .connected_at = clock.now_ms()});
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <lift/core/clock.hpp>
#include <lift/core/connection_store.hpp>

namespace lift {

/// Thread-safe in-memory connection store. Expired records are invisible to every read and
/// are dropped lazily. `clock` must outlive the store.
class memory_store final : public connection_store {
public:
    /// Uses `clock` to decide expiry.
    explicit memory_store(const lift::clock& clock) : clock_(clock) {}

    [[nodiscard]] result<void> save(const connection_record& record) override;
    [[nodiscard]] result<std::optional<connection_record>> get(
        std::string_view connection_id) override;
    [[nodiscard]] result<void> remove(std::string_view connection_id) override;
    [[nodiscard]] result<std::vector<connection_record>> list_by_user(
        std::string_view user_id) override;
    [[nodiscard]] result<std::vector<connection_record>> list_by_tenant(
        std::string_view tenant_id) override;
    [[nodiscard]] result<std::vector<connection_record>> list_all() override;
    [[nodiscard]] result<std::size_t> count() override;

private:
    bool expired(const connection_record& r) const;

    const lift::clock& clock_;
    std::mutex mutex_;
    std::unordered_map<std::string, connection_record> records_;
};

}  // namespace lift
