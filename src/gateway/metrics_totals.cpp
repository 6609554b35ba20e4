#include "metrics_totals.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace lift::gateway::detail {

namespace {

// Whole numbers as JSON integers ("2", not Boost.JSON's "2E0"), others as doubles.
boost::json::value number(double v) {
    if (std::abs(v) < 9.0e15 && std::trunc(v) == v) {
        return static_cast<std::int64_t>(v);
    }
    return v;
}

}  // namespace

metrics_totals::metrics_totals(std::size_t workers)
    : size_(std::max<std::size_t>(workers, 1)),
      parts_(std::make_unique<part[]>(size_)) {}

void metrics_totals::add(std::size_t worker, const lift::metrics& m) {
    part& p = parts_[worker % size_];
    const std::lock_guard lock{p.mutex};
    ++p.invocations;
    for (const auto& e : m.entries()) {
        auto it = p.totals.find(e.name);
        if (it == p.totals.end()) {
            it = p.totals.emplace(e.name, total{}).first;
            it->second.first_use = first_use_clock_.fetch_add(1, std::memory_order_relaxed);
        }
        auto& t = it->second;
        if (t.count == 0) {
            t.unit = std::string{to_string(e.unit)};
            t.min = e.values.empty() ? 0 : e.values.front();
            t.max = t.min;
        }
        for (const double v : e.values) {
            t.sum += v;
            t.min = std::min(t.min, v);
            t.max = std::max(t.max, v);
        }
        t.count += e.values.size();
    }
}

std::string metrics_totals::to_json() const {
    std::uint64_t invocations = 0;
    std::map<std::string, total, std::less<>> merged;
    for (std::size_t i = 0; i < size_; ++i) {
        const part& p = parts_[i];
        const std::lock_guard lock{p.mutex};
        invocations += p.invocations;
        for (const auto& [name, t] : p.totals) {
            auto [it, fresh] = merged.try_emplace(name, t);
            auto& m = it->second;
            if (fresh || t.count == 0) {
                continue;
            }
            if (m.count == 0) {
                m = t;
                continue;
            }
            if (t.first_use < m.first_use) {
                m.unit = t.unit;
                m.first_use = t.first_use;
            }
            m.sum += t.sum;
            m.count += t.count;
            m.min = std::min(m.min, t.min);
            m.max = std::max(m.max, t.max);
        }
    }
    boost::json::object out;
    boost::json::object metrics;
    out["invocations"] = invocations;
    for (const auto& [name, t] : merged) {
        boost::json::object o;
        o["unit"] = t.unit;
        o["sum"] = number(t.sum);
        o["count"] = t.count;
        o["min"] = number(t.min);
        o["max"] = number(t.max);
        metrics[name] = std::move(o);
    }
    out["metrics"] = std::move(metrics);
    return boost::json::serialize(out);
}

}  // namespace lift::gateway::detail
