#include <lift/protect/rate_limit_store.hpp>

namespace lift::protect {

namespace {

// Idle buckets are looked at from the least recently used end on every call, at most this
// many per call, so one call never pays for a large sweep.
constexpr int max_evictions_per_call = 8;

}  // namespace

memory_rate_limit_store::memory_rate_limit_store(memory_rate_limit_options options)
    : options_(options) {
    if (options_.max_buckets == 0) {
        options_.max_buckets = 1;
    }
}

void memory_rate_limit_store::evict_idle(std::int64_t now_ms) {
    for (int i = 0; i < max_evictions_per_call && !lru_.empty(); ++i) {
        auto it = buckets_.find(lru_.back());
        if (it->second.full_at_ms > now_ms) {
            // Not full yet; buckets nearer the front were used later, so usually not either.
            break;
        }
        buckets_.erase(it);
        lru_.pop_back();
    }
}

result<bucket_decision> memory_rate_limit_store::take(std::string_view key,
                                                      const bucket_limit& limit,
                                                      std::int64_t now_ms,
                                                      std::int64_t /*deadline_ms*/) {
    const std::lock_guard lock{mutex_};
    evict_idle(now_ms);
    const std::string k{key};
    auto it = buckets_.find(k);
    std::optional<bucket_state> current;
    if (it != buckets_.end()) {
        current = it->second.state;
    }
    const bucket_decision d = take_token(current, limit, now_ms);
    if (it == buckets_.end()) {
        if (!d.admitted) {
            return d;  // cannot happen for a full bucket with burst >= 1; keep nothing
        }
        while (buckets_.size() >= options_.max_buckets && !lru_.empty()) {
            buckets_.erase(lru_.back());
            lru_.pop_back();
        }
        lru_.push_front(k);
        it = buckets_.emplace(k, entry{d.state, 0, lru_.begin()}).first;
    } else {
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        it->second.state = d.state;
    }
    const double missing = limit.burst - d.state.tokens;
    it->second.full_at_ms = d.state.updated_ms +
                            static_cast<std::int64_t>(missing / limit.rate_per_second * 1000.0) + 1;
    return d;
}

std::size_t memory_rate_limit_store::size() const {
    const std::lock_guard lock{mutex_};
    return buckets_.size();
}

}  // namespace lift::protect
