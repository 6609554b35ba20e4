// A scripted http_transport for tests: records every request and answers from a queue of
// responses, then from an optional handler. Thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <lift/aws/error.hpp>
#include <lift/aws/http.hpp>
#include <lift/aws/retry.hpp>
#include <lift/core/result.hpp>

#include "fake_clock.hpp"

namespace lift::test {

class scripted_transport final : public lift::aws::http_transport {
public:
    struct recorded {
        lift::aws::endpoint to;
        lift::aws::http_request request;
    };

    using handler_fn =
        std::function<lift::result<lift::aws::http_response>(const lift::aws::http_request&)>;

    // Queues a response (or a transport error).
    void push(lift::result<lift::aws::http_response> r) {
        const std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(std::move(r));
    }

    // Queues a response with a JSON 1.0 Content-Type.
    void push_json(int status,
                   std::string body,
                   std::vector<lift::aws::header> extra = {},
                   std::string content_type = "application/x-amz-json-1.0") {
        lift::aws::http_response r;
        r.status = status;
        if (!content_type.empty()) {
            r.headers.push_back({"Content-Type", std::move(content_type)});
        }
        for (auto& h : extra) {
            r.headers.push_back(std::move(h));
        }
        r.body = std::move(body);
        push(std::move(r));
    }

    // Used once the queue is empty.
    void set_handler(handler_fn fn) {
        const std::lock_guard<std::mutex> lock(mutex_);
        handler_ = std::move(fn);
    }

    lift::result<lift::aws::http_response> send(
        const lift::aws::endpoint& to,
        const lift::aws::http_request& request,
        std::chrono::steady_clock::time_point /*deadline*/) override {
        handler_fn fn;
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            requests_.push_back({to, request});
            if (!queue_.empty()) {
                auto r = std::move(queue_.front());
                queue_.pop_front();
                return r;
            }
            fn = handler_;
        }
        if (fn) {
            return fn(request);
        }
        return lift::fail(lift::aws::errc::connection_lost, "scripted_transport: nothing queued");
    }

    std::vector<recorded> requests() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return requests_;
    }

    std::size_t count() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return requests_.size();
    }

    std::size_t queued() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return queue_.size();
    }

private:
    mutable std::mutex mutex_;
    std::deque<lift::result<lift::aws::http_response>> queue_;
    std::vector<recorded> requests_;
    handler_fn handler_;
};

// Records the requested sleeps and advances a fake clock by them instead of sleeping.
class recording_sleeper final : public lift::aws::sleeper {
public:
    explicit recording_sleeper(fake_clock* clk = nullptr) : clock_(clk) {}

    void sleep_for(std::chrono::milliseconds d) override {
        const std::lock_guard<std::mutex> lock(mutex_);
        sleeps_.push_back(d);
        if (clock_ != nullptr) {
            clock_->advance(d.count());
        }
    }

    std::vector<std::chrono::milliseconds> sleeps() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return sleeps_;
    }

private:
    mutable std::mutex mutex_;
    fake_clock* clock_;
    std::vector<std::chrono::milliseconds> sleeps_;
};

}  // namespace lift::test
