#include <lift/core/identity_cache.hpp>

namespace lift {

std::optional<identity> identity_cache::find(std::string_view connection_id, std::int64_t now_ms) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = index_.find(std::string{connection_id});
    if (it == index_.end()) {
        return std::nullopt;
    }
    if (it->second->expires_at_ms <= now_ms) {
        entries_.erase(it->second);
        index_.erase(it);
        return std::nullopt;
    }
    return it->second->id;
}

void identity_cache::put(std::string_view connection_id, const identity& id, std::int64_t now_ms) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (options_.ttl_ms <= 0 || options_.max_entries == 0) {
        return;
    }
    std::string key{connection_id};
    if (const auto it = index_.find(key); it != index_.end()) {
        entries_.erase(it->second);
        index_.erase(it);
    }
    drop_expired(now_ms);
    while (entries_.size() >= options_.max_entries) {
        index_.erase(entries_.front().connection_id);
        entries_.pop_front();
    }
    entries_.push_back(entry{key, id, now_ms + options_.ttl_ms});
    index_.emplace(std::move(key), std::prev(entries_.end()));
}

void identity_cache::erase(std::string_view connection_id) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = index_.find(std::string{connection_id});
    if (it != index_.end()) {
        entries_.erase(it->second);
        index_.erase(it);
    }
}

void identity_cache::clear() {
    const std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
    index_.clear();
}

std::size_t identity_cache::size() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
}

void identity_cache::configure(identity_cache_options options) {
    const std::lock_guard<std::mutex> lock(mutex_);
    options_ = options;
    entries_.clear();
    index_.clear();
}

// Caller holds the mutex. The front is the oldest entry, hence the first to expire.
void identity_cache::drop_expired(std::int64_t now_ms) {
    while (!entries_.empty() && entries_.front().expires_at_ms <= now_ms) {
        index_.erase(entries_.front().connection_id);
        entries_.pop_front();
    }
}

}  // namespace lift
