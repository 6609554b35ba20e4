// ws_load: a bounded WebSocket echo load generator for bench/echo_vs_peers.sh.
//
// Opens N connections to a loopback ws:// URL and sends JSON text messages of an exact size,
// checking that every reply equals what was sent. Two modes:
//   closed loop (--rate 0): each connection sends, waits for the echo, sends the next;
//   fixed rate (--rate R):  R messages/s in aggregate, each connection on its own schedule
//                           (connection i sends at start + (k*N + i)/R); latency runs from the
//                           *intended* send time, so a server that falls behind is charged for
//                           the wait (no coordinated omission).
// Every run is bounded by a message count and a duration, and only loopback addresses are
// accepted. With --server-pid the server's CPU use over the measured window is reported, so a
// maximum-throughput figure is trusted only when the server (not this client) is saturated.
//
//   ws-load --url ws://127.0.0.1:8080/dev --connections 50 --messages 200000 --duration 20
//   ws-load --url ws://127.0.0.1:8080/dev --rate 5000 --duration 15 --json
//
// Design. The client must cost less per message than the servers it measures, or on a 2-core
// machine it, not the server, sets the maximum. Connection setup uses Asio + Beast (Beast
// validates the HTTP upgrade); the measured traffic then runs on the released file descriptors
// in one plain level-triggered epoll loop per --threads thread, with hand-written framing:
// per message one send(), one recv() and a share of one epoll_wait(), where an Asio/Beast client
// also pays a speculative recv() that fails with EAGAIN and Beast's composed-operation layers
// (measured: about a third of the client's CPU). This deviates from style guide G7 ("load
// generator: Asio coroutines") on purpose; the instrument must be cheaper than its subject.
// Connections never move between threads; per-thread statistics are merged after the join.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;  // CLOCK_MONOTONIC, like epoll's timeouts
using time_point = clock_type::time_point;

// Boost 1.81 has no default completion token; I/O errors are values here.
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// The smallest --size that fits {"c":<5 digits>,"seq":<20 digits>,"pad":""}.
constexpr std::size_t min_payload_size = 48;

// Connections that finished their measured phase get this long for the closing handshake.
constexpr auto close_timeout = std::chrono::seconds(2);

// Housekeeping tick of the epoll loop (deadlines, close timeouts) when nothing else is due.
constexpr auto max_wait = std::chrono::milliseconds(10);

struct options {
    std::string url = "ws://127.0.0.1:8080/dev";
    unsigned connections = 50;
    std::uint64_t messages = 200000;
    double duration_s = 20.0;
    double rate = 0.0;
    double warmup_s = 1.0;
    std::size_t size = 64;
    unsigned threads = 1;
    double connect_timeout_s = 10.0;
    double grace_s = 5.0;
    int server_pid = 0;
    bool json = false;
    bool busy_poll = false;
};

struct target {
    std::string host;
    std::string port;
    std::string path;
};

std::optional<target> parse_url(std::string_view url) {
    constexpr std::string_view scheme = "ws://";
    if (url.substr(0, scheme.size()) != scheme) {
        return std::nullopt;
    }
    url.remove_prefix(scheme.size());
    const auto slash = url.find('/');
    const std::string_view authority = url.substr(0, slash);
    target t;
    t.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    const auto colon = authority.rfind(':');
    if (colon == std::string_view::npos) {
        t.host = authority;
        t.port = "80";
    } else {
        t.host = authority.substr(0, colon);
        t.port = authority.substr(colon + 1);
    }
    if (t.host.size() > 2 && t.host.front() == '[' && t.host.back() == ']') {
        t.host = t.host.substr(1, t.host.size() - 2);
    }
    if (t.host.empty() || t.port.empty()) {
        return std::nullopt;
    }
    return t;
}

bool is_loopback_host(const std::string& host) {
    if (host == "localhost") {
        return true;
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    return !ec && address.is_loopback();
}

// ---- CPU accounting ----------------------------------------------------------------------------

// CPU time of a process in seconds from /proc/PID/stat: user + system, plus with `children` the
// time of its waited-for children. PID 0 = this process.
std::optional<double> process_cpu_seconds(int pid, bool children = false) {
    std::ifstream in(pid == 0 ? std::string("/proc/self/stat")
                              : "/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) {
        return std::nullopt;
    }
    // Field 2 (comm) may hold spaces; count fields after its closing parenthesis.
    const auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 > line.size()) {
        return std::nullopt;
    }
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    unsigned long long total = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 14 || index == 15 || (children && (index == 16 || index == 17))) {
            total += std::stoull(field);
        }
        if (index == 17) {
            break;
        }
    }
    const long ticks = ::sysconf(_SC_CLK_TCK);
    return static_cast<double>(total) / static_cast<double>(ticks > 0 ? ticks : 100);
}

// CPU seconds used by every process except `server_pid` and this one, children included (so a
// compiler that exits inside the window is still seen, once its parent reaps it; a child that
// lived longer than the window is then over-counted, which errs towards "disturbed").
double others_cpu_seconds(int server_pid) {
    const int self = static_cast<int>(::getpid());
    double total = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        int pid = 0;
        const auto [end, parse_ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
        if (parse_ec != std::errc() || end != name.data() + name.size() || pid == self ||
            pid == server_pid) {
            continue;
        }
        total += process_cpu_seconds(pid, true).value_or(0.0);
    }
    return total;
}

// Busy and stolen CPU time of the whole machine, in seconds summed over all CPUs (/proc/stat).
// These counters are sampled at the scheduler tick: exact while CPUs stay busy (saturation),
// rough for bursty load, where the per-process times above are the better witness.
struct machine_cpu {
    double busy_s = 0;
    double steal_s = 0;
};

std::optional<machine_cpu> machine_cpu_seconds() {
    std::ifstream in("/proc/stat");
    std::string label;
    unsigned long long v[8] = {};
    if (!(in >> label) || label != "cpu") {
        return std::nullopt;
    }
    for (auto& x : v) {
        if (!(in >> x)) {
            return std::nullopt;
        }
    }
    const long ticks = ::sysconf(_SC_CLK_TCK);
    const double per_s = static_cast<double>(ticks > 0 ? ticks : 100);
    // user nice system idle iowait irq softirq steal
    const unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return machine_cpu{static_cast<double>(busy) / per_s, static_cast<double>(v[7]) / per_s};
}

struct cpu_sample {
    time_point at{};
    std::optional<double> server_s;
    std::optional<double> client_s;
    double others_s = 0;
    std::optional<machine_cpu> machine;
};

cpu_sample take_cpu_sample(int server_pid) {
    cpu_sample s;
    s.at = clock_type::now();
    if (server_pid > 0) {
        s.server_s = process_cpu_seconds(server_pid);
    }
    s.client_s = process_cpu_seconds(0);
    s.others_s = others_cpu_seconds(server_pid);
    s.machine = machine_cpu_seconds();
    return s;
}

// ---- shared run state --------------------------------------------------------------------------

// Written before the worker threads start, except the atomics and what end_mutex guards.
struct run_state {
    options opts;
    target where;
    bool open_loop = false;
    time_point start{};          // schedule origin, after every connection is up
    time_point measure_start{};  // end of warm-up
    time_point deadline{};       // no measured send starts at or after this
    time_point hard_deadline{};  // what is still open is closed; unanswered messages count
    std::atomic<std::uint64_t> claimed{0};
    std::atomic<unsigned> measuring{0};  // connections not yet done with the measured phase
    std::mutex end_mutex;
    cpu_sample end_sample;
};

// Called once per connection when it leaves the measured phase; the last one samples CPU use.
void leave_measured_phase(run_state* st) {
    if (st->measuring.fetch_sub(1) == 1) {
        const auto sample = take_cpu_sample(st->opts.server_pid);
        const std::lock_guard lock(st->end_mutex);
        st->end_sample = sample;
    }
}

// ---- per-connection and per-thread state -------------------------------------------------------

struct pending_message {
    time_point from{};  // closed loop: actual send time; fixed rate: intended send time
    bool measured = false;
    std::string payload;
};

enum class conn_state { running, draining, closing, done };

struct connection {
    unsigned id = 0;
    int fd = -1;
    conn_state state = conn_state::running;
    bool left_measured = false;
    std::uint64_t seq = 0;
    std::string payload;        // scratch for the next message
    std::string out;            // encoded frames not yet written
    std::size_t out_sent = 0;   // bytes of `out` already written
    bool want_write = false;    // EPOLLOUT registered
    std::vector<char> in;       // received bytes not yet parsed
    std::string message;        // a message being reassembled from fragments
    bool message_text = false;  // opcode of the message's first frame was text
    bool in_message = false;    // continuation frames expected
    std::deque<pending_message> in_flight;
    time_point close_by{};
};

struct worker_stats {
    std::vector<std::int64_t> latencies_ns;
    std::uint64_t sent = 0;  // measured messages written
    std::uint64_t connect_errors = 0;
    std::uint64_t io_errors = 0;
    std::uint64_t mismatches = 0;
    std::uint64_t timeouts = 0;  // measured messages still unanswered at the end
    time_point last_reply{};
    std::string first_error;
};

struct worker {
    std::vector<std::unique_ptr<connection>> conns;
    worker_stats stats;
    std::uint64_t prng = 0x9e3779b97f4a7c15ULL;  // xorshift64 state for masking keys
};

void note_error(worker* w, std::string what) {
    if (w->stats.first_error.empty()) {
        w->stats.first_error = std::move(what);
    }
}

void note_mismatch(worker* w, std::string_view sent, std::string_view got, bool got_text) {
    ++w->stats.mismatches;
    if (w->stats.first_error.empty()) {
        constexpr std::size_t shown = 120;
        w->stats.first_error = std::string("mismatch: sent ") + std::string(sent.substr(0, shown)) +
                               " got " + (got_text ? "text " : "binary ") +
                               std::string(got.substr(0, shown));
    }
}

// ---- phase 1: connect with Asio + Beast, then take the file descriptor -------------------------

// Boost 1.81's ChaCha generator (beast/core/detail/chacha.hpp) feeds ctr_/16 instead of ctr_ into
// each block, so the same 16 words come out 15 times in a row and every 4th Sec-WebSocket-Key
// repeats. Servers that key connections by Sec-WebSocket-Key (serverless-offline 13 does) then
// cross-deliver replies. Consuming 256 words per handshake moves each key into a distinct block.
// The generator is thread_local and this runs on the connection's own thread right before the
// handshake that draws the key.
void skip_repeating_key_block() {
    auto generate = websocket::detail::make_prng(true);
    for (int i = 0; i < 256; ++i) {
        static_cast<void>(generate());
    }
}

struct connect_job {
    connection* conn = nullptr;
    worker* home = nullptr;
};

asio::awaitable<void> connect_one(connect_job job, const run_state* st) {
    connection* c = job.conn;
    worker* w = job.home;
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    auto [resolve_ec, results] =
        co_await resolver.async_resolve(st->where.host, st->where.port, use_nothrow);
    if (resolve_ec) {
        ++w->stats.connect_errors;
        note_error(w, "resolve: " + resolve_ec.message());
        co_return;
    }
    websocket::stream<beast::tcp_stream> ws(executor);
    auto& lowest = beast::get_lowest_layer(ws);
    lowest.expires_after(std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double>(st->opts.connect_timeout_s)));
    auto [connect_ec, endpoint] = co_await lowest.async_connect(results, use_nothrow);
    if (connect_ec) {
        ++w->stats.connect_errors;
        note_error(w, "connect: " + connect_ec.message());
        co_return;
    }
    if (!endpoint.address().is_loopback()) {
        ++w->stats.connect_errors;
        note_error(w, "connect: resolved to a non-loopback address");
        co_return;
    }
    boost::system::error_code ignored;
    lowest.socket().set_option(tcp::no_delay(true), ignored);
    const std::string host = st->where.host + ":" + std::to_string(endpoint.port());
    skip_repeating_key_block();
    auto [handshake_ec] = co_await ws.async_handshake(host, st->where.path, use_nothrow);
    if (handshake_ec) {
        ++w->stats.connect_errors;
        note_error(w, "handshake: " + handshake_ec.message());
        co_return;
    }
    // An echo server sends nothing before the first message, so Beast holds no bytes past the
    // 101 response and the descriptor can be taken over as is.
    lowest.expires_never();
    tcp::socket socket = lowest.release_socket();
    boost::system::error_code release_ec;
    const int fd = socket.release(release_ec);
    if (release_ec) {
        ++w->stats.connect_errors;
        note_error(w, "release: " + release_ec.message());
        co_return;
    }
    c->fd = fd;
}

// ---- framing -----------------------------------------------------------------------------------

std::uint64_t next_random(worker* w) {
    std::uint64_t x = w->prng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    w->prng = x;
    return x;
}

// Appends one masked client frame (FIN set) carrying `payload` to `out` (RFC 6455 §5.2).
void append_frame(worker* w, std::string& out, unsigned opcode, std::string_view payload) {
    const std::size_t n = payload.size();
    out.push_back(static_cast<char>(0x80U | opcode));
    if (n < 126) {
        out.push_back(static_cast<char>(0x80U | n));
    } else if (n <= 0xFFFF) {
        out.push_back(static_cast<char>(0x80U | 126U));
        out.push_back(static_cast<char>((n >> 8) & 0xFFU));
        out.push_back(static_cast<char>(n & 0xFFU));
    } else {
        out.push_back(static_cast<char>(0x80U | 127U));
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xFFU));
        }
    }
    const auto key = static_cast<std::uint32_t>(next_random(w) >> 16);
    unsigned char mask[4];
    for (int i = 0; i < 4; ++i) {
        mask[i] = static_cast<unsigned char>((key >> (8 * i)) & 0xFFU);
        out.push_back(static_cast<char>(mask[i]));
    }
    const std::size_t at = out.size();
    out.append(payload);
    for (std::size_t i = 0; i < n; ++i) {
        out[at + i] = static_cast<char>(static_cast<unsigned char>(out[at + i]) ^ mask[i & 3U]);
    }
}

void fill_payload(connection* c, std::size_t size) {
    std::string& s = c->payload;
    s.assign("{\"c\":");
    char digits[24];
    auto r = std::to_chars(digits, digits + sizeof digits, c->id);
    s.append(digits, r.ptr);
    s.append(",\"seq\":");
    r = std::to_chars(digits, digits + sizeof digits, c->seq++);
    s.append(digits, r.ptr);
    s.append(",\"pad\":\"");
    const std::size_t used = s.size() + 2;
    if (used < size) {
        s.append(size - used, 'x');
    }
    s.append("\"}");
}

// ---- phase 2: the epoll loop -------------------------------------------------------------------

// Fixed rate: when the k-th message of connection `id` is due.
time_point due_time(const run_state* st, std::uint64_t k, unsigned id) {
    const double offset_s =
        (static_cast<double>(k) * static_cast<double>(st->opts.connections) + id) / st->opts.rate;
    return st->start + std::chrono::duration_cast<clock_type::duration>(
                           std::chrono::duration<double>(offset_s));
}

class event_loop {
public:
    event_loop(worker* w, run_state* st) : w_(w), st_(st) {}

    event_loop(const event_loop&) = delete;
    event_loop& operator=(const event_loop&) = delete;

    ~event_loop() {
        for (auto& c : w_->conns) {
            if (c->fd >= 0) {
                ::close(c->fd);
                c->fd = -1;
            }
        }
        if (epfd_ >= 0) {
            ::close(epfd_);
        }
    }

    void run();

private:
    void fail(connection* c, const std::string& what);
    void finish(connection* c);
    void enter_closing(connection* c);
    void flush(connection* c);
    void set_write_interest(connection* c, bool on);
    void on_readable(connection* c);
    void on_message(connection* c, time_point received_at);
    bool parse_frames(connection* c, time_point received_at);
    void send_message(connection* c, time_point from, bool measured);
    void closed_loop_next(connection* c);
    void fire_schedule(time_point now);
    void check_deadlines(time_point now);

    worker* w_;
    run_state* st_;
    int epfd_ = -1;
    unsigned open_ = 0;  // connections not yet done
    // Fixed-rate schedule: the k-th message of this thread's j-th connection (ids ascending) is
    // due at start + (k * connections + id) / rate; next_k_/next_j_ walk it in time order.
    std::uint64_t next_k_ = 0;
    std::size_t next_j_ = 0;
    bool schedule_done_ = false;
};

void event_loop::fail(connection* c, const std::string& what) {
    ++w_->stats.io_errors;
    note_error(w_, what);
    finish(c);
}

// Closes the descriptor; measured messages still in flight count as unanswered.
void event_loop::finish(connection* c) {
    if (c->state == conn_state::done) {
        return;
    }
    for (const auto& m : c->in_flight) {
        if (m.measured) {
            ++w_->stats.timeouts;
        }
    }
    c->in_flight.clear();
    if (!c->left_measured) {
        c->left_measured = true;
        leave_measured_phase(st_);
    }
    if (c->fd >= 0) {
        ::epoll_ctl(epfd_, EPOLL_CTL_DEL, c->fd, nullptr);
        ::close(c->fd);
        c->fd = -1;
    }
    c->state = conn_state::done;
    --open_;
}

// The measured phase is over for this connection: start the closing handshake (code 1000).
void event_loop::enter_closing(connection* c) {
    if (!c->left_measured) {
        c->left_measured = true;
        leave_measured_phase(st_);
    }
    c->state = conn_state::closing;
    c->close_by = clock_type::now() + close_timeout;
    const char code[2] = {static_cast<char>(0x03), static_cast<char>(0xE8)};
    append_frame(w_, c->out, 0x8, std::string_view(code, 2));
    flush(c);
}

void event_loop::set_write_interest(connection* c, bool on) {
    if (c->want_write == on || c->fd < 0) {
        return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0U);
    ev.data.ptr = c;
    ::epoll_ctl(epfd_, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_write = on;
}

void event_loop::flush(connection* c) {
    while (c->out_sent < c->out.size()) {
        const ssize_t n =
            ::send(c->fd, c->out.data() + c->out_sent, c->out.size() - c->out_sent, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_write_interest(c, true);
            return;
        }
        fail(c, std::string("send: ") + std::strerror(errno));
        return;
    }
    c->out.clear();
    c->out_sent = 0;
    set_write_interest(c, false);
}

void event_loop::send_message(connection* c, time_point from, bool measured) {
    fill_payload(c, st_->opts.size);
    append_frame(w_, c->out, 0x1, c->payload);
    c->in_flight.push_back(pending_message{from, measured, c->payload});
    if (measured) {
        ++w_->stats.sent;
    }
    if (!c->want_write) {
        flush(c);
    }
}

// Closed loop: send the next message on `c`, or close it when the run's bounds are reached.
void event_loop::closed_loop_next(connection* c) {
    const auto now = clock_type::now();
    if (now >= st_->deadline) {
        enter_closing(c);
        return;
    }
    const bool measured = now >= st_->measure_start;
    if (measured && st_->claimed.fetch_add(1, std::memory_order_relaxed) >= st_->opts.messages) {
        enter_closing(c);
        return;
    }
    send_message(c, clock_type::now(), measured);
}

void event_loop::on_message(connection* c, time_point received_at) {
    if (c->in_flight.empty()) {
        note_mismatch(w_, "(nothing)", c->message, c->message_text);
        return;
    }
    const pending_message& front = c->in_flight.front();
    if (c->message != front.payload || !c->message_text) {
        note_mismatch(w_, front.payload, c->message, c->message_text);
    } else if (front.measured) {
        w_->stats.latencies_ns.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(received_at - front.from).count());
        w_->stats.last_reply = std::max(w_->stats.last_reply, received_at);
    }
    c->in_flight.pop_front();
    if (c->state == conn_state::running && !st_->open_loop) {
        closed_loop_next(c);
    } else if (c->state == conn_state::draining && c->in_flight.empty()) {
        enter_closing(c);
    }
}

// Parses every complete frame in c->in. Returns false when the connection was finished.
bool event_loop::parse_frames(connection* c, time_point received_at) {
    std::size_t pos = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(c->in.data());
    const std::size_t size = c->in.size();
    while (size - pos >= 2) {
        const unsigned b0 = data[pos];
        const unsigned b1 = data[pos + 1];
        const bool fin = (b0 & 0x80U) != 0;
        const unsigned opcode = b0 & 0x0FU;
        if ((b1 & 0x80U) != 0) {
            fail(c, "protocol: the server masked a frame");
            return false;
        }
        std::size_t header = 2;
        std::uint64_t length = b1 & 0x7FU;
        if (length == 126) {
            if (size - pos < 4) {
                break;
            }
            length = (std::uint64_t{data[pos + 2]} << 8) | data[pos + 3];
            header = 4;
        } else if (length == 127) {
            if (size - pos < 10) {
                break;
            }
            length = 0;
            for (int i = 0; i < 8; ++i) {
                length = (length << 8) | data[pos + 2 + static_cast<std::size_t>(i)];
            }
            header = 10;
        }
        if (length > (std::uint64_t{1} << 30)) {
            fail(c, "protocol: frame too large");
            return false;
        }
        if (size - pos < header + length) {
            break;
        }
        const std::string_view body(c->in.data() + pos + header, static_cast<std::size_t>(length));
        pos += header + static_cast<std::size_t>(length);
        switch (opcode) {
            case 0x0:  // continuation
                if (!c->in_message) {
                    fail(c, "protocol: continuation without a message");
                    return false;
                }
                c->message.append(body);
                break;
            case 0x1:  // text
            case 0x2:  // binary
                if (c->in_message) {
                    fail(c, "protocol: new message inside a fragmented one");
                    return false;
                }
                c->message.assign(body);
                c->message_text = opcode == 0x1;
                c->in_message = true;
                break;
            case 0x8:  // close
                if (c->state == conn_state::closing) {
                    finish(c);  // our close was answered: a clean end
                } else {
                    fail(c, "server closed the connection");
                }
                return false;
            case 0x9:  // ping: answer with a pong carrying the same data
                append_frame(w_, c->out, 0xA, body);
                if (!c->want_write) {
                    flush(c);
                    if (c->state == conn_state::done) {
                        return false;
                    }
                }
                continue;
            case 0xA:  // pong
                continue;
            default:
                fail(c, "protocol: unknown opcode");
                return false;
        }
        if (fin) {
            c->in_message = false;
            if (c->state != conn_state::closing) {
                on_message(c, received_at);
                if (c->state == conn_state::done) {
                    return false;
                }
            }
            c->message.clear();
        }
    }
    c->in.erase(c->in.begin(), c->in.begin() + static_cast<std::ptrdiff_t>(pos));
    return true;
}

void event_loop::on_readable(connection* c) {
    constexpr std::size_t chunk = 16 * 1024;
    const std::size_t have = c->in.size();
    c->in.resize(have + chunk);
    const ssize_t n = ::recv(c->fd, c->in.data() + have, chunk, 0);
    const auto received_at = clock_type::now();
    if (n <= 0) {
        c->in.resize(have);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return;
        }
        if (c->state == conn_state::closing) {
            finish(c);  // the server closed the TCP connection after our close frame
        } else {
            fail(c, n == 0 ? std::string("server closed TCP")
                           : std::string("recv: ") + std::strerror(errno));
        }
        return;
    }
    c->in.resize(have + static_cast<std::size_t>(n));
    parse_frames(c, received_at);
}

// Fixed rate: sends every message whose intended time has come.
void event_loop::fire_schedule(time_point now) {
    const auto& conns = w_->conns;
    while (!schedule_done_ && !conns.empty()) {
        connection* c = conns[next_j_].get();
        const auto due = due_time(st_, next_k_, c->id);
        if (due > now) {
            return;
        }
        if (due >= st_->deadline) {
            schedule_done_ = true;
            break;
        }
        const bool measured = due >= st_->measure_start;
        if (measured &&
            st_->claimed.fetch_add(1, std::memory_order_relaxed) >= st_->opts.messages) {
            schedule_done_ = true;
            break;
        }
        if (c->state == conn_state::running) {
            send_message(c, due, measured);
        }
        if (++next_j_ == conns.size()) {
            next_j_ = 0;
            ++next_k_;
        }
    }
    // The schedule is over: every connection drains its replies, then closes.
    for (auto& c : conns) {
        if (c->state == conn_state::running) {
            c->state = conn_state::draining;
            if (c->in_flight.empty()) {
                enter_closing(c.get());
            }
        }
    }
}

void event_loop::check_deadlines(time_point now) {
    for (auto& c : w_->conns) {
        if (c->state == conn_state::done) {
            continue;
        }
        if (c->state == conn_state::closing) {
            if (now >= c->close_by) {
                finish(c.get());  // no answer to our close frame: just drop it
            }
        } else if (now >= st_->hard_deadline) {
            ++w_->stats.io_errors;
            note_error(w_, "no reply before the hard deadline (--grace)");
            finish(c.get());
        }
    }
}

void event_loop::run() {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) {
        note_error(w_, std::string("epoll_create1: ") + std::strerror(errno));
        return;
    }
    for (auto& c : w_->conns) {
        if (c->fd < 0) {
            c->state = conn_state::done;
            continue;
        }
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.ptr = c.get();
        ::epoll_ctl(epfd_, EPOLL_CTL_ADD, c->fd, &ev);
        ++open_;
    }
    // Fixed rate walks only the connections that are up.
    std::erase_if(w_->conns, [](const std::unique_ptr<connection>& c) { return c->fd < 0; });
    const auto start = st_->start;
    while (clock_type::now() < start) {
        std::this_thread::sleep_until(start);
    }
    if (!st_->open_loop) {
        for (auto& c : w_->conns) {
            closed_loop_next(c.get());
        }
    }

    std::vector<epoll_event> events(std::max<std::size_t>(64, w_->conns.size()));
    while (open_ > 0) {
        auto now = clock_type::now();
        if (st_->open_loop) {
            fire_schedule(now);
        }
        check_deadlines(now);
        if (open_ == 0) {
            break;
        }
        // Sleep until the next scheduled send, a deadline, or the housekeeping tick.
        auto wake = now + max_wait;
        if (st_->open_loop && !schedule_done_ && !w_->conns.empty()) {
            wake = std::min(wake, due_time(st_, next_k_, w_->conns[next_j_]->id));
        }
        auto wait = std::max(wake - now, clock_type::duration::zero());
        if (st_->opts.busy_poll) {
            wait = clock_type::duration::zero();  // never sleep: no wake-up latency on our side
        }
        const auto wait_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
        timespec timeout{};
        timeout.tv_sec = static_cast<time_t>(wait_ns / 1000000000);
        timeout.tv_nsec = static_cast<long>(wait_ns % 1000000000);
        const int n = ::epoll_pwait2(epfd_, events.data(), static_cast<int>(events.size()),
                                     &timeout, nullptr);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            note_error(w_, std::string("epoll_pwait2: ") + std::strerror(errno));
            break;
        }
        for (int i = 0; i < n; ++i) {
            auto* c = static_cast<connection*>(events[static_cast<std::size_t>(i)].data.ptr);
            const auto flags = events[static_cast<std::size_t>(i)].events;
            if (c->state == conn_state::done) {
                continue;
            }
            if ((flags & EPOLLOUT) != 0U) {
                flush(c);
                if (c->state == conn_state::done) {
                    continue;
                }
            }
            if ((flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0U) {
                on_readable(c);
            }
        }
    }
    // Anything left (an epoll failure) is dropped and counted.
    for (auto& c : w_->conns) {
        finish(c.get());
    }
}

// ---- driver ------------------------------------------------------------------------------------

void report_exception(const std::exception_ptr& e) {
    if (!e) {
        return;
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "ws-load: coroutine failed: %s\n", ex.what());
    }
}

double percentile(const std::vector<std::int64_t>& sorted, double q) {
    if (sorted.empty()) {
        return 0.0;
    }
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return static_cast<double>(sorted[rank - 1]) / 1000.0;
}

std::string json_escape(std::string_view s) {
    std::string out;
    for (const char ch : s) {
        if (ch == '"' || ch == '\\') {
            out.push_back('\\');
            out.push_back(ch);
        } else if (static_cast<unsigned char>(ch) < 0x20) {
            out.push_back(' ');
        } else {
            out.push_back(ch);
        }
    }
    return out;
}

std::string format_optional(const std::optional<double>& v) {
    if (!v) {
        return "null";
    }
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", *v);
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    options opts;
    CLI::App app{"ws-load: bounded WebSocket echo load generator (loopback only)"};
    app.add_option("--url", opts.url, "ws://127.0.0.1:PORT/PATH")->capture_default_str();
    app.add_option("--connections,-c", opts.connections, "concurrent connections")
        ->capture_default_str()
        ->check(CLI::Range(1u, 15000u));
    app.add_option("--messages,-n", opts.messages, "measured messages in total (bound)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--duration,-d", opts.duration_s, "measured seconds (bound)")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 3600.0));
    app.add_option("--rate,-r", opts.rate, "aggregate msg/s; 0 = closed loop")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 10000000.0));
    app.add_option("--warmup,-w", opts.warmup_s, "unmeasured seconds before measuring")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 600.0));
    app.add_option("--size,-s", opts.size, "payload bytes (JSON text of exactly this size)")
        ->capture_default_str()
        ->check(CLI::Range(min_payload_size, std::size_t{16} * 1024 * 1024));
    app.add_option("--threads,-t", opts.threads, "client threads")
        ->capture_default_str()
        ->check(CLI::Range(1u, 64u));
    app.add_option("--connect-timeout", opts.connect_timeout_s, "seconds per connect+handshake")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 120.0));
    app.add_option("--grace", opts.grace_s, "seconds allowed for replies after the duration")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 120.0));
    app.add_option("--server-pid", opts.server_pid, "report this process's CPU % while measuring")
        ->check(CLI::PositiveNumber);
    app.add_flag("--json", opts.json, "print one JSON line instead of the text report");
    app.add_flag("--busy-poll", opts.busy_poll,
                 "poll without sleeping (a full core; removes the client's wake-up latency)");
    CLI11_PARSE(app, argc, argv);

    const auto where = parse_url(opts.url);
    if (!where) {
        std::fprintf(stderr, "ws-load: --url must look like ws://127.0.0.1:PORT/PATH\n");
        return 2;
    }
    if (!is_loopback_host(where->host)) {
        std::fprintf(stderr, "ws-load: refusing non-loopback host '%s'\n", where->host.c_str());
        return 2;
    }
    opts.threads = std::min(opts.threads, opts.connections);

    run_state st;
    st.opts = opts;
    st.where = *where;
    st.open_loop = opts.rate > 0.0;

    std::vector<std::unique_ptr<worker>> workers;
    for (unsigned t = 0; t < opts.threads; ++t) {
        workers.push_back(std::make_unique<worker>());
        workers.back()->prng ^= (t + 1) * 0xbf58476d1ce4e5b9ULL;
    }
    for (unsigned i = 0; i < opts.connections; ++i) {
        auto c = std::make_unique<connection>();
        c->id = i;
        workers[i % opts.threads]->conns.push_back(std::move(c));
    }

    // Phase 1: connect everything, one io_context per thread (bounded by --connect-timeout).
    {
        std::vector<std::thread> threads;
        for (auto& w : workers) {
            threads.emplace_back([wp = w.get(), stp = &st] {
                asio::io_context ioc(1);
                for (auto& c : wp->conns) {
                    asio::co_spawn(ioc, connect_one(connect_job{c.get(), wp}, stp),
                                   report_exception);
                }
                ioc.run();
            });
        }
        for (auto& t : threads) {
            t.join();
        }
    }
    unsigned connected = 0;
    for (auto& w : workers) {
        for (auto& c : w->conns) {
            connected += c->fd >= 0 ? 1U : 0U;
        }
    }

    // Phase 2: load, on a schedule that starts now.
    const auto seconds = [](double s) {
        return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
    };
    st.start = clock_type::now() + std::chrono::milliseconds(5);
    st.measure_start = st.start + seconds(opts.warmup_s);
    st.deadline = st.measure_start + seconds(opts.duration_s);
    st.hard_deadline = st.deadline + seconds(opts.grace_s);
    st.measuring = connected;

    cpu_sample begin_sample;
    {
        std::vector<std::thread> threads;
        for (auto& w : workers) {
            threads.emplace_back([wp = w.get(), stp = &st] {
                event_loop loop(wp, stp);
                loop.run();
            });
        }
        if (connected > 0) {
            std::this_thread::sleep_until(st.measure_start);
            begin_sample = take_cpu_sample(opts.server_pid);
        }
        for (auto& t : threads) {
            t.join();
        }
    }

    // Merge.
    worker_stats total;
    for (auto& w : workers) {
        auto& s = w->stats;
        total.latencies_ns.insert(total.latencies_ns.end(), s.latencies_ns.begin(),
                                  s.latencies_ns.end());
        total.sent += s.sent;
        total.connect_errors += s.connect_errors;
        total.io_errors += s.io_errors;
        total.mismatches += s.mismatches;
        total.timeouts += s.timeouts;
        total.last_reply = std::max(total.last_reply, s.last_reply);
        if (total.first_error.empty()) {
            total.first_error = s.first_error;
        }
    }
    std::sort(total.latencies_ns.begin(), total.latencies_ns.end());
    const auto received = total.latencies_ns.size();
    const double elapsed =
        received > 0 ? std::chrono::duration<double>(total.last_reply - st.measure_start).count()
                     : 0.0;
    const double throughput = elapsed > 0 ? static_cast<double>(received) / elapsed : 0.0;
    const std::uint64_t errors =
        total.connect_errors + total.io_errors + total.mismatches + total.timeouts;

    // CPU use over the measured window, in % of one CPU.
    std::optional<double> server_cpu;
    std::optional<double> client_cpu;
    std::optional<double> machine_cpu_pct;
    std::optional<double> steal_pct;
    std::optional<double> others_cpu_pct;
    {
        const std::lock_guard lock(st.end_mutex);
        const cpu_sample& b = begin_sample;
        const cpu_sample& e = st.end_sample;
        const double window = std::chrono::duration<double>(e.at - b.at).count();
        if (window > 0 && b.server_s && e.server_s) {
            server_cpu = 100.0 * (*e.server_s - *b.server_s) / window;
        }
        if (window > 0 && b.client_s && e.client_s) {
            client_cpu = 100.0 * (*e.client_s - *b.client_s) / window;
        }
        if (window > 0 && b.machine && e.machine) {
            machine_cpu_pct = 100.0 * (e.machine->busy_s - b.machine->busy_s) / window;
            steal_pct = 100.0 * (e.machine->steal_s - b.machine->steal_s) / window;
        }
        if (window > 0) {
            others_cpu_pct = 100.0 * (e.others_s - b.others_s) / window;
        }
    }

    const double p50 = percentile(total.latencies_ns, 0.50);
    const double p90 = percentile(total.latencies_ns, 0.90);
    const double p99 = percentile(total.latencies_ns, 0.99);
    const double pmax = percentile(total.latencies_ns, 1.0);
    const auto ull = [](std::uint64_t v) {
        return static_cast<unsigned long long>(v);
    };

    if (opts.json) {
        std::printf(
            "{\"url\":\"%s\",\"mode\":\"%s\",\"connections\":%u,\"connected\":%u,\"rate\":%.0f,"
            "\"size\":%zu,\"sent\":%llu,\"messages\":%zu,\"elapsed_s\":%.3f,\"msgs_per_s\":%.1f,"
            "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"errors\":%llu,"
            "\"connect_errors\":%llu,\"io_errors\":%llu,\"mismatches\":%llu,\"timeouts\":%llu,"
            "\"server_cpu_pct\":%s,\"client_cpu_pct\":%s,\"others_cpu_pct\":%s,"
            "\"steal_pct\":%s,\"machine_cpu_pct\":%s,\"first_error\":\"%s\"}\n",
            json_escape(opts.url).c_str(), st.open_loop ? "fixed-rate" : "closed-loop",
            opts.connections, connected, opts.rate, opts.size, ull(total.sent), received, elapsed,
            throughput, p50, p90, p99, pmax, ull(errors), ull(total.connect_errors),
            ull(total.io_errors), ull(total.mismatches), ull(total.timeouts),
            format_optional(server_cpu).c_str(), format_optional(client_cpu).c_str(),
            format_optional(others_cpu_pct).c_str(), format_optional(steal_pct).c_str(),
            format_optional(machine_cpu_pct).c_str(), json_escape(total.first_error).c_str());
    } else {
        const std::string mode = st.open_loop
                                     ? "rate=" + std::to_string(static_cast<long>(opts.rate)) + "/s"
                                     : "closed-loop";
        std::printf("ws-load %s  connections=%u (connected %u)  %s  size=%zu  threads=%u\n",
                    opts.url.c_str(), opts.connections, connected, mode.c_str(), opts.size,
                    opts.threads);
        std::printf("  measured   %zu replies in %.3f s = %.1f msg/s (sent %llu)\n", received,
                    elapsed, throughput, ull(total.sent));
        std::printf("  latency    p50 %.1f us  p90 %.1f us  p99 %.1f us  max %.1f us\n", p50, p90,
                    p99, pmax);
        std::printf(
            "  errors     %llu (connect %llu, io %llu, mismatch %llu, unanswered %llu)%s%s\n",
            ull(errors), ull(total.connect_errors), ull(total.io_errors), ull(total.mismatches),
            ull(total.timeouts),
            total.first_error.empty() ? "" : "  first: ", total.first_error.c_str());
        std::printf(
            "  cpu        server %s%%  client %s%%  other processes %s%%  steal %s%%  "
            "(machine %s%%)\n",
            format_optional(server_cpu).c_str(), format_optional(client_cpu).c_str(),
            format_optional(others_cpu_pct).c_str(), format_optional(steal_pct).c_str(),
            format_optional(machine_cpu_pct).c_str());
    }
    std::fflush(stdout);
    return connected == 0 ? 1 : 0;
}
