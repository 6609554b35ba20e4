// Private to lift::gateway: totals of the metrics handlers recorded, per metric name, for
// `GET /_lift/metrics` (a later dashboard reads the same JSON).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <lift/core/metrics.hpp>

namespace lift::gateway::detail {

/// Sums of recorded values per metric name, kept in one part per worker thread so that workers
/// never wait for each other: a part's lock is taken by its worker (`add`) and, briefly, by
/// `to_json`. Thread-safe.
class metrics_totals {
public:
    /// Totals with `workers` parts (at least 1).
    explicit metrics_totals(std::size_t workers = 1);

    /// Adds every value of `m` (one invocation's recorder) to part `worker` (taken modulo the
    /// number of parts; the gateway passes the worker pool's index of the calling thread).
    void add(std::size_t worker, const lift::metrics& m);

    /// `{"invocations":N,"metrics":{"Name":{"unit":"Count","sum":S,"count":N,
    /// "min":x,"max":y},...}}`, names sorted; every part merged. A name's unit is the one of
    /// its first recorded use.
    std::string to_json() const;

private:
    struct total {
        std::string unit;
        double sum = 0;
        std::uint64_t count = 0;
        double min = 0;
        double max = 0;
        std::uint64_t first_use = 0;  // order of the name's first use across parts
    };

    // One worker's totals, on its own cache lines.
    struct alignas(64) part {
        mutable std::mutex mutex;
        std::map<std::string, total, std::less<>> totals;
        std::uint64_t invocations = 0;
    };

    std::size_t size_;
    std::unique_ptr<part[]> parts_;
    std::atomic<std::uint64_t> first_use_clock_{0};  // taken once per name and part
};

}  // namespace lift::gateway::detail
