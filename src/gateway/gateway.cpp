// The local API Gateway: one network thread (Asio coroutines) owns every socket; handlers run
// on the worker pool; results come back to the network thread by asio::post. The only Beast
// use is HTTP parsing/serialising; WebSocket framing is our own (ws_codec) so that API
// Gateway's limits and close codes can be reproduced exactly.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <lift/core/ascii.hpp>
#include <lift/core/authorizer.hpp>
#include <lift/core/context.hpp>
#include <lift/core/ids.hpp>
#include <lift/core/json.hpp>
#include <lift/core/metrics.hpp>
#include <lift/core/protocol.hpp>
#include <lift/gateway/gateway.hpp>

#include "asio_support.hpp"
#include "handshake.hpp"
#include "http_paths.hpp"
#include "metrics_totals.hpp"
#include "worker_pool.hpp"
#include "ws_codec.hpp"
#include <sys/socket.h>

namespace lift::gateway {

namespace {

using namespace lift::gateway::net;  // asio, beast, http, json, tcp, use_nothrow, now_ms
using namespace std::chrono_literals;

using ascii::iequals;

// Writes gateway diagnostics to stderr, one line each.
class stderr_sink final : public log_sink {
public:
    void write(std::string_view line) override {
        std::lock_guard lock{mutex_};
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fputc('\n', stderr);
    }

private:
    std::mutex mutex_;
};

// What the network thread must do when an invocation finishes.
struct invocation_outcome {
    std::string frame;  // text payload to send back (two-way body or error frame), may be empty
    bool failed = false;
};

// Immutable facts about a connection, shared with workers.
struct connection_facts {
    std::string connection_id;
    std::string source_ip;
    std::optional<std::string> user_agent;
    std::string stage;
    std::string domain_name;
    std::string api_id;
    std::int64_t connected_at = 0;
    std::optional<json::object> authorizer;  // requestContext.authorizer after an Allow
};

// What the authorizer phase of a handshake decided: status 0 = allowed (with `context`), else
// the HTTP status to refuse with.
struct authorization {
    int status = 0;
    json::object context;
};

// Largest authorizer response API Gateway accepts (aws-reference §3.3).
constexpr std::size_t max_authorizer_response_bytes = 8 * 1024;

// True when `origin` has the form scheme://authority with no path, query or fragment.
bool is_origin(std::string_view origin) {
    const auto sep = origin.find("://");
    if (sep == std::string_view::npos || sep == 0) {
        return false;
    }
    for (const char c : origin.substr(0, sep)) {
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alpha && c != '+' && c != '-' && c != '.') {
            return false;
        }
    }
    const auto rest = origin.substr(sep + 3);
    return !rest.empty() && rest.find_first_of("/?#@ \t\r\n") == std::string_view::npos;
}

// A FIFO that allocates nothing until its first push (an empty std::deque already holds ~600
// bytes, and most connections sit idle with both of their queues empty). Kept once allocated.
template <class T>
class lazy_queue {
public:
    [[nodiscard]] bool empty() const { return !q_ || q_->empty(); }

    [[nodiscard]] std::size_t size() const { return q_ ? q_->size() : 0; }

    void push_back(T v) {
        if (!q_) {
            q_ = std::make_unique<std::deque<T>>();
        }
        q_->push_back(std::move(v));
    }

    T& front() { return q_->front(); }

    void pop_front() { q_->pop_front(); }

    void clear() {
        if (q_) {
            q_->clear();
        }
    }

private:
    std::unique_ptr<std::deque<T>> q_;
};

class gateway_impl;

// One WebSocket connection. Fields without atomics are touched only on the network thread.
class session : public std::enable_shared_from_this<session> {
public:
    session(gateway_impl& gw, tcp::socket socket);

    gateway_impl& gw;
    tcp::socket socket;
    std::shared_ptr<const connection_facts> facts;
    detail::ws_reader reader;

    // Outbound frames. Any thread may send: when nothing is queued and the writer is idle, the
    // frame goes straight to the socket (non-blocking send) — a reply from a handler thread
    // then does not wait for the network thread; otherwise it is queued for the writer
    // coroutine (one async_write in flight). out_mutex guards the queue, the flags and the
    // socket's file descriptor against close().
    std::mutex out_mutex;
    lazy_queue<std::string> outq;
    bool writer_busy = false;     // the writer owns a batch in flight
    bool writer_waiting = false;  // the writer is parked on `wake`
    bool out_closed = false;      // a close frame is queued or the socket is closed
    asio::steady_timer wake;
    std::atomic<std::size_t> queued_bytes{0};  // bytes queued or in flight in the writer
    std::atomic<std::int64_t> last_active{0};

    // Lifecycle.
    bool open = false;               // 101 sent and not closing
    bool counted = false;            // counted in connections_opened
    bool closing = false;            // close frame queued or socket failing
    bool finalized = false;          // socket closed, $disconnect queued
    bool close_after_write = false;  // a close frame is queued: half-close once it is out
    bool peer_closed = false;        // the peer's close frame arrived
    bool reader_failed = false;      // protocol error: ignore further input
    std::uint16_t disconnect_code = protocol::close_abnormal;
    std::string disconnect_reason;
    asio::steady_timer life_timer;

    // Invocations run one at a time per connection, in arrival order.
    struct pending {
        bool disconnect = false;
        std::string body;
        std::int64_t received_ms = 0;
    };

    lazy_queue<pending> queue;
    bool inflight = false;
    bool inflight_is_message = false;
    std::uint64_t generation = 0;
    std::chrono::steady_clock::time_point inflight_deadline{};

    bool deliver(std::string frame);
    void queue_close_frame(std::string frame);
    void send_text(std::string_view payload);
    void begin_close(std::uint16_t wire_code,
                     std::string_view wire_reason,
                     std::uint16_t disc_code,
                     std::string_view disc_reason);
    void finalize(std::uint16_t code, std::string_view reason);
    void invoke(pending p);
    void pump();
    void on_invocation_done(std::uint64_t gen, invocation_outcome outcome);
    void on_integration_timeout();
    void arm_life_timer();
    void process(const char* data, std::size_t size);
    asio::awaitable<void> writer();
    asio::awaitable<void> reader_loop();
};

// The in-process management API handlers use; safe from any thread.
class local_connection_api final : public connection_api {
public:
    explicit local_connection_api(gateway_impl& gw) : gw_(gw) {}

    result<void> post_to_connection(std::string_view id, std::string_view data) override;
    std::vector<result<void>> post_many(std::span<const std::string> ids,
                                        std::string_view data) override;
    result<lift::connection_info> get_connection(std::string_view id) override;
    result<void> delete_connection(std::string_view id) override;

private:
    gateway_impl& gw_;
};

class gateway_impl final : public gateway {
public:
    gateway_impl(const lift::app& app, options opts)
        : app_(app),
          opts_(std::move(opts)),
          acceptor_(ioc_),
          signals_(ioc_),
          workers_(opts_.workers == 0 ? std::max(1u, std::thread::hardware_concurrency())
                                      : opts_.workers),
          api_(*this),
          gw_log_(stderr_, opts_.level),
          metrics_totals_(workers_.max_threads()),
          worker_states_(std::make_unique<worker_state[]>(workers_.max_threads())) {
        api_id_ = ids_.next_api_id();
        services_.api = &api_;
        services_.store = app_.store();
        services_.sink = &stdout_;
        services_.level = log_level_from_env(log_level::info);
    }

    ~gateway_impl() override { stop(); }

    result<void> init() {
        if (!opts_.route_selection_expression.empty()) {
            auto expr = route_selection_expression::parse(opts_.route_selection_expression);
            if (!expr) {
                return expr.error();
            }
            selection_ = std::move(*expr);
        } else {
            selection_ = app_.route_selection();
        }
        if (opts_.integration_timeout_ms < protocol::min_integration_timeout_ms) {
            return fail(errc::invalid_argument,
                        fmt::format("integration timeout must be at least {} ms",
                                    protocol::min_integration_timeout_ms));
        }
        if (opts_.idle_timeout_seconds <= 0 || opts_.max_lifetime_seconds <= 0) {
            return fail(errc::invalid_argument, "timeouts must be positive");
        }
        if (opts_.authorizer) {
            if (!opts_.authorizer->invoke) {
                return fail(errc::invalid_argument, "the $connect authorizer has no function");
            }
            for (const auto& text : opts_.authorizer->identity_sources) {
                auto src = identity_source::parse(text);
                if (!src) {
                    return src.error();
                }
                identity_sources_.push_back(std::move(*src));
            }
        }
        for (const auto& origin : opts_.allowed_origins) {
            if (!is_origin(origin)) {
                return fail(errc::invalid_argument,
                            fmt::format("allowed origin '{}' is not scheme://host[:port] (no "
                                        "path, no trailing slash)",
                                        origin));
            }
        }
        boost::system::error_code ec;
        const auto address = asio::ip::make_address(opts_.host, ec);
        if (ec) {
            return fail(errc::invalid_argument,
                        fmt::format("bad --host '{}': {}", opts_.host, ec.message()));
        }
        const tcp::endpoint ep{address, opts_.port};
        acceptor_.open(ep.protocol(), ec);
        if (!ec) {
            acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
            acceptor_.bind(ep, ec);
        }
        if (!ec) {
            acceptor_.listen(asio::socket_base::max_listen_connections, ec);
        }
        if (ec) {
            return fail(errc::unavailable, fmt::format("cannot listen on {}:{}: {}", opts_.host,
                                                       opts_.port, ec.message()));
        }
        port_ = acceptor_.local_endpoint().port();
        if (opts_.handler_connection_api) {
            auto made = opts_.handler_connection_api(management_url(), api_);
            if (!made) {
                return made.error();
            }
            if (!*made) {
                return fail(errc::invalid_argument, "handler_connection_api returned no API");
            }
            handler_api_ = std::move(*made);
            services_.api = handler_api_.get();
        }
        arm_sweep();
        asio::co_spawn(ioc_, accept_loop(),
                       [this](const std::exception_ptr& e) { log_exception(e); });
        net_thread_ = std::thread([this] { ioc_.run(); });  // work_ keeps it running
        return {};
    }

    // gateway interface --------------------------------------------------------------------

    std::uint16_t port() const noexcept override { return port_; }

    std::string websocket_url() const override {
        return fmt::format("ws://{}:{}/{}", display_host(), port_, opts_.stage);
    }

    std::string http_url() const override {
        return fmt::format("http://{}:{}/", display_host(), port_);
    }

    std::string management_url() const override {
        return fmt::format("http://{}:{}/{}", display_host(), port_, opts_.stage);
    }

    void stop() override;
    void wait() override;
    void handle_signals() override;

    connection_api& connections() noexcept override { return api_; }

    lift::gateway::stats stats() const override {
        lift::gateway::stats s;
        s.connections_opened = opened_.load();
        s.connections_rejected = rejected_.load();
        s.connections_closed = closed_.load();
        s.connections_open = s.connections_opened - s.connections_closed;
        s.messages_in = messages_in_.load();
        s.messages_out = messages_out_.load();
        s.invocations = invocations_.load();
        s.invocation_errors = invocation_errors_.load();
        s.cold_starts = workers_.threads_started();
        return s;
    }

    // shared with sessions ------------------------------------------------------------------

    std::string next_id() {
        std::lock_guard lock{ids_mutex_};
        return ids_.next();
    }

    void register_open(const std::shared_ptr<session>& s) {
        std::lock_guard lock{registry_mutex_};
        registry_[s->facts->connection_id] = s;
    }

    void unregister(const std::string& id) {
        std::lock_guard lock{registry_mutex_};
        registry_.erase(id);
    }

    std::shared_ptr<session> find(std::string_view id) {
        std::lock_guard lock{registry_mutex_};
        auto it = registry_.find(std::string{id});
        return it == registry_.end() ? nullptr : it->second;
    }

    // One lookup per id under one lock (null where the id is not open).
    std::vector<std::shared_ptr<session>> find_many(std::span<const std::string> ids) {
        std::vector<std::shared_ptr<session>> out;
        out.reserve(ids.size());
        std::lock_guard lock{registry_mutex_};
        for (const auto& id : ids) {
            auto it = registry_.find(id);
            out.push_back(it == registry_.end() ? nullptr : it->second);
        }
        return out;
    }

    void post_job(detail::worker_pool::job job) {
        if (!workers_.post(std::move(job))) {
            gw_log_.warn("worker pool stopped; invocation dropped");
        }
    }

    void run_invocation(const std::shared_ptr<session>& s,
                        session::pending p,
                        std::uint64_t gen,
                        std::size_t worker);

    // Calls the $connect authorizer (worker thread) and judges its answer.
    authorization authorize(const authorizer_request& request);

    // The metrics recorder of the next invocation on worker thread `worker`: one per thread,
    // cleared and reused, so it keeps its memory.
    lift::metrics& recorder(std::size_t worker) {
        auto& r = worker_states_[worker].recorder;
        if (!r) {
            r.emplace(&opts_.metrics);
        }
        r->clear();
        return *r;
    }

    // Services for one invocation on worker thread `worker`: the shared ones plus its metrics
    // recorder and whether it is the first invocation on that thread (the thread plays a
    // Lambda instance). Only that thread touches its worker_state: no lock.
    context_services begin_invocation(std::size_t worker, lift::metrics& m) {
        worker_state& w = worker_states_[worker];
        const bool cold = !w.warm;
        w.warm = true;
        if (cold) {
            m.add(standard_metrics::cold_start, 1);
        }
        context_services s = services_;
        s.metrics = &m;
        s.cold_start = cold;
        return s;
    }

    // The end of an invocation: totals for GET /_lift/metrics; at debug level the EMF
    // documents go to the gateway log as Lambda would print them.
    void end_invocation(std::size_t worker, const lift::metrics& m) {
        for (const auto& p : m.problems()) {
            gw_log_.warn("metric dropped: " + p);
        }
        metrics_totals_.add(worker, m);
        if (gw_log_.enabled(log_level::debug)) {
            for (const auto& doc : m.serialize(now_ms())) {
                stderr_.write(doc);
            }
        }
    }

    // Sessions with an invocation in flight (network thread only). A session stays alive while
    // listed: the running job holds a shared_ptr until on_invocation_done unlists it.
    void track_inflight(session* s) { inflight_.insert(s); }

    void untrack_inflight(session* s) { inflight_.erase(s); }

    asio::io_context& ioc() noexcept { return ioc_; }

    const options& opts() const noexcept { return opts_; }

    const logger& log() const noexcept { return gw_log_; }

    std::vector<char>& read_buffer() noexcept { return read_buf_; }

    void forget(session* s) { live_.erase(s); }

    std::atomic<std::uint64_t> opened_{0}, rejected_{0}, closed_{0}, messages_in_{0},
        messages_out_{0}, invocations_{0}, invocation_errors_{0};

private:
    std::string display_host() const {
        return opts_.host == "0.0.0.0" || opts_.host == "::" ? "127.0.0.1" : opts_.host;
    }

    void log_exception(const std::exception_ptr& e) const {
        if (e) {
            gw_log_.error("gateway task failed: " + describe_exception(e));
        }
    }

    // Enforces the integration timeout for every in-flight invocation, at a granularity of a
    // tenth of the timeout (5 ms to 1 s).
    void arm_sweep() {
        const auto period = std::chrono::milliseconds{
            std::clamp<std::int64_t>(opts_.integration_timeout_ms / 10, 5, 1000)};
        sweep_timer_.expires_after(period);
        sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec) {
                return;
            }
            const auto now = std::chrono::steady_clock::now();
            std::vector<session*> expired;
            for (session* s : inflight_) {
                if (s->inflight_deadline <= now) {
                    expired.push_back(s);
                }
            }
            for (session* s : expired) {
                inflight_.erase(s);
                s->on_integration_timeout();
            }
            arm_sweep();
        });
    }

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve(tcp::socket socket);
    asio::awaitable<void> upgrade(beast::tcp_stream& stream,
                                  beast::flat_buffer& buffer,
                                  const http::request<http::string_body>& req);
    http::response<http::string_body> plain_request(const http::request<http::string_body>& req);
    http::response<http::string_body> management_request(
        const http::request<http::string_body>& req, const std::string& id);
    std::optional<http::response<http::string_body>> static_request(
        const http::request<http::string_body>& req, std::string_view path);
    websocket_event connect_event(const http::request<http::string_body>& req,
                                  const connection_facts& facts,
                                  std::string_view query,
                                  bool has_query);

    const lift::app& app_;
    options opts_;
    asio::io_context ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
    tcp::acceptor acceptor_;
    asio::signal_set signals_;
    std::thread net_thread_;
    std::uint16_t port_ = 0;
    std::string api_id_;
    route_selection_expression selection_;
    std::vector<identity_source> identity_sources_;  // of opts_.authorizer, parsed

    detail::worker_pool workers_;
    local_connection_api api_;
    std::unique_ptr<connection_api> handler_api_;  // options::handler_connection_api's, if any
    stdout_sink stdout_;
    stderr_sink stderr_;
    logger gw_log_;
    context_services services_;
    detail::metrics_totals metrics_totals_;  // one part per worker thread

    // What one worker thread (one "Lambda instance") keeps to itself, indexed by the pool's
    // worker index: only that thread reads or writes it.
    struct alignas(64) worker_state {
        bool warm = false;                      // has run an invocation (ColdStart)
        id_generator ids;                       // request and message ids of its invocations
        std::optional<lift::metrics> recorder;  // see recorder()
    };

    std::unique_ptr<worker_state[]> worker_states_;

    std::mutex ids_mutex_;
    id_generator ids_;

    std::mutex registry_mutex_;
    std::unordered_map<std::string, std::shared_ptr<session>> registry_;
    std::unordered_set<session*> live_;      // network thread only: every session not yet finalized
    std::unordered_set<session*> inflight_;  // network thread only
    asio::steady_timer sweep_timer_{ioc_};

    std::vector<char> read_buf_ = std::vector<char>(64 * 1024);

    std::mutex state_mutex_;
    std::condition_variable state_cv_;
    bool stop_requested_ = false;
    bool stopped_ = false;
    std::atomic<bool> stopping_{false};
};

// ---- session ---------------------------------------------------------------------------------

session::session(gateway_impl& g, tcp::socket sock)
    : gw(g),
      socket(std::move(sock)),
      reader(detail::reader_limits{gw.opts().max_frame_bytes, gw.opts().max_message_bytes, true}),
      wake(gw.ioc()),
      life_timer(gw.ioc()) {}

// Sends a frame from any thread; false when the connection takes no more output.
bool session::deliver(std::string frame) {
    std::unique_lock lock{out_mutex};
    if (out_closed) {
        return false;
    }
    if (!writer_busy && outq.empty()) {
        const auto n =
            ::send(socket.native_handle(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n == static_cast<ssize_t>(frame.size())) {
            return true;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                return true;  // the connection is failing; the reader reports it
            }
        } else {
            frame.erase(0, static_cast<std::size_t>(n));
        }
    }
    queued_bytes.fetch_add(frame.size());
    outq.push_back(std::move(frame));
    if (writer_waiting) {
        writer_waiting = false;
        lock.unlock();
        asio::post(gw.ioc(), [self = shared_from_this()] { self->wake.cancel(); });
    }
    return true;
}

// Queues the final frame (network thread): nothing is sent after it.
void session::queue_close_frame(std::string frame) {
    std::lock_guard lock{out_mutex};
    if (out_closed) {
        return;
    }
    out_closed = true;
    queued_bytes.fetch_add(frame.size());
    outq.push_back(std::move(frame));
    writer_waiting = false;
    wake.cancel();
}

void session::send_text(std::string_view payload) {
    if (!open) {
        return;
    }
    last_active.store(now_ms());
    // Counted before the bytes can reach the client, so a client that saw the frame also sees
    // it in stats(); taken back if the connection turned out to be gone.
    gw.messages_out_.fetch_add(1, std::memory_order_relaxed);
    if (!deliver(detail::encode_text(payload, protocol::max_frame_bytes))) {
        gw.messages_out_.fetch_sub(1, std::memory_order_relaxed);
    }
}

void session::begin_close(std::uint16_t wire_code,
                          std::string_view wire_reason,
                          std::uint16_t disc_code,
                          std::string_view disc_reason) {
    if (closing || finalized) {
        return;
    }
    closing = true;
    open = false;
    disconnect_code = disc_code;
    disconnect_reason.assign(disc_reason);
    gw.unregister(facts->connection_id);
    close_after_write = true;
    queue_close_frame(detail::encode_close(wire_code, wire_reason));
    // Bound the closing handshake: the peer has a moment to answer, then the socket goes.
    life_timer.expires_after(1000ms);
    life_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) {
            self->finalize(self->disconnect_code, self->disconnect_reason);
        }
    });
}

void session::finalize(std::uint16_t code, std::string_view reason) {
    if (finalized) {
        return;
    }
    finalized = true;
    if (open || !closing) {
        gw.unregister(facts->connection_id);
    }
    open = false;
    closing = true;
    {
        std::lock_guard lock{out_mutex};
        out_closed = true;
        outq.clear();
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }
    life_timer.cancel();
    wake.cancel();
    if (counted) {
        gw.closed_.fetch_add(1);
    }
    gw.forget(this);
    std::string why{reason};
    pending p;
    p.disconnect = true;
    p.received_ms = now_ms();
    disconnect_code = code;
    disconnect_reason = std::move(why);
    queue.push_back(std::move(p));
    pump();
}

void session::pump() {
    if (inflight || queue.empty()) {
        return;
    }
    pending p = std::move(queue.front());
    queue.pop_front();
    inflight = true;
    inflight_is_message = !p.disconnect;
    const std::uint64_t gen = ++generation;
    // The integration timeout is enforced by the gateway's sweep (no timer per message).
    inflight_deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds{gw.opts().integration_timeout_ms};
    gw.track_inflight(this);
    gw.post_job([self = shared_from_this(), p = std::move(p), gen](std::size_t worker) mutable {
        self->gw.run_invocation(self, std::move(p), gen, worker);
    });
}

void session::on_integration_timeout() {
    // Answered like a failed invocation; the late result is dropped when it arrives.
    gw.invocation_errors_.fetch_add(1);
    gw.log().warn(fmt::format("integration timed out after {} ms on connection {}",
                              gw.opts().integration_timeout_ms, facts->connection_id));
    ++generation;
    inflight = false;
    if (inflight_is_message) {
        send_text(protocol::internal_error_frame(facts->connection_id, gw.next_id()));
    }
    pump();
}

void session::on_invocation_done(std::uint64_t gen, invocation_outcome outcome) {
    if (gen != generation || !inflight) {
        return;  // timed out earlier; API Gateway has already answered
    }
    inflight = false;
    gw.untrack_inflight(this);
    if (!outcome.frame.empty()) {
        send_text(outcome.frame);
    }
    pump();
}

void session::arm_life_timer() {
    if (closing) {
        return;
    }
    const auto& o = gw.opts();
    const std::int64_t idle_deadline = last_active.load() + o.idle_timeout_seconds * 1000;
    const std::int64_t life_deadline = facts->connected_at + o.max_lifetime_seconds * 1000;
    const std::int64_t deadline = std::min(idle_deadline, life_deadline);
    life_timer.expires_after(
        std::chrono::milliseconds{std::max<std::int64_t>(0, deadline - now_ms())});
    life_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->closing) {
            return;
        }
        const auto& opts = self->gw.opts();
        const std::int64_t now = now_ms();
        const bool idle = now - self->last_active.load() >= opts.idle_timeout_seconds * 1000;
        const bool aged = now - self->facts->connected_at >= opts.max_lifetime_seconds * 1000;
        if (idle || aged) {
            self->begin_close(protocol::close_going_away, protocol::reason_going_away,
                              protocol::close_going_away, protocol::reason_going_away);
        } else {
            self->arm_life_timer();
        }
    });
}

// Feeds received bytes to the frame reader.
void session::process(const char* data, std::size_t size) {
    detail::ws_event ev;
    while (size > 0 && !finalized && !reader_failed && !peer_closed) {
        const std::size_t used = reader.consume(data, size, ev);
        data += used;
        size -= used;
        switch (ev.kind) {
            case detail::ws_event_kind::none:
                break;
            case detail::ws_event_kind::text: {
                if (closing) {
                    break;  // data after our close frame is discarded (RFC 6455 §5.5.1)
                }
                const std::int64_t now = now_ms();
                last_active.store(now);
                gw.messages_in_.fetch_add(1, std::memory_order_relaxed);
                if (queue.size() >= gw.opts().max_pending_messages) {
                    gw.invocation_errors_.fetch_add(1);
                    gw.log().warn(
                        fmt::format("connection {}: {} messages waiting; answered as "
                                    "throttled",
                                    facts->connection_id, queue.size()));
                    send_text(protocol::internal_error_frame(facts->connection_id, gw.next_id()));
                    break;
                }
                pending p;
                p.body = std::move(ev.payload);
                p.received_ms = now;
                queue.push_back(std::move(p));
                pump();
                break;
            }
            case detail::ws_event_kind::binary:
                break;  // not produced: binary frames are rejected by the reader limits
            case detail::ws_event_kind::ping:
                if (!closing) {
                    (void)deliver(detail::encode_pong(ev.payload));
                }
                break;
            case detail::ws_event_kind::pong:
                break;
            case detail::ws_event_kind::close: {
                peer_closed = true;
                if (closing) {
                    finalize(disconnect_code, disconnect_reason);  // the answer to our close
                    return;
                }
                const std::uint16_t code = ev.close_code;
                closing = true;
                open = false;
                disconnect_code = code;
                disconnect_reason = code == protocol::close_no_status
                                        ? std::string{protocol::reason_no_status}
                                        : std::move(ev.payload);
                gw.unregister(facts->connection_id);
                close_after_write = true;
                std::string frame;
                if (code == protocol::close_no_status) {
                    detail::append_frame_header(frame, 0x8, true, 0);
                } else {
                    frame = detail::encode_close(code, "");
                }
                queue_close_frame(std::move(frame));
                return;
            }
            case detail::ws_event_kind::failure:
                reader_failed = true;
                gw.log().debug(fmt::format("closing {} with {}: {}", facts->connection_id,
                                           ev.close_code, ev.payload));
                begin_close(ev.close_code, "", ev.close_code, "");
                return;
        }
    }
}

asio::awaitable<void> session::reader_loop() {
    auto self = shared_from_this();
    auto& buf = gw.read_buffer();
    for (;;) {
        if (finalized) {
            co_return;
        }
        auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, use_nothrow);
        if (finalized) {
            co_return;
        }
        if (ec) {
            finalize(closing ? disconnect_code : protocol::close_abnormal,
                     closing ? std::string{disconnect_reason} : std::string{});
            co_return;
        }
        // Drain what is readable into the shared buffer (one network thread: no per-connection
        // read buffer is needed, which keeps idle connections small).
        for (;;) {
            boost::system::error_code rec;
            const std::size_t n = socket.read_some(asio::buffer(buf), rec);
            if (rec == asio::error::would_block || rec == asio::error::try_again) {
                break;
            }
            if (rec) {
                finalize(closing ? disconnect_code : protocol::close_abnormal,
                         closing ? std::string{disconnect_reason} : std::string{});
                co_return;
            }
            process(buf.data(), n);
            if (finalized) {
                co_return;
            }
            if (n < buf.size()) {
                break;
            }
        }
    }
}

asio::awaitable<void> session::writer() {
    auto self = shared_from_this();
    std::vector<std::string> batch;
    std::vector<asio::const_buffer> buffers;
    for (;;) {
        if (finalized) {
            co_return;
        }
        batch.clear();
        buffers.clear();
        {
            std::lock_guard lock{out_mutex};
            while (!outq.empty() && batch.size() < 64) {
                batch.push_back(std::move(outq.front()));
                outq.pop_front();
            }
            writer_busy = !batch.empty();
            writer_waiting = batch.empty();
        }
        if (batch.empty()) {
            wake.expires_at(asio::steady_timer::time_point::max());
            auto [ec] = co_await wake.async_wait(use_nothrow);
            (void)ec;
            continue;
        }
        std::size_t bytes = 0;
        for (const auto& b : batch) {
            buffers.emplace_back(asio::buffer(b));
            bytes += b.size();
        }
        auto [ec, n] = co_await asio::async_write(socket, buffers, use_nothrow);
        (void)n;
        queued_bytes.fetch_sub(std::min(bytes, queued_bytes.load()));
        if (ec) {
            finalize(closing ? disconnect_code : protocol::close_abnormal,
                     closing ? std::string_view{disconnect_reason} : std::string_view{});
            co_return;
        }
        bool close_is_out = false;
        {
            std::lock_guard lock{out_mutex};
            close_is_out = out_closed && outq.empty();
        }
        if (close_after_write && closing && close_is_out) {
            // Our close frame (or the echo of the peer's) is out: half-close and let the
            // reader see the peer's EOF or close frame, bounded by the closing timer.
            close_after_write = false;
            if (peer_closed) {
                finalize(disconnect_code, disconnect_reason);
                co_return;
            }
            boost::system::error_code ignored;
            socket.shutdown(tcp::socket::shutdown_send, ignored);
        }
    }
}

// ---- invocations (worker threads) ------------------------------------------------------------

void gateway_impl::run_invocation(const std::shared_ptr<session>& s,
                                  session::pending p,
                                  std::uint64_t gen,
                                  std::size_t worker) {
    const connection_facts& f = *s->facts;
    websocket_event ev;
    auto& rc = ev.request_context;
    id_generator& ids = worker_states_[worker].ids;
    const std::string request_id = ids.next();
    rc.extended_request_id = request_id;
    rc.request_id = request_id;
    rc.request_time = format_request_time(p.received_ms);
    rc.request_time_epoch = p.received_ms;
    rc.stage = f.stage;
    rc.connected_at = f.connected_at;
    rc.identity.source_ip = f.source_ip;
    rc.identity.user_agent = f.user_agent;
    rc.domain_name = f.domain_name;
    rc.connection_id = f.connection_id;
    rc.api_id = f.api_id;
    rc.authorizer = f.authorizer;

    invocation_outcome outcome;
    if (p.disconnect) {
        rc.route_key = std::string{protocol::disconnect_route};
        rc.type = event_type::disconnect;
        rc.disconnect_status_code = s->disconnect_code;
        rc.disconnect_reason = s->disconnect_reason;
        // API Gateway's fixed $disconnect header set.
        ev.headers = protocol::disconnect_headers(f.domain_name);
        ev.multi_value_headers = to_multi_value(*ev.headers);
        lift::metrics& m = recorder(worker);
        context ctx{ev, begin_invocation(worker, m), p.received_ms + opts_.integration_timeout_ms};
        invocations_.fetch_add(1, std::memory_order_relaxed);
        auto r = app_.handle(ctx);  // logs a failure with its details
        if (!r) {
            invocation_errors_.fetch_add(1);
        }
        end_invocation(worker, m);
    } else {
        rc.type = event_type::message;
        rc.message_id = ids.next();
        json::value body_json;
        bool is_json = false;
        {
            boost::system::error_code ec;
            body_json = json::parse(p.body, ec);
            is_json = !ec;
        }
        std::string key =
            is_json ? selection_.evaluate(body_json) : std::string{protocol::default_route};
        const route* r = nullptr;
        if (key != protocol::connect_route && key != protocol::disconnect_route) {
            r = app_.find(key);
        }
        if (r == nullptr) {
            key = std::string{protocol::default_route};
            r = app_.find(key);
        }
        if (r == nullptr) {
            // No route and no $default: AWS answers with the Forbidden frame, socket stays open.
            outcome.frame = protocol::forbidden_frame(f.connection_id, request_id);
        } else {
            rc.route_key = key;
            ev.body = std::move(p.body);
            lift::metrics& m = recorder(worker);
            context ctx{ev, begin_invocation(worker, m),
                        p.received_ms + opts_.integration_timeout_ms};
            if (is_json) {
                ctx.set_json_body(std::move(body_json));
            }
            invocations_.fetch_add(1, std::memory_order_relaxed);
            auto res = app_.handle(ctx);  // logs a failure with its details
            end_invocation(worker, m);
            if (!res) {
                invocation_errors_.fetch_add(1);
                // The generic frame only: the error text stays in the log.
                outcome.failed = true;
                outcome.frame = protocol::internal_error_frame(f.connection_id, request_id);
            } else if (r->options.two_way && res->body && !res->body->empty()) {
                outcome.frame = std::move(*res->body);
            }
        }
    }
    asio::post(ioc_, [s, gen, outcome = std::move(outcome)]() mutable {
        s->on_invocation_done(gen, std::move(outcome));
    });
}

authorization gateway_impl::authorize(const authorizer_request& request) {
    const auto& name = opts_.authorizer->name;
    invocations_.fetch_add(1, std::memory_order_relaxed);
    result<authorizer_response> r = fail(errc::internal, "not run");
    try {
        r = opts_.authorizer->invoke(request);
    } catch (const std::exception& e) {
        r = fail(errc::handler_failed, std::string{"exception: "} + e.what());
    } catch (...) {
        r = fail(errc::handler_failed, "unknown exception");
    }
    const auto& conn = request.request_context.connection_id;
    if (!r) {
        if (r.error().code == errc::unauthorized) {
            gw_log_.info(
                fmt::format("handshake {} refused (401): {} answered Unauthorized", conn, name));
            return {401, {}};
        }
        invocation_errors_.fetch_add(1);
        gw_log_.error(fmt::format("handshake {} refused (500): {} failed: {}", conn, name,
                                  r.error().message));
        return {500, {}};
    }
    if (auto valid = validate_context(r->context); !valid) {
        invocation_errors_.fetch_add(1);
        gw_log_.error(fmt::format("handshake {} refused (500): {} returned an invalid response: {}",
                                  conn, name, valid.error().message));
        return {500, {}};
    }
    if (const auto size = serialize(*r).size(); size > max_authorizer_response_bytes) {
        invocation_errors_.fetch_add(1);
        gw_log_.error(
            fmt::format("handshake {} refused (500): {} returned {} bytes, over the {} "
                        "byte limit",
                        conn, name, size, max_authorizer_response_bytes));
        return {500, {}};
    }
    switch (evaluate_policy(*r, request.method_arn)) {
        case policy_decision::allowed:
            return {0, authorizer_context(*r)};
        case policy_decision::explicitly_denied:
            gw_log_.info(fmt::format("handshake {} refused (403): {} denied {}", conn, name,
                                     request.method_arn));
            return {403, {}};
        case policy_decision::not_allowed:
            break;
    }
    gw_log_.info(fmt::format("handshake {} refused (403): no Allow statement of {} matches {}",
                             conn, name, request.method_arn));
    return {403, {}};
}

// ---- HTTP side ---------------------------------------------------------------------------------

asio::awaitable<void> gateway_impl::accept_loop() {
    for (;;) {
        auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
                co_return;
            }
            gw_log_.warn(fmt::format("accept failed: {}", ec.message()));
            // Out of file descriptors and similar: back off briefly instead of spinning.
            asio::steady_timer t{ioc_, 50ms};
            co_await t.async_wait(use_nothrow);
            continue;
        }
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        asio::co_spawn(ioc_, serve(std::move(socket)),
                       [this](const std::exception_ptr& e) { log_exception(e); });
    }
}

namespace {
http::response<http::string_body> make_response(http::status status,
                                                unsigned version,
                                                std::string body = {},
                                                std::string_view content_type = {}) {
    http::response<http::string_body> res{status, version};
    if (!content_type.empty()) {
        res.set(http::field::content_type, content_type);
    }
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

http::response<http::string_body> aws_error(http::status status,
                                            unsigned version,
                                            std::string_view error_type,
                                            std::string body) {
    auto res = make_response(status, version, std::move(body), "application/json");
    res.set("x-amzn-ErrorType", error_type);
    return res;
}
}  // namespace

asio::awaitable<void> gateway_impl::serve(tcp::socket socket) {
    beast::tcp_stream stream{std::move(socket)};
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        // Beyond this Beast stops reading (431); check_handshake enforces the 8 KiB header and
        // 4096-byte target limits of an upgrade itself, with the right status for each.
        parser.header_limit(32 * 1024);
        parser.body_limit(std::max<std::uint64_t>(1024 * 1024, opts_.max_message_bytes + 4096));
        stream.expires_after(30s);
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_nothrow);
        (void)n;
        if (ec) {
            std::optional<http::response<http::string_body>> res;
            if (ec == http::error::body_limit) {
                res = aws_error(http::status::payload_too_large, 11, "PayloadTooLargeException",
                                R"({"message":"Request Entity Too Large"})");
            } else if (ec == http::error::header_limit) {
                res = make_response(http::status::request_header_fields_too_large, 11);
            } else if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
                       ec != asio::error::eof && ec != asio::error::connection_reset &&
                       ec != asio::error::operation_aborted) {
                res = make_response(http::status::bad_request, 11);
            }
            if (res) {
                res->keep_alive(false);
                co_await http::async_write(stream, *res, use_nothrow);
            }
            co_return;
        }
        auto& req = parser.get();
        const auto upgrade_it = req.find(http::field::upgrade);
        if (upgrade_it != req.end() && detail::has_token(upgrade_it->value(), "websocket")) {
            co_await upgrade(stream, buffer, req);
            co_return;
        }
        auto res = plain_request(req);
        res.keep_alive(req.keep_alive() && !stopping_.load());
        auto [wec, wn] = co_await http::async_write(stream, res, use_nothrow);
        (void)wn;
        if (wec || !res.keep_alive()) {
            boost::system::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            co_return;
        }
    }
}

http::response<http::string_body> gateway_impl::plain_request(
    const http::request<http::string_body>& req) {
    const auto parts = detail::split_target(req.target());
    if (auto id = detail::connections_id(parts.path, opts_.stage)) {
        return management_request(req, *id);
    }
    if (parts.path == "/_lift/metrics" && req.method() == http::verb::get) {
        auto res = make_response(http::status::ok, req.version(), metrics_totals_.to_json(),
                                 "application/json");
        res.set(http::field::cache_control, "no-cache");
        return res;
    }
    if (auto page = static_request(req, parts.path)) {
        return std::move(*page);
    }
    const bool ws_path = parts.path == "/" || parts.path == "/" + opts_.stage ||
                         parts.path == "/" + opts_.stage + "/";
    if (ws_path) {
        // A WebSocket endpoint reached without an upgrade.
        auto res = make_response(http::status::upgrade_required, req.version(),
                                 R"({"message":"Upgrade Required"})", "application/json");
        res.set(http::field::upgrade, "websocket");
        res.set(http::field::connection, "Upgrade");
        return res;
    }
    return aws_error(http::status::forbidden, req.version(), "ForbiddenException",
                     R"({"message":"Forbidden"})");
}

http::response<http::string_body> gateway_impl::management_request(
    const http::request<http::string_body>& req, const std::string& id) {
    const unsigned v = req.version();
    auto with_id = [this](http::response<http::string_body> res) {
        res.set("x-amzn-RequestId", next_id());
        return res;
    };
    if (opts_.authorize_management) {
        std::vector<std::pair<std::string_view, std::string_view>> headers;
        headers.reserve(16);
        for (const auto& field : req) {
            headers.emplace_back(field.name_string(), field.value());
        }
        const management_call call{req.method_string(), req.target(), headers, req.body()};
        if (auto refusal = opts_.authorize_management(call)) {
            return with_id(aws_error(static_cast<http::status>(refusal->status), v,
                                     refusal->error_type, std::move(refusal->body)));
        }
    }
    if (id.empty()) {
        return with_id(aws_error(http::status::forbidden, v, "ForbiddenException",
                                 R"({"message":"Forbidden"})"));
    }
    switch (req.method()) {
        case http::verb::post: {
            auto r = api_.post_to_connection(id, req.body());
            if (r) {
                return with_id(make_response(http::status::ok, v));
            }
            if (r.error().code == errc::payload_too_large) {
                return with_id(aws_error(http::status::payload_too_large, v,
                                         "PayloadTooLargeException",
                                         R"({"message":"Request Entity Too Large"})"));
            }
            if (r.error().code == errc::limit_exceeded) {
                return with_id(aws_error(http::status::too_many_requests, v,
                                         "LimitExceededException",
                                         R"({"message":"Limit Exceeded"})"));
            }
            return with_id(aws_error(http::status::gone, v, "GoneException", ""));
        }
        case http::verb::get: {
            auto r = api_.get_connection(id);
            if (!r) {
                return with_id(aws_error(http::status::gone, v, "GoneException", ""));
            }
            json::object identity;
            identity["sourceIp"] = r->source_ip;
            if (r->user_agent) {
                identity["userAgent"] = *r->user_agent;
            } else {
                identity["userAgent"] = nullptr;
            }
            json::object body;
            body["connectedAt"] = format_iso8601_ms(r->connected_at);
            body["identity"] = std::move(identity);
            body["lastActiveAt"] = format_iso8601_ms(r->last_active_at);
            return with_id(
                make_response(http::status::ok, v, json::serialize(body), "application/json"));
        }
        case http::verb::delete_: {
            auto r = api_.delete_connection(id);
            if (!r) {
                return with_id(aws_error(http::status::gone, v, "GoneException", ""));
            }
            return with_id(make_response(http::status::no_content, v));
        }
        default:
            return with_id(aws_error(http::status::forbidden, v, "ForbiddenException",
                                     R"({"message":"Forbidden"})"));
    }
}

std::optional<http::response<http::string_body>> gateway_impl::static_request(
    const http::request<http::string_body>& req, std::string_view path) {
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
        return std::nullopt;
    }
    if (opts_.static_files.empty() && opts_.static_dir.empty()) {
        return std::nullopt;
    }
    auto rel = detail::static_relative_path(path);
    if (!rel) {
        return std::nullopt;
    }
    std::optional<http::response<http::string_body>> res;
    const std::string key = "/" + (*rel == "index.html" ? std::string{} : *rel);
    if (auto it = opts_.static_files.find(key); it != opts_.static_files.end()) {
        res = make_response(http::status::ok, req.version(), it->second.body,
                            it->second.content_type);
    } else if (auto it2 = opts_.static_files.find("/" + *rel); it2 != opts_.static_files.end()) {
        res = make_response(http::status::ok, req.version(), it2->second.body,
                            it2->second.content_type);
    } else if (!opts_.static_dir.empty()) {
        std::ifstream in{opts_.static_dir + "/" + *rel, std::ios::binary};
        if (!in) {
            return std::nullopt;
        }
        std::ostringstream ss;
        ss << in.rdbuf();
        res = make_response(http::status::ok, req.version(), ss.str(),
                            detail::content_type_for(*rel));
    } else {
        return std::nullopt;
    }
    res->set(http::field::cache_control, "no-cache");
    if (req.method() == http::verb::head) {
        const auto size = res->body().size();
        res->body().clear();
        res->content_length(size);
    }
    return res;
}

websocket_event gateway_impl::connect_event(const http::request<http::string_body>& req,
                                            const connection_facts& f,
                                            std::string_view query,
                                            bool has_query) {
    websocket_event ev;
    auto& rc = ev.request_context;
    rc.route_key = std::string{protocol::connect_route};
    rc.type = event_type::connect;
    const std::string request_id = next_id();
    rc.extended_request_id = request_id;
    rc.request_id = request_id;
    rc.request_time = format_request_time(f.connected_at);
    rc.request_time_epoch = f.connected_at;
    rc.stage = f.stage;
    rc.connected_at = f.connected_at;
    rc.identity.source_ip = f.source_ip;
    rc.identity.user_agent = f.user_agent;
    rc.domain_name = f.domain_name;
    rc.connection_id = f.connection_id;
    rc.api_id = f.api_id;

    // Handshake headers as sent (case kept), minus Connection/Upgrade which API Gateway does
    // not forward, plus the X-Forwarded-* and trace headers it adds.
    string_map headers;
    multi_string_map multi;
    for (const auto& field : req) {
        const std::string name{field.name_string()};
        if (iequals(name, "connection") || iequals(name, "upgrade")) {
            continue;
        }
        std::string value{field.value()};
        multi[name].push_back(value);
        headers[name] = std::move(value);
    }
    const auto add = [&](std::string name, std::string value) {
        if (find_header(headers, name) == nullptr) {
            multi[name] = {value};
            headers[std::move(name)] = std::move(value);
        }
    };
    add("X-Forwarded-For", f.source_ip);
    add("X-Forwarded-Port", std::to_string(port_));
    add("X-Forwarded-Proto", "http");
    const std::string rid = next_id();
    std::string hex;
    for (char c : rid) {
        hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
    }
    add("X-Amzn-Trace-Id",
        fmt::format("Root=1-{:08x}-{}", f.connected_at / 1000, hex.substr(0, 24)));
    ev.headers = std::move(headers);
    ev.multi_value_headers = std::move(multi);
    if (has_query && !query.empty()) {
        string_map single;
        multi_string_map mq;
        detail::parse_query(query, single, mq);
        if (!single.empty()) {
            ev.query_string_parameters = std::move(single);
            ev.multi_value_query_string_parameters = std::move(mq);
        }
    }
    return ev;
}

asio::awaitable<void> gateway_impl::upgrade(beast::tcp_stream& stream,
                                            beast::flat_buffer& buffer,
                                            const http::request<http::string_body>& req) {
    const unsigned v = req.version();
    auto reject = [&](http::response<http::string_body> res) -> asio::awaitable<void> {
        res.keep_alive(false);
        co_await http::async_write(stream, res, use_nothrow);
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    };
    const auto parts = detail::split_target(req.target());
    const bool ws_path = parts.path == "/" || parts.path == "/" + opts_.stage ||
                         parts.path == "/" + opts_.stage + "/";
    if (!ws_path) {
        co_await reject(aws_error(http::status::forbidden, v, "ForbiddenException",
                                  R"({"message":"Forbidden"})"));
        co_return;
    }
    // RFC 6455 §4.2.1 with API Gateway's limits: 414, 431, 400 or 426 (src/gateway/handshake.cpp).
    detail::handshake_request hreq;
    hreq.method = req.method_string();
    hreq.version = v;
    hreq.target = req.target();
    for (const auto& field : req) {
        hreq.headers.emplace_back(field.name_string(), field.value());
    }
    const auto verdict = detail::check_handshake(hreq);
    if (verdict.status != 0) {
        gw_log_.debug(fmt::format("handshake refused ({}): {}", verdict.status, verdict.reason));
        auto res = make_response(static_cast<http::status>(verdict.status), v);
        for (const auto& [name, value] : verdict.headers) {
            res.set(name, value);
        }
        co_await reject(std::move(res));
        co_return;
    }
    if (stopping_.load() || live_.size() >= opts_.max_connections) {
        rejected_.fetch_add(1);
        co_await reject(make_response(http::status::service_unavailable, v));
        co_return;
    }
    // Origin allowlist: refused before $connect (and before any authorizer) runs.
    if (!opts_.allowed_origins.empty() || opts_.require_origin) {
        const auto origin = req.find(http::field::origin);
        bool allowed = origin == req.end() ? !opts_.require_origin : opts_.allowed_origins.empty();
        if (origin != req.end()) {
            for (const auto& o : opts_.allowed_origins) {
                allowed = allowed || iequals(o, origin->value());
            }
        }
        if (!allowed) {
            rejected_.fetch_add(1);
            gw_log_.info(origin == req.end()
                             ? std::string{"handshake refused (403): no Origin header"}
                             : fmt::format("handshake refused (403): Origin '{}' is not allowed",
                                           std::string_view{origin->value()}.substr(0, 200)));
            co_await reject(aws_error(http::status::forbidden, v, "ForbiddenException",
                                      R"({"message":"Forbidden"})"));
            co_return;
        }
    }

    auto facts = std::make_shared<connection_facts>();
    facts->connection_id = next_id();
    boost::system::error_code ec;
    const auto remote = stream.socket().remote_endpoint(ec);
    facts->source_ip = ec ? std::string{"127.0.0.1"} : remote.address().to_string();
    if (auto ua = req.find(http::field::user_agent); ua != req.end()) {
        facts->user_agent = std::string{ua->value()};
    }
    facts->stage = opts_.stage;
    facts->domain_name = std::string{req[http::field::host]};
    facts->api_id = api_id_;
    facts->connected_at = now_ms();

    // $connect runs before the 101; the result comes back through a timer used as a signal,
    // whose expiry is the integration timeout.
    struct connect_wait {
        explicit connect_wait(asio::io_context& io) : timer(io) {}

        asio::steady_timer timer;
        std::optional<result<reply>> outcome;
    };

    auto event =
        std::make_shared<websocket_event>(connect_event(req, *facts, parts.query, parts.has_query));

    // Lambda authorizer: identity sources first (401 without a call), then the authorizer on
    // a worker, bounded by the integration timeout.
    if (opts_.authorizer) {
        int refused = 0;
        for (const auto& src : identity_sources_) {
            if (!src.present_in(*event)) {
                refused = 401;
                gw_log_.info(
                    fmt::format("handshake refused (401): identity source {} is missing "
                                "or empty; {} not called",
                                src.to_string(), opts_.authorizer->name));
                break;
            }
        }
        if (refused == 0) {
            struct authorizer_wait {
                explicit authorizer_wait(asio::io_context& io) : timer(io) {}

                asio::steady_timer timer;
                std::optional<authorization> outcome;
            };

            auto aw = std::make_shared<authorizer_wait>(ioc_);
            aw->timer.expires_after(std::chrono::milliseconds{opts_.integration_timeout_ms});
            auto request = std::make_shared<authorizer_request>(make_authorizer_request(
                *event, fmt::format("arn:aws:execute-api:{}:{}:{}/{}/$connect", opts_.region,
                                    opts_.account_id, facts->api_id, facts->stage)));
            // The authorizer event carries Connection, Upgrade and content-length, which the
            // $connect proxy event does not (aws-reference §1.4).
            if (request->headers) {
                auto& h = *request->headers;
                auto& mh = *request->multi_value_headers;
                for (const auto field : {http::field::connection, http::field::upgrade}) {
                    if (auto it = req.find(field); it != req.end()) {
                        const std::string name{it->name_string()};
                        h[name] = std::string{it->value()};
                        mh[name] = {std::string{it->value()}};
                    }
                }
                if (find_header(h, "content-length") == nullptr) {
                    h["content-length"] = "0";
                    mh["content-length"] = {"0"};
                }
            }
            post_job([this, aw, request](std::size_t) {
                authorization outcome = authorize(*request);
                asio::post(ioc_, [aw, outcome = std::move(outcome)]() mutable {
                    aw->outcome = std::move(outcome);
                    aw->timer.cancel();
                });
            });
            auto [aec] = co_await aw->timer.async_wait(use_nothrow);
            (void)aec;
            if (!aw->outcome) {
                refused = 500;
                gw_log_.warn(fmt::format("handshake refused (500): {} did not answer within {} ms",
                                         opts_.authorizer->name, opts_.integration_timeout_ms));
            } else if (aw->outcome->status != 0) {
                refused = aw->outcome->status;
            } else {
                facts->authorizer = std::move(aw->outcome->context);
                event->request_context.authorizer = facts->authorizer;
            }
        }
        if (refused != 0) {
            rejected_.fetch_add(1);
            if (refused == 401) {
                co_await reject(aws_error(http::status::unauthorized, v, "UnauthorizedException",
                                          R"({"message":"Unauthorized"})"));
            } else if (refused == 403) {
                co_await reject(aws_error(http::status::forbidden, v, "AccessDeniedException",
                                          R"({"message":"Forbidden"})"));
            } else {
                co_await reject(aws_error(http::status::internal_server_error, v,
                                          "AuthorizerConfigurationException",
                                          R"({"message":"Internal server error"})"));
            }
            co_return;
        }
    }

    auto wait = std::make_shared<connect_wait>(ioc_);
    wait->timer.expires_after(std::chrono::milliseconds{opts_.integration_timeout_ms});
    post_job([this, wait, event](std::size_t worker) {
        lift::metrics& m = recorder(worker);
        context ctx{*event, begin_invocation(worker, m),
                    event->request_context.request_time_epoch + opts_.integration_timeout_ms};
        invocations_.fetch_add(1, std::memory_order_relaxed);
        result<reply> r = app_.handle(ctx);  // logs a failure with its details
        if (!r || r->status_code >= 500) {
            invocation_errors_.fetch_add(1);  // recovered failures answer 500
        }
        end_invocation(worker, m);
        asio::post(ioc_, [wait, r = std::move(r)]() mutable {
            wait->outcome = std::move(r);
            wait->timer.cancel();
        });
    });
    auto [wec] = co_await wait->timer.async_wait(use_nothrow);
    (void)wec;
    if (!wait->outcome) {
        invocation_errors_.fetch_add(1);
        gw_log_.warn(fmt::format("$connect timed out after {} ms", opts_.integration_timeout_ms));
    }
    if (!wait->outcome || !wait->outcome->has_value()) {
        rejected_.fetch_add(1);
        co_await reject(make_response(http::status::bad_gateway, v,
                                      R"({"message": "Internal server error"})",
                                      "application/json"));
        co_return;
    }
    const reply& rep = **wait->outcome;
    if (!rep.is_success()) {
        rejected_.fetch_add(1);
        auto res = make_response(static_cast<http::status>(rep.status_code), v);
        co_await reject(std::move(res));
        co_return;
    }

    std::string head =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: ";
    head += detail::websocket_accept(verdict.key);
    head += "\r\n";
    for (const auto& [name, value] : rep.headers) {
        if (iequals(name, "content-length") || iequals(name, "connection") ||
            iequals(name, "upgrade") || iequals(name, "sec-websocket-accept") ||
            iequals(name, "transfer-encoding") ||
            name.find_first_of("\r\n:") != std::string::npos ||
            value.find_first_of("\r\n") != std::string::npos) {
            continue;
        }
        head += name;
        head += ": ";
        head += value;
        head += "\r\n";
    }
    head += "\r\n";

    stream.expires_never();
    auto s = std::make_shared<session>(*this, stream.release_socket());
    s->facts = facts;
    s->last_active.store(facts->connected_at);
    live_.insert(s.get());
    auto [hec, hn] = co_await asio::async_write(s->socket, asio::buffer(head), use_nothrow);
    (void)hn;
    if (hec) {
        s->finalize(protocol::close_abnormal, "");
        co_return;
    }
    s->open = true;
    s->counted = true;
    opened_.fetch_add(1);
    register_open(s);
    s->socket.non_blocking(true, ec);
    s->arm_life_timer();
    asio::co_spawn(ioc_, s->writer(), [this](const std::exception_ptr& e) { log_exception(e); });
    if (buffer.size() > 0) {
        const auto data = buffer.data();
        s->process(static_cast<const char*>(data.data()), data.size());
        buffer.consume(buffer.size());
    }
    // The reader runs as its own coroutine, so this one and serve() end here: their frames (the
    // HTTP parser and request, the read buffer, the $connect event) are not kept for the life
    // of the connection. The reader and the writer hold the session.
    asio::co_spawn(ioc_, s->reader_loop(),
                   [this](const std::exception_ptr& e) { log_exception(e); });
}

// ---- management API
// ------------------------------------------------------------------------------

result<void> local_connection_api::post_to_connection(std::string_view id, std::string_view data) {
    const std::size_t max_post = std::max(protocol::max_post_bytes, gw_.opts().max_message_bytes);
    if (data.size() > max_post) {
        return fail(errc::payload_too_large,
                    fmt::format("payload of {} bytes exceeds {}", data.size(), max_post));
    }
    auto s = gw_.find(id);
    if (!s) {
        return fail(errc::gone, fmt::format("connection {} is gone", id));
    }
    auto frame = detail::encode_text(data, protocol::max_frame_bytes);
    const std::size_t queued = s->queued_bytes.load();
    if (queued > 0 && queued + frame.size() > gw_.opts().outbound_queue_limit) {
        return fail(errc::limit_exceeded,
                    fmt::format("outbound queue of connection {} is full", id));
    }
    s->last_active.store(now_ms());
    gw_.messages_out_.fetch_add(1, std::memory_order_relaxed);  // before the client can see it
    if (!s->deliver(std::move(frame))) {
        gw_.messages_out_.fetch_sub(1, std::memory_order_relaxed);
        return fail(errc::gone, fmt::format("connection {} is gone", id));
    }
    return {};
}

// As post_to_connection for each id (same checks, same outcomes), with the registry lookups
// under one lock and the frame encoded once: a broadcast to 10,000 connections is then about
// one send() per connection (design.md §5).
std::vector<result<void>> local_connection_api::post_many(std::span<const std::string> ids,
                                                          std::string_view data) {
    std::vector<result<void>> out;
    out.reserve(ids.size());
    const std::size_t max_post = std::max(protocol::max_post_bytes, gw_.opts().max_message_bytes);
    if (data.size() > max_post) {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            out.push_back(
                fail(errc::payload_too_large,
                     fmt::format("payload of {} bytes exceeds {}", data.size(), max_post)));
        }
        return out;
    }
    const auto sessions = gw_.find_many(ids);
    const std::string frame = detail::encode_text(data, protocol::max_frame_bytes);
    const std::size_t limit = gw_.opts().outbound_queue_limit;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        session* s = sessions[i].get();
        if (s == nullptr) {
            out.push_back(fail(errc::gone, fmt::format("connection {} is gone", ids[i])));
            continue;
        }
        const std::size_t queued = s->queued_bytes.load();
        if (queued > 0 && queued + frame.size() > limit) {
            out.push_back(fail(errc::limit_exceeded,
                               fmt::format("outbound queue of connection {} is full", ids[i])));
            continue;
        }
        s->last_active.store(now_ms());
        gw_.messages_out_.fetch_add(1, std::memory_order_relaxed);  // before the client sees it
        if (!s->deliver(frame)) {
            gw_.messages_out_.fetch_sub(1, std::memory_order_relaxed);
            out.push_back(fail(errc::gone, fmt::format("connection {} is gone", ids[i])));
            continue;
        }
        out.emplace_back();
    }
    return out;
}

result<lift::connection_info> local_connection_api::get_connection(std::string_view id) {
    auto s = gw_.find(id);
    if (!s) {
        return fail(errc::gone, fmt::format("connection {} is gone", id));
    }
    lift::connection_info info;
    info.connected_at = s->facts->connected_at;
    info.last_active_at = s->last_active.load();
    info.source_ip = s->facts->source_ip;
    info.user_agent = s->facts->user_agent;
    return info;
}

result<void> local_connection_api::delete_connection(std::string_view id) {
    auto s = gw_.find(id);
    if (!s) {
        return fail(errc::gone, fmt::format("connection {} is gone", id));
    }
    asio::post(gw_.ioc(), [s] {
        s->begin_close(protocol::close_normal, protocol::reason_closed_normally,
                       protocol::close_normal, protocol::reason_closed_normally);
    });
    return {};
}

// ---- lifecycle -------------------------------------------------------------------------------

void gateway_impl::stop() {
    {
        std::lock_guard lock{state_mutex_};
        if (stopped_) {
            return;
        }
        stopped_ = true;
    }
    stopping_.store(true);
    const auto deadline = std::chrono::steady_clock::now() + 1800ms;
    if (net_thread_.joinable()) {
        // Stop accepting and close every socket with 1001 "Going away".
        std::promise<void> closed;
        auto done = closed.get_future();
        asio::post(ioc_, [this, &closed] {
            boost::system::error_code ignored;
            acceptor_.close(ignored);
            signals_.cancel(ignored);
            sweep_timer_.cancel();
            std::vector<session*> all(live_.begin(), live_.end());
            for (session* s : all) {
                if (s->open) {
                    s->begin_close(protocol::close_going_away, protocol::reason_going_away,
                                   protocol::close_going_away, protocol::reason_going_away);
                } else if (!s->closing) {
                    s->finalize(protocol::close_going_away, protocol::reason_going_away);
                }
            }
            closed.set_value();
        });
        done.wait();
        // Wait for the closing handshakes (bounded), then for the $disconnect invocations.
        while (std::chrono::steady_clock::now() < deadline) {
            std::promise<std::size_t> count;
            auto f = count.get_future();
            asio::post(ioc_, [this, &count] { count.set_value(live_.size()); });
            if (f.wait_until(deadline) != std::future_status::ready) {
                // Cannot happen while work_ keeps the loop alive; never leave `count` dangling.
                f.wait();
                break;
            }
            if (f.get() == 0) {
                break;
            }
            std::this_thread::sleep_for(10ms);
        }
        // Sessions still open past the deadline are cut now.
        std::promise<void> cut;
        auto cut_done = cut.get_future();
        asio::post(ioc_, [this, &cut] {
            std::vector<session*> all(live_.begin(), live_.end());
            for (session* s : all) {
                s->finalize(s->disconnect_code, s->disconnect_reason);
            }
            cut.set_value();
        });
        cut_done.wait();
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        workers_.wait_idle(std::max<long>(50, static_cast<long>(left.count())));
        // Let the last posted completions run, then stop the network thread.
        std::promise<void> flushed;
        auto flushed_done = flushed.get_future();
        asio::post(ioc_, [&flushed] { flushed.set_value(); });
        flushed_done.wait();
        work_.reset();
        ioc_.stop();
        net_thread_.join();
    }
    workers_.shutdown();
    {
        std::lock_guard lock{state_mutex_};
        stop_requested_ = true;
    }
    state_cv_.notify_all();
}

void gateway_impl::wait() {
    {
        std::unique_lock lock{state_mutex_};
        state_cv_.wait(lock, [this] { return stop_requested_ || stopped_; });
    }
    stop();
}

void gateway_impl::handle_signals() {
    // Registered here, synchronously, so a signal that arrives right after this call (e.g.
    // right after the banner is printed) already stops the gateway gracefully. Nothing else
    // touches signals_ until stop() cancels it on the network thread.
    boost::system::error_code ec;
    signals_.add(SIGINT, ec);
    signals_.add(SIGTERM, ec);
    signals_.async_wait([this](const boost::system::error_code& e, int) {
        if (e) {
            return;
        }
        {
            std::lock_guard lock{state_mutex_};
            stop_requested_ = true;
        }
        state_cv_.notify_all();
    });
}

}  // namespace

result<std::unique_ptr<gateway>> gateway::start(const lift::app& app, options opts) {
    auto gw = std::make_unique<gateway_impl>(app, std::move(opts));
    auto r = gw->init();
    if (!r) {
        return r.error();
    }
    return std::unique_ptr<gateway>{std::move(gw)};
}

}  // namespace lift::gateway
