#include <algorithm>
#include <limits>

#include <lift/core/memory_store.hpp>

namespace lift {

namespace {

error empty_id() {
    return fail(errc::invalid_argument, "connection id must not be empty");
}

// Stable output order for callers and tests: oldest connection first, then by id. Sorts
// pointers, so that records (strings, identity, metadata) are copied once and never moved.
void sort_records(std::vector<const connection_record*>& v) {
    std::sort(v.begin(), v.end(), [](const connection_record* a, const connection_record* b) {
        if (a->connected_at != b->connected_at) {
            return a->connected_at < b->connected_at;
        }
        return a->connection_id < b->connection_id;
    });
}

bool expired_at(const connection_record& r, std::int64_t now_ms) noexcept {
    if (r.expires_at == 0) {
        return false;
    }
    if (r.expires_at > std::numeric_limits<std::int64_t>::max() / 1000) {
        return false;  // so far in the future that it cannot be reached
    }
    return r.expires_at * 1000 <= now_ms;
}

// One pass: drops expired records (lazy expiry) and copies out the matching live ones. The
// clock is read once per pass.
template <class Map>
std::vector<connection_record> collect(
    Map& records, std::int64_t now_ms, std::string_view user, std::string_view tenant, bool all) {
    std::vector<const connection_record*> matching;
    if (all) {
        matching.reserve(records.size());
    }
    for (auto it = records.begin(); it != records.end();) {
        if (expired_at(it->second, now_ms)) {
            it = records.erase(it);
            continue;
        }
        const auto& r = it->second;
        if (all || (!user.empty() && r.user_id() == user) ||
            (!tenant.empty() && r.tenant_id() == tenant)) {
            matching.push_back(&r);
        }
        ++it;
    }
    sort_records(matching);
    std::vector<connection_record> out;
    out.reserve(matching.size());
    for (const connection_record* r : matching) {
        out.push_back(*r);
    }
    return out;
}

}  // namespace

bool memory_store::expired(const connection_record& r) const {
    return r.expires_at != 0 && expired_at(r, clock_.now_ms());
}

result<void> memory_store::save(const connection_record& record) {
    if (record.connection_id.empty()) {
        return empty_id();
    }
    const std::lock_guard lock{mutex_};
    records_.insert_or_assign(record.connection_id, record);
    return {};
}

result<void> memory_store::update(const connection_record& record) {
    if (record.connection_id.empty()) {
        return empty_id();
    }
    const std::lock_guard lock{mutex_};
    const auto it = records_.find(record.connection_id);
    if (it == records_.end() || expired(it->second)) {
        return lift::fail(errc::gone, "no live connection record " + record.connection_id);
    }
    it->second = record;
    return {};
}

result<std::optional<connection_record>> memory_store::get(std::string_view connection_id) {
    if (connection_id.empty()) {
        return empty_id();
    }
    const std::lock_guard lock{mutex_};
    const auto it = records_.find(std::string{connection_id});
    if (it == records_.end()) {
        return std::optional<connection_record>{};
    }
    if (expired(it->second)) {
        records_.erase(it);
        return std::optional<connection_record>{};
    }
    return std::optional<connection_record>{it->second};
}

result<void> memory_store::remove(std::string_view connection_id) {
    if (connection_id.empty()) {
        return empty_id();
    }
    const std::lock_guard lock{mutex_};
    records_.erase(std::string{connection_id});
    return {};
}

result<std::vector<connection_record>> memory_store::list_by_user(std::string_view user_id) {
    if (user_id.empty()) {
        return std::vector<connection_record>{};
    }
    const std::lock_guard lock{mutex_};
    return collect(records_, clock_.now_ms(), user_id, {}, false);
}

result<std::vector<connection_record>> memory_store::list_by_tenant(std::string_view tenant_id) {
    if (tenant_id.empty()) {
        return std::vector<connection_record>{};
    }
    const std::lock_guard lock{mutex_};
    return collect(records_, clock_.now_ms(), {}, tenant_id, false);
}

result<std::vector<connection_record>> memory_store::list_all() {
    const std::lock_guard lock{mutex_};
    return collect(records_, clock_.now_ms(), {}, {}, true);
}

result<std::size_t> memory_store::count() {
    const std::lock_guard lock{mutex_};
    const auto now = clock_.now_ms();
    std::size_t n = 0;
    for (auto it = records_.begin(); it != records_.end();) {
        if (expired_at(it->second, now)) {
            it = records_.erase(it);
        } else {
            ++n;
            ++it;
        }
    }
    return n;
}

}  // namespace lift
