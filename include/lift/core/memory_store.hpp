/// @file memory_store.hpp
/// `connection_store` in process memory: the local default and the test double.
///
///     lift::memory_store store;   // or memory_store{my_clock} in tests
///     store.save({.connection_id = "R1kmxc2VNjMCFIA=", .connected_at = 1705751697419});
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <lift/core/clock.hpp>
#include <lift/core/connection_store.hpp>

namespace lift {

/// Thread-safe in-memory connection store. Expired records are invisible to every read and
/// are dropped lazily.
class memory_store final : public connection_store {
public:
    /// Uses the system clock to decide expiry.
    memory_store() : clock_(own_clock_) {}

    /// Uses `clock` to decide expiry; `clock` must outlive the store.
    explicit memory_store(const lift::clock& clock) : clock_(clock) {}

    memory_store(const memory_store&) = delete;
    memory_store& operator=(const memory_store&) = delete;

    [[nodiscard]] result<void> save(const connection_record& record) override;
    [[nodiscard]] result<std::optional<connection_record>> get(
        std::string_view connection_id) override;
    [[nodiscard]] result<void> update(const connection_record& record) override;
    [[nodiscard]] result<void> remove(std::string_view connection_id) override;
    [[nodiscard]] result<std::vector<connection_record>> list_by_user(
        std::string_view user_id) override;
    [[nodiscard]] result<std::vector<connection_record>> list_by_tenant(
        std::string_view tenant_id) override;
    [[nodiscard]] result<std::vector<connection_record>> list_all() override;
    [[nodiscard]] result<std::size_t> count() override;

private:
    bool expired(const connection_record& r) const;

    system_clock own_clock_;
    const lift::clock& clock_;
    std::mutex mutex_;
    std::unordered_map<std::string, connection_record> records_;
};

}  // namespace lift
