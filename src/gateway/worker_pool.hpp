// The gateway's "Lambda instances": threads that run handlers so the network thread never
// blocks. Threads start on demand up to a maximum (scale-out) and stay warm afterwards.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lift::gateway::detail {

/// Elastic FIFO thread pool. Thread-safe.
class worker_pool {
public:
    /// A job. `worker` is the index of the thread running it: in [0, max_threads()), one per
    /// thread and fixed for the thread's life, so a caller can keep per-worker state in an
    /// array that only that thread writes.
    using job = std::function<void(std::size_t worker)>;

    /// At most `max_threads` threads (at least 1).
    explicit worker_pool(std::size_t max_threads);

    /// Stops: runs queued jobs, then joins (as `shutdown`).
    ~worker_pool();

    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;

    /// Queues a job; starts another thread when none is idle and the maximum allows it.
    /// Returns false after shutdown.
    bool post(job j);

    /// Waits up to `timeout_ms` for the queue to drain and every job to finish.
    /// Returns true when idle.
    bool wait_idle(long timeout_ms);

    /// Stops accepting jobs, lets threads finish what is queued, joins them.
    void shutdown();

    /// Threads started so far (cold starts).
    std::size_t threads_started() const;

    /// The most threads the pool starts (the bound of a worker index).
    std::size_t max_threads() const noexcept { return max_threads_; }

private:
    void run(std::size_t worker);
    bool spin_for_work();

    std::size_t max_threads_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::condition_variable idle_cv_;
    std::deque<job> jobs_;
    std::vector<std::thread> threads_;
    std::size_t idle_ = 0;   // threads asleep on cv_ and not yet claimed by a post
    std::size_t wakes_ = 0;  // wake-ups granted by post() and not yet taken by a sleeper
    std::size_t started_ = 0;
    std::atomic<std::size_t> queued_{0};    // jobs_.size(), readable without the lock
    std::atomic<std::size_t> spinning_{0};  // threads looking for work without sleeping
    std::atomic<bool> stopping_flag_{false};
    std::size_t busy_ = 0;
    bool stopping_ = false;
};

}  // namespace lift::gateway::detail
