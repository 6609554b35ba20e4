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

void metrics_totals::add(const lift::metrics& m) {
    const std::lock_guard lock{mutex_};
    ++invocations_;
    for (const auto& e : m.entries()) {
        auto& t = totals_[e.name];
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
    boost::json::object out;
    boost::json::object metrics;
    {
        const std::lock_guard lock{mutex_};
        out["invocations"] = invocations_;
        for (const auto& [name, t] : totals_) {
            boost::json::object o;
            o["unit"] = t.unit;
            o["sum"] = number(t.sum);
            o["count"] = t.count;
            o["min"] = number(t.min);
            o["max"] = number(t.max);
            metrics[name] = std::move(o);
        }
    }
    out["metrics"] = std::move(metrics);
    return boost::json::serialize(out);
}

}  // namespace lift::gateway::detail
