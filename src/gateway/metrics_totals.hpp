// Private to lift::gateway: totals of the metrics handlers recorded, per metric name, for
// `GET /_lift/metrics` (a later dashboard reads the same JSON).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include <lift/core/metrics.hpp>

namespace lift::gateway::detail {

/// Sums of recorded values per metric name. Thread-safe.
class metrics_totals {
public:
    /// Adds every value of `m` (one invocation's recorder).
    void add(const lift::metrics& m);

    /// `{"invocations":N,"metrics":{"Name":{"unit":"Count","sum":S,"count":N,
    /// "min":x,"max":y},...}}`, names sorted.
    std::string to_json() const;

private:
    struct total {
        std::string unit;
        double sum = 0;
        std::uint64_t count = 0;
        double min = 0;
        double max = 0;
    };

    mutable std::mutex mutex_;
    std::map<std::string, total> totals_;
    std::uint64_t invocations_ = 0;
};

}  // namespace lift::gateway::detail
