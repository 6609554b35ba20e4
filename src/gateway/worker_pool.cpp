#include "worker_pool.hpp"

#include <chrono>

namespace lift::gateway::detail {

worker_pool::worker_pool(std::size_t max_threads)
    : max_threads_(max_threads == 0 ? 1 : max_threads) {}

worker_pool::~worker_pool() {
    shutdown();
}

bool worker_pool::post(std::function<void()> job) {
    std::unique_lock lock{mutex_};
    if (stopping_) {
        return false;
    }
    jobs_.push_back(std::move(job));
    if (idle_ >= jobs_.size()) {
        lock.unlock();
        cv_.notify_one();
        return true;
    }
    if (threads_.size() < max_threads_) {
        threads_.emplace_back([this] { run(); });
        return true;
    }
    lock.unlock();
    cv_.notify_one();
    return true;
}

void worker_pool::run() {
    std::unique_lock lock{mutex_};
    for (;;) {
        ++idle_;
        cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        --idle_;
        if (jobs_.empty()) {
            return;  // stopping and drained
        }
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        ++busy_;
        lock.unlock();
        job();
        job = nullptr;
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
    return threads_.size();
}

}  // namespace lift::gateway::detail
