#include <algorithm>

#include <lift/protect/idempotency_store.hpp>

namespace lift::protect {

void memory_idempotency_store::make_room(std::int64_t now_ms) {
    if (records_.size() < std::max<std::size_t>(options_.max_records, 1)) {
        return;
    }
    std::erase_if(records_, [now_ms](const auto& kv) { return kv.second.expires_ms <= now_ms; });
    if (records_.size() < std::max<std::size_t>(options_.max_records, 1)) {
        return;
    }
    auto first = std::min_element(
        records_.begin(), records_.end(),
        [](const auto& a, const auto& b) { return a.second.expires_ms < b.second.expires_ms; });
    records_.erase(first);
}

result<begin_result> memory_idempotency_store::begin(std::string_view key,
                                                     std::string_view owner,
                                                     std::int64_t lock_until_ms,
                                                     std::int64_t now_ms) {
    const std::lock_guard lock{mutex_};
    auto it = records_.find(key);
    if (it != records_.end() && it->second.expires_ms > now_ms) {
        begin_result r;
        if (it->second.completed) {
            r.state = begin_state::completed;
            r.reply = it->second.reply;
        } else {
            r.state = begin_state::in_progress;
        }
        return r;
    }
    if (it == records_.end()) {
        make_room(now_ms);
        it = records_.emplace(std::string{key}, record{}).first;
    }
    it->second = record{false, std::string{owner}, lock_until_ms, {}};
    return begin_result{begin_state::acquired, {}};
}

result<void> memory_idempotency_store::complete(std::string_view key,
                                                std::string_view owner,
                                                const stored_reply& reply,
                                                std::int64_t expires_at_ms) {
    const std::lock_guard lock{mutex_};
    auto it = records_.find(key);
    if (it == records_.end() || it->second.completed || it->second.owner != owner) {
        return {};  // taken over (or dropped to make room): the newer holder decides
    }
    it->second.completed = true;
    it->second.reply = reply;
    it->second.expires_ms = expires_at_ms;
    return {};
}

result<void> memory_idempotency_store::release(std::string_view key, std::string_view owner) {
    const std::lock_guard lock{mutex_};
    auto it = records_.find(key);
    if (it != records_.end() && !it->second.completed && it->second.owner == owner) {
        records_.erase(it);
    }
    return {};
}

std::size_t memory_idempotency_store::size() const {
    const std::lock_guard lock{mutex_};
    return records_.size();
}

}  // namespace lift::protect
