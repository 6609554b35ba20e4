#include "worker_pool.hpp"

#include <atomic>
#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace {

using lift::gateway::detail::worker_pool;

// Every job learns the index of the thread running it: below max_threads(), one index per
// thread, the same for all of that thread's jobs (per-worker state needs no lock).
TEST(worker_pool, jobs_get_a_stable_index_per_thread) {
    constexpr std::size_t max_threads = 3;
    worker_pool pool{max_threads};
    EXPECT_EQ(pool.max_threads(), max_threads);
    std::mutex mutex;
    std::map<std::thread::id, std::set<std::size_t>> seen;
    std::atomic<int> ran{0};
    constexpr int jobs = 300;
    for (int i = 0; i < jobs; ++i) {
        ASSERT_TRUE(pool.post([&](std::size_t worker) {
            {
                const std::lock_guard lock{mutex};
                seen[std::this_thread::get_id()].insert(worker);
            }
            ran.fetch_add(1);
        }));
    }
    ASSERT_TRUE(pool.wait_idle(10000));
    EXPECT_EQ(ran.load(), jobs);
    std::set<std::size_t> indexes;
    for (const auto& [thread, workers] : seen) {
        ASSERT_EQ(workers.size(), 1u) << "a thread ran jobs under two indexes";
        EXPECT_LT(*workers.begin(), max_threads);
        EXPECT_TRUE(indexes.insert(*workers.begin()).second) << "two threads share an index";
    }
    EXPECT_LE(indexes.size(), pool.threads_started());  // a started thread may find no job
}

TEST(worker_pool, zero_threads_means_one) {
    worker_pool pool{0};
    EXPECT_EQ(pool.max_threads(), 1u);
    std::atomic<std::size_t> index{99};
    ASSERT_TRUE(pool.post([&](std::size_t worker) { index.store(worker); }));
    ASSERT_TRUE(pool.wait_idle(10000));
    EXPECT_EQ(index.load(), 0u);
    pool.shutdown();
    EXPECT_FALSE(pool.post([](std::size_t) {}));
}

}  // namespace
