// A connection_api fake that records every call and can be told to fail for chosen ids.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <lift/core/connection_api.hpp>

namespace lift::test {

class recording_connection_api final : public lift::connection_api {
public:
    struct post {
        std::string connection_id;
        std::string data;
    };

    result<void> post_to_connection(std::string_view connection_id,
                                    std::string_view data) override {
        const std::lock_guard lock{mutex_};
        if (auto it = failures_.find(std::string{connection_id}); it != failures_.end()) {
            return fail(it->second, "injected failure");
        }
        posts_.push_back({std::string{connection_id}, std::string{data}});
        return {};
    }

    result<connection_info> get_connection(std::string_view connection_id) override {
        const std::lock_guard lock{mutex_};
        if (auto it = failures_.find(std::string{connection_id}); it != failures_.end()) {
            return fail(it->second, "injected failure");
        }
        gets_.emplace_back(connection_id);
        connection_info info;
        info.connected_at = 1;
        info.last_active_at = 2;
        info.source_ip = "192.0.2.1";
        return info;
    }

    result<void> delete_connection(std::string_view connection_id) override {
        const std::lock_guard lock{mutex_};
        if (auto it = failures_.find(std::string{connection_id}); it != failures_.end()) {
            return fail(it->second, "injected failure");
        }
        deletes_.emplace_back(connection_id);
        return {};
    }

    /// Every call for `connection_id` fails with `code` from now on.
    void fail_for(std::string connection_id, errc code) {
        const std::lock_guard lock{mutex_};
        failures_[std::move(connection_id)] = code;
    }

    std::vector<post> posts() const {
        const std::lock_guard lock{mutex_};
        return posts_;
    }

    std::vector<std::string> deletes() const {
        const std::lock_guard lock{mutex_};
        return deletes_;
    }

    std::vector<std::string> gets() const {
        const std::lock_guard lock{mutex_};
        return gets_;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, errc> failures_;
    std::vector<post> posts_;
    std::vector<std::string> deletes_;
    std::vector<std::string> gets_;
};

}  // namespace lift::test
