#include "worker_pool.hpp"

#include <chrono>

#include <sched.h>

namespace lift::gateway::detail {

namespace {
// How long an idle worker keeps looking for work (yielding the CPU) before it sleeps on the
// condition variable. A message arriving within this window is picked up without a futex
// wake-up on either side, which is most of the cost of handing a message to a worker.
constexpr auto spin_window = std::chrono::microseconds{50};
}  // namespace

worker_pool::worker_pool(std::size_t max_threads)
    : max_threads_(max_threads == 0 ? 1 : max_threads) {}

worker_pool::~worker_pool() {
    shutdown();
}

bool worker_pool::post(job j) {
    std::unique_lock lock{mutex_};
    if (stopping_) {
        return false;
    }
    jobs_.push_back(std::move(j));
    queued_.store(jobs_.size(), std::memory_order_release);
    // A spinning worker will find the job by itself.
    if (spinning_.load(std::memory_order_acquire) >= jobs_.size()) {
        return true;
    }
    if (idle_ > 0) {
        // Claim the sleeper now: until it runs it still sleeps, and a second post must not
        // count on it too (it would wake nobody and leave its job queued behind a busy one).
        --idle_;
        ++wakes_;
        lock.unlock();
        cv_.notify_one();
        return true;
    }
    if (threads_.size() < max_threads_) {
        threads_.emplace_back([this, worker = threads_.size()] { run(worker); });
        ++started_;
    }
    return true;
}

bool worker_pool::spin_for_work() {
    // At most one worker spins: on 2 cores a second spinner only takes CPU from the network
    // thread (and from the worker running a job); the others sleep until post() wakes them.
    std::size_t none = 0;
    if (!spinning_.compare_exchange_strong(none, 1, std::memory_order_acq_rel)) {
        return false;
    }
    const auto until = std::chrono::steady_clock::now() + spin_window;
    bool found = false;
    while (!found && std::chrono::steady_clock::now() < until) {
        if (queued_.load(std::memory_order_acquire) > 0 || stopping_flag_.load()) {
            found = true;
            break;
        }
        sched_yield();
    }
    // Decrement before taking the lock: post() then either sees no spinner and wakes a sleeper,
    // or pushed the job before we look at the queue under the lock.
    spinning_.fetch_sub(1, std::memory_order_acq_rel);
    return found;
}

void worker_pool::run(std::size_t worker) {
    std::unique_lock lock{mutex_};
    for (;;) {
        if (jobs_.empty() && !stopping_) {
            lock.unlock();
            spin_for_work();
            lock.lock();
        }
        if (jobs_.empty() && !stopping_) {
            ++idle_;
            cv_.wait(lock, [this] { return stopping_ || wakes_ > 0; });
            if (wakes_ > 0) {
                --wakes_;  // post() already took us off idle_
            } else {
                --idle_;  // stopping
            }
            if (jobs_.empty() && !stopping_) {
                continue;  // a spinning worker took the job we were woken for
            }
        }
        if (jobs_.empty()) {
            return;  // stopping and drained
        }
        auto next = std::move(jobs_.front());
        jobs_.pop_front();
        queued_.store(jobs_.size(), std::memory_order_release);
        ++busy_;
        lock.unlock();
        next(worker);
        next = nullptr;
        lock.lock();
        --busy_;
        if (busy_ == 0 && jobs_.empty()) {
            idle_cv_.notify_all();
        }
    }
}

bool worker_pool::wait_idle(long timeout_ms) {
    std::unique_lock lock{mutex_};
    return idle_cv_.wait_for(lock, std::chrono::milliseconds{timeout_ms},
                             [this] { return busy_ == 0 && jobs_.empty(); });
}

void worker_pool::shutdown() {
    std::vector<std::thread> threads;
    {
        std::lock_guard lock{mutex_};
        stopping_ = true;
        stopping_flag_.store(true);
        threads.swap(threads_);
    }
    cv_.notify_all();
    for (auto& t : threads) {
        if (t.joinable()) {
            if (t.get_id() == std::this_thread::get_id()) {
                t.detach();
            } else {
                t.join();
            }
        }
    }
}

std::size_t worker_pool::threads_started() const {
    std::lock_guard lock{mutex_};
    return started_;
}

}  // namespace lift::gateway::detail
