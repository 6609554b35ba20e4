// function_host: Lambda functions out of process. One io_context thread owns every piece of
// state (instances, queues, timers); `invoke` posts to it and blocks on a future. Each
// instance gets its own loopback port, so it sees the Runtime API at `AWS_LAMBDA_RUNTIME_API`
// exactly as a Lambda sandbox does (no path prefix) and the host knows which process asked.
// Child exits are found by a 25 ms waitpid(WNOHANG) sweep over our own pids only.
#include "runtime_api.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <lift/core/error.hpp>

#include "asio_support.hpp"
#include <fcntl.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace lift::gateway {

namespace detail {

runtime_target parse_runtime_target(std::string_view target) {
    runtime_target t;
    if (const auto q = target.find('?'); q != std::string_view::npos) {
        target = target.substr(0, q);
    }
    constexpr std::string_view prefix = "/2018-06-01/runtime/";
    if (!target.starts_with(prefix)) {
        return t;
    }
    target.remove_prefix(prefix.size());
    if (target == "invocation/next") {
        t.call = runtime_call::next;
    } else if (target == "init/error") {
        t.call = runtime_call::init_error;
    } else if (target.starts_with("invocation/")) {
        target.remove_prefix(std::string_view{"invocation/"}.size());
        const auto slash = target.find('/');
        if (slash == std::string_view::npos || slash == 0) {
            return t;
        }
        const auto what = target.substr(slash + 1);
        if (what == "response") {
            t.call = runtime_call::response;
        } else if (what == "error") {
            t.call = runtime_call::error;
        } else {
            return t;
        }
        t.request_id = std::string{target.substr(0, slash)};
    }
    return t;
}

std::vector<std::string> lambda_environment(const function_config& fn,
                                            const function_host_options& opts,
                                            const std::map<std::string, std::string>& defaults,
                                            std::uint16_t port,
                                            std::string_view task_root,
                                            std::string_view log_stream,
                                            const std::function<const char*(const char*)>& getenv) {
    std::map<std::string, std::string> env{defaults.begin(), defaults.end()};
    for (const auto& [k, v] : fn.environment) {
        env[k] = v;
    }
    auto pass = [&](const char* name) {
        if (const char* v = getenv(name); v != nullptr) {
            env[name] = v;
        }
    };
    pass("PATH");
    pass("AWS_ACCESS_KEY_ID");
    pass("AWS_SECRET_ACCESS_KEY");
    pass("AWS_SESSION_TOKEN");
    // Reserved: set last so that the function's own map cannot override them (Lambda refuses
    // such configurations).
    env["AWS_LAMBDA_RUNTIME_API"] = fmt::format("127.0.0.1:{}", port);
    env["_HANDLER"] = fn.handler.empty() ? std::string{"bootstrap"} : fn.handler;
    env["LAMBDA_TASK_ROOT"] = std::string{task_root};
    env["AWS_REGION"] = opts.region;
    env["AWS_DEFAULT_REGION"] = opts.region;
    env["AWS_LAMBDA_FUNCTION_NAME"] = fn.name;
    env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST";
    env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = std::to_string(fn.memory_mb);
    env["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + fn.name;
    env["AWS_LAMBDA_LOG_STREAM_NAME"] = std::string{log_stream};
    env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand";
    if (fn.environment.find("TZ") == fn.environment.end()) {
        env["TZ"] = "UTC";
    }
    if (fn.environment.find("LANG") == fn.environment.end()) {
        env["LANG"] = "en_US.UTF-8";
    }
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [k, v] : env) {
        out.push_back(k + "=" + v);
    }
    return out;
}

std::string error_payload(std::string_view type, std::string_view body) {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (!ec && v.is_object() &&
        (v.as_object().contains("errorMessage") || v.as_object().contains("errorType"))) {
        return std::string{body};
    }
    boost::json::object o;
    o["errorMessage"] = body.empty() ? std::string_view{"Unknown error"} : body;
    o["errorType"] = type;
    return boost::json::serialize(o);
}

}  // namespace detail

namespace {

using namespace lift::gateway::net;  // asio, beast, http, json, tcp, use_nothrow, now_ms
using namespace std::chrono_literals;
constexpr std::size_t max_request_bytes = 16 * 1024 * 1024;  // beyond: 413 and close

class stderr_sink final : public log_sink {
public:
    void write(std::string_view line) override {
        std::lock_guard lock{mutex_};
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fputc('\n', stderr);
        std::fflush(stderr);
    }

private:
    std::mutex mutex_;
};

std::string runtime_error_json(std::string_view type, std::string_view message) {
    json::object o;
    o["errorMessage"] = message;
    o["errorType"] = type;
    return json::serialize(o);
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) {
        return fmt::format("exit status {}", WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        const char* name = sigabbrev_np(WTERMSIG(status));
        return fmt::format("signal: {}", name != nullptr ? name : "unknown");
    }
    return "unknown exit";
}

struct invocation {
    std::string request_id;
    std::string trace_id;
    std::string payload;
    std::int64_t deadline_ms = 0;
    std::promise<invocation_result> promise;
    std::atomic<bool> done{false};
};

using invocation_ptr = std::shared_ptr<invocation>;

enum class instance_state { starting, ready, busy, idle, dead };

struct function_slot;

struct instance {
    instance(asio::io_context& io, function_slot& f, std::uint64_t n)
        : fn(&f),
          number(n),
          acceptor(io),
          wake(io),
          poll_timer(io),
          inv_timer(io) {}

    function_slot* fn;
    std::uint64_t number;
    pid_t pid = -1;
    std::uint16_t port = 0;
    instance_state state = instance_state::starting;
    invocation_ptr current;
    std::string last_request_id;
    std::optional<std::string> init_error;  // error JSON from /runtime/init/error
    std::string init_error_type;
    tcp::acceptor acceptor;
    asio::steady_timer wake;        // a parked /next waits on this (cancel = look again)
    asio::steady_timer poll_timer;  // must poll /next before it fires (start-up, after a reply)
    asio::steady_timer inv_timer;   // the function timeout of `current`

    std::string label() const { return fmt::format("instance {} (pid {})", number, pid); }
};

using instance_ptr = std::shared_ptr<instance>;

struct function_slot {
    function_config cfg;
    std::string task_root;
    std::vector<instance_ptr> instances;
    std::deque<invocation_ptr> queue;
    std::uint64_t next_number = 1;
    function_stats stats;  // guarded by function_host_impl::stats_mutex_
};

class function_host_impl final : public function_host {
public:
    function_host_impl(std::vector<function_config> functions, function_host_options opts)
        : opts_(std::move(opts)),
          log_(opts_.sink != nullptr ? *opts_.sink : stderr_, opts_.level),
          reaper_(ioc_),
          rng_(std::random_device{}()) {
        for (auto& f : functions) {
            auto slot = std::make_unique<function_slot>();
            slot->task_root = f.task_root;
            if (slot->task_root.empty() && !f.command.empty()) {
                std::error_code ec;
                auto p = std::filesystem::absolute(f.command.front(), ec).parent_path();
                slot->task_root = ec ? std::string{"."} : p.string();
            }
            std::string name = f.name;
            slot->cfg = std::move(f);
            functions_.emplace(std::move(name), std::move(slot));
        }
    }

    ~function_host_impl() override { stop(); }

    void start_thread() {
        arm_reaper();
        thread_ = std::thread([this] { ioc_.run(); });
    }

    invocation_result invoke(std::string_view function, std::string payload) override {
        auto it = functions_.find(function);
        if (it == functions_.end()) {
            invocation_result r;
            r.failed = true;
            r.error_type = "ResourceNotFoundException";
            r.payload =
                runtime_error_json(r.error_type, fmt::format("Function not found: {}", function));
            return r;
        }
        function_slot* slot = it->second.get();
        auto inv = std::make_shared<invocation>();
        inv->payload = std::move(payload);
        auto future = inv->promise.get_future();
        {
            std::lock_guard lock{registry_mutex_};
            if (stopping_) {
                invocation_result r;
                r.failed = true;
                r.error_type = "ServiceException";
                r.payload = runtime_error_json(r.error_type, "the function host has stopped");
                return r;
            }
            pending_.insert(inv);
        }
        {
            std::lock_guard lock{stats_mutex_};
            ++slot->stats.invocations;
        }
        asio::post(ioc_, [this, slot, inv] {
            inv->request_id = make_request_id();
            inv->trace_id = make_trace_id();
            slot->queue.push_back(inv);
            dispatch(*slot);
        });
        return future.get();
    }

    function_stats stats(std::string_view function) const override {
        auto it = functions_.find(function);
        if (it == functions_.end()) {
            return {};
        }
        std::lock_guard lock{stats_mutex_};
        return it->second->stats;
    }

    function_stats total_stats() const override {
        function_stats t;
        std::lock_guard lock{stats_mutex_};
        for (const auto& [name, slot] : functions_) {
            const auto& s = slot->stats;
            t.invocations += s.invocations;
            t.errors += s.errors;
            t.cold_starts += s.cold_starts;
            t.timeouts += s.timeouts;
            t.crashes += s.crashes;
            t.instances += s.instances;
        }
        return t;
    }

    void set_environment(std::string name, std::string value) override {
        const std::lock_guard lock{env_mutex_};
        opts_.environment[std::move(name)] = std::move(value);
    }

    void stop() override {
        {
            std::lock_guard lock{registry_mutex_};
            if (stopping_) {
                return;
            }
            stopping_ = true;
        }
        std::vector<pid_t> pids;
        if (thread_.joinable()) {
            std::promise<void> collected;
            asio::post(ioc_, [this, &pids, &collected] {
                for (auto& [name, slot] : functions_) {
                    for (auto& inst : slot->instances) {
                        if (inst->pid > 0) {
                            pids.push_back(inst->pid);
                        }
                        close_instance(*inst);
                    }
                    slot->instances.clear();
                    slot->queue.clear();
                }
                pids.insert(pids.end(), zombies_.begin(), zombies_.end());
                zombies_.clear();
                reaper_.cancel();
                collected.set_value();
                ioc_.stop();
            });
            collected.get_future().wait();
            thread_.join();
        }
        // Every invocation not answered yet fails now.
        std::set<invocation_ptr> left;
        {
            std::lock_guard lock{registry_mutex_};
            left.swap(pending_);
        }
        for (const auto& inv : left) {
            complete(nullptr, inv,
                     failure("ServiceException",
                             "the function host stopped before the "
                             "invocation completed"));
        }
        terminate(pids);
    }

private:
    // ---- ids -------------------------------------------------------------------------------

    std::string hex(std::size_t digits) {
        static constexpr char h[] = "0123456789abcdef";
        std::string s(digits, '0');
        for (auto& c : s) {
            c = h[rng_() & 0xF];
        }
        return s;
    }

    std::string make_request_id() {
        std::string u = hex(32);
        u[12] = '4';
        u[16] = "89ab"[rng_() & 0x3];
        return fmt::format("{}-{}-{}-{}-{}", u.substr(0, 8), u.substr(8, 4), u.substr(12, 4),
                           u.substr(16, 4), u.substr(20));
    }

    std::string make_trace_id() {
        return fmt::format("Root=1-{:08x}-{};Parent={};Sampled=0",
                           static_cast<std::uint32_t>(now_ms() / 1000), hex(24), hex(16));
    }

    std::string make_log_stream() {
        const std::time_t t = std::time(nullptr);
        std::tm tm{};
        gmtime_r(&t, &tm);
        return fmt::format("{:04}/{:02}/{:02}/[$LATEST]{}", tm.tm_year + 1900, tm.tm_mon + 1,
                           tm.tm_mday, hex(32));
    }

    std::string arn(const function_slot& f) const {
        return fmt::format("arn:aws:lambda:{}:{}:function:{}", opts_.region, opts_.account_id,
                           f.cfg.name);
    }

    static invocation_result failure(std::string type, std::string_view message) {
        invocation_result r;
        r.failed = true;
        r.payload = runtime_error_json(type, message);
        r.error_type = std::move(type);
        return r;
    }

    // ---- completion ------------------------------------------------------------------------

    void complete(function_slot* f, const invocation_ptr& inv, invocation_result r) {
        if (inv->done.exchange(true)) {
            return;
        }
        r.request_id = inv->request_id;
        if (f != nullptr && r.failed) {
            std::lock_guard lock{stats_mutex_};
            ++f->stats.errors;
        }
        {
            std::lock_guard lock{registry_mutex_};
            pending_.erase(inv);
        }
        inv->promise.set_value(std::move(r));
    }

    // ---- scheduling (io thread) ------------------------------------------------------------

    void dispatch(function_slot& f) {
        if (stopping_flag()) {
            return;
        }
        while (!f.queue.empty()) {
            auto it = std::find_if(f.instances.begin(), f.instances.end(),
                                   [](const auto& i) { return i->state == instance_state::ready; });
            if (it == f.instances.end()) {
                break;
            }
            auto inv = std::move(f.queue.front());
            f.queue.pop_front();
            assign(*it, std::move(inv));
        }
        // Instances starting up or about to poll again will take queued invocations; start
        // more only for the rest, up to the function's concurrency.
        std::size_t coming = 0;
        for (const auto& i : f.instances) {
            if (i->state == instance_state::starting || i->state == instance_state::idle) {
                ++coming;
            }
        }
        const auto limit = static_cast<std::size_t>(std::max(1, f.cfg.max_concurrency));
        while (f.queue.size() > coming && f.instances.size() < limit) {
            if (!spawn(f)) {
                break;
            }
            ++coming;
        }
    }

    bool stopping_flag() {
        std::lock_guard lock{registry_mutex_};
        return stopping_;
    }

    void assign(const instance_ptr& inst, invocation_ptr inv) {
        function_slot& f = *inst->fn;
        inst->state = instance_state::busy;
        inst->current = inv;
        const int timeout = std::max(1, f.cfg.timeout_seconds);
        inv->deadline_ms = now_ms() + std::int64_t{timeout} * 1000;
        inst->inv_timer.expires_after(std::chrono::seconds{timeout});
        inst->inv_timer.async_wait([this, inst, inv, timeout](const boost::system::error_code& ec) {
            if (ec || inv->done.load() || inst->current != inv) {
                return;
            }
            function_slot& fs = *inst->fn;
            {
                std::lock_guard lock{stats_mutex_};
                ++fs.stats.timeouts;
            }
            const std::string msg = fmt::format("Task timed out after {}.00 seconds", timeout);
            log_.error(
                fmt::format("function {}: invocation {} timed out after {}.00 seconds; "
                            "{} killed and recycled",
                            fs.cfg.name, inv->request_id, timeout, inst->label()));
            auto r = failure("Sandbox.Timeout", msg);
            kill_instance(inst);
            complete(&fs, inv, std::move(r));
            dispatch(fs);
        });
        inst->wake.cancel();
    }

    // Starts one instance; false (and the oldest queued invocation failed) when it cannot.
    bool spawn(function_slot& f) {
        auto inst = std::make_shared<instance>(ioc_, f, f.next_number++);
        boost::system::error_code ec;
        const tcp::endpoint ep{asio::ip::make_address_v4("127.0.0.1"), 0};
        inst->acceptor.open(ep.protocol(), ec);
        if (!ec) {
            inst->acceptor.bind(ep, ec);
        }
        if (!ec) {
            inst->acceptor.listen(asio::socket_base::max_listen_connections, ec);
        }
        if (ec) {
            log_.error(fmt::format("function {}: cannot open a Runtime API port: {}", f.cfg.name,
                                   ec.message()));
            fail_oldest(f, failure("ServiceException", "cannot open a Runtime API port"));
            return false;
        }
        inst->port = inst->acceptor.local_endpoint().port();
        std::map<std::string, std::string> env_defaults;
        {
            const std::lock_guard lock{env_mutex_};
            env_defaults = opts_.environment;
        }
        const auto env = detail::lambda_environment(f.cfg, opts_, env_defaults, inst->port,
                                                    f.task_root, make_log_stream(), &::getenv);
        std::vector<char*> envp;
        for (const auto& e : env) {
            envp.push_back(const_cast<char*>(e.c_str()));
        }
        envp.push_back(nullptr);
        std::vector<char*> argv;
        for (const auto& a : f.cfg.command) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);

        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addchdir_np(&fa, f.task_root.c_str());
        // Sockets of the gateway (clients, listeners) must not leak into the child: a copy
        // there would keep a closed client connection open.
        posix_spawn_file_actions_addclosefrom_np(&fa, 3);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t none;
        sigemptyset(&none);
        sigset_t defaults;
        sigemptyset(&defaults);
        for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGCHLD, SIGHUP}) {
            sigaddset(&defaults, s);
        }
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        // Own process group: a timeout kills the bootstrap and anything it started.
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setflags(
            &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
        pid_t pid = -1;
        const int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (rc != 0) {
            inst->acceptor.close(ec);
            log_.error(fmt::format("function {}: cannot start '{}': {}", f.cfg.name,
                                   f.cfg.command.front(), std::strerror(rc)));
            fail_oldest(f, failure("Runtime.InvalidEntrypoint",
                                   fmt::format("cannot start '{}': {}", f.cfg.command.front(),
                                               std::strerror(rc))));
            return false;
        }
        inst->pid = pid;
        f.instances.push_back(inst);
        std::uint64_t cold = 0;
        {
            std::lock_guard lock{stats_mutex_};
            cold = ++f.stats.cold_starts;
            ++f.stats.instances;
        }
        log_.info(fmt::format("function {}: cold start #{}: {} on Runtime API 127.0.0.1:{}",
                              f.cfg.name, cold, inst->label(), inst->port));
        arm_poll_timer(inst);
        asio::co_spawn(ioc_, accept_loop(inst),
                       [this](const std::exception_ptr& e) { log_exception(e); });
        return true;
    }

    void fail_oldest(function_slot& f, invocation_result r) {
        if (f.queue.empty()) {
            return;
        }
        auto inv = std::move(f.queue.front());
        f.queue.pop_front();
        complete(&f, inv, std::move(r));
    }

    // The instance must (re)poll /next within init_timeout_ms.
    void arm_poll_timer(const instance_ptr& inst) {
        inst->poll_timer.expires_after(std::chrono::milliseconds{opts_.init_timeout_ms});
        inst->poll_timer.async_wait([this, inst](const boost::system::error_code& ec) {
            if (ec ||
                (inst->state != instance_state::starting && inst->state != instance_state::idle)) {
                return;
            }
            function_slot& f = *inst->fn;
            const bool at_start = inst->state == instance_state::starting;
            log_.error(fmt::format("function {}: {} did not poll /next within {} ms {}; killed",
                                   f.cfg.name, inst->label(), opts_.init_timeout_ms,
                                   at_start ? "of starting" : "after its last response"));
            auto init_error = inst->init_error;
            auto init_type = inst->init_error_type;
            kill_instance(inst);
            if (at_start) {
                fail_oldest(f, init_error ? invocation_result{true, *init_error, init_type, {}}
                                          : failure("Runtime.Unknown",
                                                    fmt::format("the runtime did not poll for an "
                                                                "invocation within {} ms",
                                                                opts_.init_timeout_ms)));
            }
            dispatch(f);
        });
    }

    // Closes the instance's port and timers (io thread).
    void close_instance(instance& inst) {
        boost::system::error_code ec;
        inst.state = instance_state::dead;
        inst.acceptor.close(ec);
        inst.wake.cancel();
        inst.poll_timer.cancel();
        inst.inv_timer.cancel();
    }

    void remove_instance(const instance_ptr& inst) {
        function_slot& f = *inst->fn;
        close_instance(*inst);
        auto it = std::find(f.instances.begin(), f.instances.end(), inst);
        if (it != f.instances.end()) {
            f.instances.erase(it);
            std::lock_guard lock{stats_mutex_};
            --f.stats.instances;
        }
    }

    // SIGKILL to the instance's process group; the pid is reaped later.
    void kill_instance(const instance_ptr& inst) {
        if (inst->pid > 0) {
            ::kill(-inst->pid, SIGKILL);
            zombies_.push_back(inst->pid);
        }
        remove_instance(inst);
    }

    void arm_reaper() {
        reaper_.expires_after(25ms);
        reaper_.async_wait([this](const boost::system::error_code& ec) {
            if (ec) {
                return;
            }
            reap();
            arm_reaper();
        });
    }

    void reap() {
        std::erase_if(zombies_, [](pid_t pid) {
            int status = 0;
            const pid_t r = ::waitpid(pid, &status, WNOHANG);
            return r == pid || (r < 0 && errno == ECHILD);
        });
        for (auto& [name, slot] : functions_) {
            auto instances = slot->instances;  // on_exit edits the list
            for (const auto& inst : instances) {
                int status = 0;
                const pid_t r = ::waitpid(inst->pid, &status, WNOHANG);
                if (r == inst->pid) {
                    on_exit(inst, status);
                }
            }
        }
    }

    void on_exit(const instance_ptr& inst, int status) {
        function_slot& f = *inst->fn;
        {
            std::lock_guard lock{stats_mutex_};
            ++f.stats.crashes;
        }
        ::kill(-inst->pid, SIGKILL);  // anything the bootstrap left behind in its group
        const std::string how = describe_status(status);
        const auto state = inst->state;
        auto current = inst->current;
        auto init_error = inst->init_error;
        auto init_type = inst->init_error_type;
        remove_instance(inst);
        if (state == instance_state::busy && current) {
            log_.error(
                fmt::format("function {}: {} exited ({}) during invocation {}; it is "
                            "replaced on next use",
                            f.cfg.name, inst->label(), how, current->request_id));
            complete(&f, current,
                     failure("Runtime.ExitError",
                             fmt::format("RequestId: {} Error: Runtime exited with error: {}",
                                         current->request_id, how)));
        } else if (state == instance_state::starting) {
            log_.error(fmt::format(
                "function {}: {} exited at start-up ({}){}", f.cfg.name, inst->label(), how,
                init_error ? fmt::format(", init error: {}", *init_error) : std::string{}));
            fail_oldest(f, init_error ? invocation_result{true, *init_error, init_type, {}}
                                      : failure("Runtime.ExitError",
                                                fmt::format("Runtime exited with error: {}", how)));
        } else {
            log_.warn(
                fmt::format("function {}: {} exited while idle ({}); it is replaced on "
                            "next use",
                            f.cfg.name, inst->label(), how));
        }
        dispatch(f);
    }

    void terminate(const std::vector<pid_t>& pids) {
        for (pid_t p : pids) {
            ::kill(-p, SIGTERM);
        }
        const auto deadline = std::chrono::steady_clock::now() + 500ms;
        std::vector<pid_t> left = pids;
        while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
            std::erase_if(left, [](pid_t p) {
                int status = 0;
                const pid_t r = ::waitpid(p, &status, WNOHANG);
                return r == p || (r < 0 && errno == ECHILD);
            });
            if (!left.empty()) {
                std::this_thread::sleep_for(10ms);
            }
        }
        for (pid_t p : left) {
            ::kill(-p, SIGKILL);
            int status = 0;
            ::waitpid(p, &status, 0);
        }
    }

    void log_exception(const std::exception_ptr& e) const {
        if (e) {
            log_.error("runtime API task failed: " + describe_exception(e));
        }
    }

    // ---- the Runtime API (io thread) -------------------------------------------------------

    asio::awaitable<void> accept_loop(instance_ptr inst) {
        for (;;) {
            auto [ec, socket] = co_await inst->acceptor.async_accept(use_nothrow);
            if (ec) {
                co_return;  // closed with the instance
            }
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            asio::co_spawn(ioc_, serve(inst, std::move(socket)),
                           [this](const std::exception_ptr& e) { log_exception(e); });
        }
    }

    using response = http::response<http::string_body>;

    static response json_response(http::status status, unsigned version, std::string body) {
        response res{status, version};
        res.set(http::field::content_type, "application/json");
        res.body() = std::move(body);
        res.prepare_payload();
        return res;
    }

    static response runtime_error(http::status status,
                                  unsigned version,
                                  std::string_view type,
                                  std::string_view message) {
        return json_response(status, version, runtime_error_json(type, message));
    }

    asio::awaitable<void> serve(instance_ptr inst, tcp::socket socket) {
        beast::tcp_stream stream{std::move(socket)};
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(max_request_bytes);
            auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_nothrow);
            (void)n;
            if (ec) {
                if (ec == http::error::body_limit) {
                    on_oversized(inst);
                    auto res = runtime_error(
                        http::status::payload_too_large, 11, "RequestEntityTooLarge",
                        fmt::format("Exceeded maximum allowed payload size ({} bytes).",
                                    detail::max_runtime_payload_bytes));
                    res.keep_alive(false);
                    co_await http::async_write(stream, res, use_nothrow);
                } else if (ec != http::error::end_of_stream && ec != asio::error::eof &&
                           ec != asio::error::connection_reset &&
                           ec != asio::error::operation_aborted && parser.got_some()) {
                    // Garbage that is not HTTP: say so and hang up.
                    log_.warn(
                        fmt::format("function {}: {} sent a malformed Runtime API "
                                    "request ({})",
                                    inst->fn->cfg.name, inst->label(), ec.message()));
                    auto res = runtime_error(http::status::bad_request, 11, "InvalidRequest",
                                             "malformed HTTP request");
                    res.keep_alive(false);
                    co_await http::async_write(stream, res, use_nothrow);
                }
                stream.socket().shutdown(tcp::socket::shutdown_both, ec);
                co_return;
            }
            auto req = parser.release();
            const unsigned version = req.version();
            const bool keep = req.keep_alive();
            const auto target = detail::parse_runtime_target(req.target());
            response res;
            if (target.call == detail::runtime_call::next && req.method() == http::verb::get) {
                auto next = co_await handle_next(inst, version);
                if (!next) {
                    co_return;  // instance gone
                }
                res = std::move(*next);
            } else if ((target.call == detail::runtime_call::response ||
                        target.call == detail::runtime_call::error) &&
                       req.method() == http::verb::post) {
                res = handle_result(inst, target, req);
            } else if (target.call == detail::runtime_call::init_error &&
                       req.method() == http::verb::post) {
                res = handle_init_error(inst, req);
            } else {
                res = runtime_error(
                    http::status::not_found, version, "NotFound",
                    fmt::format("no Runtime API resource {} {}", std::string{req.method_string()},
                                std::string{req.target()}));
            }
            res.keep_alive(keep);
            auto [wec, wn] = co_await http::async_write(stream, res, use_nothrow);
            (void)wn;
            if (wec || !keep) {
                stream.socket().shutdown(tcp::socket::shutdown_both, wec);
                co_return;
            }
        }
    }

    asio::awaitable<std::optional<response>> handle_next(instance_ptr inst, unsigned version) {
        if (inst->state == instance_state::busy || inst->state == instance_state::ready) {
            co_return runtime_error(http::status::forbidden, version, "InvalidStateTransition",
                                    inst->state == instance_state::busy
                                        ? "/next called while invocation " +
                                              inst->current->request_id +
                                              " has no response or error yet"
                                        : std::string{"another /next request is already waiting"});
        }
        if (inst->state == instance_state::dead) {
            co_return std::nullopt;
        }
        inst->poll_timer.cancel();
        inst->state = instance_state::ready;
        dispatch(*inst->fn);
        while (inst->state == instance_state::ready) {
            inst->wake.expires_at(asio::steady_timer::time_point::max());
            co_await inst->wake.async_wait(use_nothrow);
        }
        if (inst->state != instance_state::busy || !inst->current) {
            co_return std::nullopt;
        }
        const auto& inv = *inst->current;
        response res{http::status::ok, version};
        res.set(http::field::content_type, "application/json");
        res.set("Lambda-Runtime-Aws-Request-Id", inv.request_id);
        res.set("Lambda-Runtime-Deadline-Ms", std::to_string(inv.deadline_ms));
        res.set("Lambda-Runtime-Invoked-Function-Arn", arn(*inst->fn));
        res.set("Lambda-Runtime-Trace-Id", inv.trace_id);
        res.body() = inv.payload;
        res.prepare_payload();
        co_return res;
    }

    void on_oversized(const instance_ptr& inst) {
        if (inst->state != instance_state::busy || !inst->current) {
            return;
        }
        finish_current(inst, failure("Function.ResponseSizeTooLarge",
                                     fmt::format("Response payload size exceeded maximum allowed "
                                                 "payload size ({} bytes).",
                                                 detail::max_runtime_payload_bytes)));
    }

    // The current invocation of `inst` is over; the instance will poll again.
    void finish_current(const instance_ptr& inst, invocation_result r) {
        auto inv = std::move(inst->current);
        inst->current.reset();
        inst->last_request_id = inv->request_id;
        inst->state = instance_state::idle;
        inst->inv_timer.cancel();
        arm_poll_timer(inst);
        if (r.failed) {
            log_.warn(fmt::format("function {}: invocation {} failed: {}", inst->fn->cfg.name,
                                  inv->request_id, r.payload));
        }
        complete(inst->fn, inv, std::move(r));
    }

    response handle_result(const instance_ptr& inst,
                           const detail::runtime_target& target,
                           http::request<http::string_body>& req) {
        const unsigned version = req.version();
        const bool is_current = inst->state == instance_state::busy && inst->current &&
                                inst->current->request_id == target.request_id;
        if (!is_current) {
            if (!target.request_id.empty() && target.request_id == inst->last_request_id) {
                return runtime_error(http::status::forbidden, version, "InvalidStateTransition",
                                     fmt::format("invocation {} already has a response or error",
                                                 target.request_id));
            }
            log_.warn(fmt::format("function {}: {} posted for unknown request id '{}'",
                                  inst->fn->cfg.name, inst->label(), target.request_id));
            return runtime_error(http::status::bad_request, version, "InvalidRequestID",
                                 fmt::format("Invalid request ID: '{}'", target.request_id));
        }
        if (req.body().size() > detail::max_runtime_payload_bytes) {
            on_oversized(inst);
            return runtime_error(http::status::payload_too_large, version, "RequestEntityTooLarge",
                                 fmt::format("Exceeded maximum allowed payload size ({} bytes).",
                                             detail::max_runtime_payload_bytes));
        }
        invocation_result r;
        if (target.call == detail::runtime_call::error) {
            std::string type{req["Lambda-Runtime-Function-Error-Type"]};
            if (type.empty()) {
                type = "Unhandled";
            }
            r.failed = true;
            r.payload = detail::error_payload(type, req.body());
            r.error_type = std::move(type);
        } else {
            r.payload = std::move(req.body());
        }
        finish_current(inst, std::move(r));
        return json_response(http::status::accepted, version, R"({"status":"OK"})");
    }

    response handle_init_error(const instance_ptr& inst, http::request<http::string_body>& req) {
        const unsigned version = req.version();
        if (inst->state != instance_state::starting) {
            return runtime_error(http::status::forbidden, version, "InvalidStateTransition",
                                 "init error reported after initialization");
        }
        std::string type{req["Lambda-Runtime-Function-Error-Type"]};
        if (type.empty()) {
            type = "Runtime.Unknown";
        }
        inst->init_error = detail::error_payload(type, req.body());
        inst->init_error_type = type;
        log_.error(fmt::format("function {}: {} reported an init error: {}", inst->fn->cfg.name,
                               inst->label(), *inst->init_error));
        return json_response(http::status::accepted, version, R"({"status":"OK"})");
    }

    function_host_options opts_;
    std::mutex env_mutex_;  // guards opts_.environment (set_environment)
    stderr_sink stderr_;
    logger log_;
    asio::io_context ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
    asio::steady_timer reaper_;
    std::thread thread_;
    std::map<std::string, std::unique_ptr<function_slot>, std::less<>> functions_;
    std::vector<pid_t> zombies_;
    std::mt19937_64 rng_;
    mutable std::mutex stats_mutex_;
    std::mutex registry_mutex_;
    std::set<invocation_ptr> pending_;
    bool stopping_ = false;
};

}  // namespace

result<std::unique_ptr<function_host>> function_host::start(std::vector<function_config> functions,
                                                            function_host_options opts) {
    std::set<std::string, std::less<>> names;
    for (auto& f : functions) {
        // Instances start in their task root, so a relative executable path (one with a '/')
        // must be made absolute against our working directory first; a bare name stays a PATH
        // lookup (e.g. `node`).
        if (!f.command.empty() && f.command.front().find('/') != std::string::npos &&
            std::filesystem::path{f.command.front()}.is_relative()) {
            std::error_code ec;
            auto absolute = std::filesystem::absolute(f.command.front(), ec);
            if (!ec) {
                f.command.front() = absolute.lexically_normal().string();
            }
        }
        if (f.name.empty()) {
            return fail(errc::invalid_argument, "a function has no name");
        }
        if (!names.insert(f.name).second) {
            return fail(errc::invalid_argument,
                        fmt::format("function {} is defined twice", f.name));
        }
        if (f.command.empty() || f.command.front().empty()) {
            return fail(errc::invalid_argument,
                        fmt::format("function {} has no command to start", f.name));
        }
        if (f.timeout_seconds <= 0 || f.max_concurrency <= 0 || f.memory_mb <= 0) {
            return fail(errc::invalid_argument,
                        fmt::format("function {}: timeout, memory and concurrency must be positive",
                                    f.name));
        }
    }
    if (opts.init_timeout_ms <= 0) {
        return fail(errc::invalid_argument, "init timeout must be positive");
    }
    auto host = std::make_unique<function_host_impl>(std::move(functions), std::move(opts));
    host->start_thread();
    return std::unique_ptr<function_host>{std::move(host)};
}

}  // namespace lift::gateway
