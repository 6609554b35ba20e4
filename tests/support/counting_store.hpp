// A memory_store that counts `get` calls: how often identities were read from the store
// (identity-cache tests, in-process and through the gateway).
#pragma once

#include <atomic>
#include <optional>
#include <string_view>
#include <vector>

#include <lift/core/clock.hpp>
#include <lift/core/memory_store.hpp>

namespace lift::test {

class counting_store final : public lift::connection_store {
public:
    counting_store() = default;

    explicit counting_store(const lift::clock& clock) : inner_(clock) {}

    lift::result<void> save(const lift::connection_record& r) override { return inner_.save(r); }

    lift::result<void> update(const lift::connection_record& r) override {
        return inner_.update(r);
    }

    lift::result<std::optional<lift::connection_record>> get(std::string_view id) override {
        ++gets;
        return inner_.get(id);
    }

    lift::result<void> remove(std::string_view id) override { return inner_.remove(id); }

    lift::result<std::vector<lift::connection_record>> list_by_user(std::string_view s) override {
        return inner_.list_by_user(s);
    }

    lift::result<std::vector<lift::connection_record>> list_by_tenant(std::string_view t) override {
        return inner_.list_by_tenant(t);
    }

    lift::result<std::vector<lift::connection_record>> list_all() override {
        return inner_.list_all();
    }

    lift::result<std::size_t> count() override { return inner_.count(); }

    std::atomic<int> gets{0};  ///< `get` calls so far

private:
    lift::memory_store inner_;
};

}  // namespace lift::test
