// broadcast_clients: the design.md §5 broadcast benchmark's client side (bench/broadcast.sh).
//
// One process opens N WebSocket connections (default 10,000) to a loopback ws:// URL, at a
// bounded rate and with a bounded number of handshakes in flight, printing progress. Then, K
// times (default 5), one designated connection sends
//     {"action":"broadcast","data":"r=<round>;t=<send ns>;xxxx..."}
// and the process waits until every open connection received that round's text (or the round's
// time limit passed). The latency of a receipt is steady_clock now minus the send time carried
// in the text (same process, same clock). Per round: delivered/expected and p50/p99/max; then a
// summary. The exit status is non-zero when a connection failed to open, a round was not
// delivered everywhere, or a connection was lost.
//
//   broadcast-clients --url ws://127.0.0.1:PORT/dev --connections 10000 --rounds 5
//
// Design. Raw non-blocking POSIX sockets and one level-triggered epoll loop on one thread: the
// handshake (random Sec-WebSocket-Key per connection from getrandom(), Sec-WebSocket-Accept
// checked with SHA-1), masked client frames and frame parsing are written here. No Beast client:
// Boost 1.81 Beast repeats Sec-WebSocket-Key (see ws_load.cpp), and a 10,000-connection client
// must cost as little as possible per receipt, because a receipt is timed when this thread reads
// it. Each connection is one file descriptor; the soft RLIMIT_NOFILE is raised to the hard limit
// at start, so on a machine whose limit is 20,000 the server must be another process.
//
// Bounded: every phase has a time limit and the whole run stops at --max-seconds; loopback only.

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <openssl/sha.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               clock_type::now().time_since_epoch())
        .count();
}

struct options {
    std::string url = "ws://127.0.0.1:3001/dev";
    unsigned connections = 10000;
    unsigned rounds = 5;
    std::size_t size = 64;             // bytes of the broadcast text ("data")
    double connect_rate = 2000.0;      // new connections per second
    unsigned connect_in_flight = 256;  // handshakes outstanding at once
    double connect_timeout_s = 10.0;   // per connection: TCP connect + handshake
    double round_timeout_s = 10.0;     // per round
    double gap_s = 0.5;                // pause between rounds (drains stragglers)
    double max_seconds = 300.0;        // the whole run
    double hold_s = 0.0;               // hold the open connections idle before the rounds
    unsigned sources = 1;              // source addresses 127.0.0.1 .. 127.0.0.N
    std::string json_path;             // write a JSON summary here
    bool quiet = false;                // no progress lines
    bool busy_poll = false;            // rounds poll without sleeping
};

struct target {
    std::string host;  // dotted IPv4
    std::uint16_t port = 0;
    std::string path;
    in_addr addr{};
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
    t.path = slash == std::string_view::npos ? "/" : std::string{url.substr(slash)};
    const auto colon = authority.rfind(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    t.host = std::string{authority.substr(0, colon)};
    if (t.host == "localhost") {
        t.host = "127.0.0.1";
    }
    const std::string port_text{authority.substr(colon + 1)};
    char* end = nullptr;
    const long port = std::strtol(port_text.c_str(), &end, 10);
    if (port_text.empty() || *end != '\0' || port <= 0 || port > 65535) {
        return std::nullopt;
    }
    t.port = static_cast<std::uint16_t>(port);
    if (inet_pton(AF_INET, t.host.c_str(), &t.addr) != 1) {
        return std::nullopt;
    }
    if ((ntohl(t.addr.s_addr) >> 24) != 127) {
        return std::nullopt;  // loopback only
    }
    return t;
}

std::string base64(const unsigned char* p, std::size_t n) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < n; i += 3) {
        const std::uint32_t b0 = p[i];
        const std::uint32_t b1 = i + 1 < n ? p[i + 1] : 0;
        const std::uint32_t b2 = i + 2 < n ? p[i + 2] : 0;
        const std::uint32_t v = (b0 << 16) | (b1 << 8) | b2;
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out.push_back(i + 1 < n ? alphabet[(v >> 6) & 63] : '=');
        out.push_back(i + 2 < n ? alphabet[v & 63] : '=');
    }
    return out;
}

bool random_bytes(unsigned char* p, std::size_t n) {
    std::size_t done = 0;
    for (int attempt = 0; attempt < 16 && done < n; ++attempt) {
        const ssize_t got = getrandom(p + done, n - done, 0);
        if (got > 0) {
            done += static_cast<std::size_t>(got);
        }
    }
    return done == n;
}

std::string accept_for(const std::string& key) {
    const std::string text = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
    SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
    return base64(digest.data(), digest.size());
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// The value of header `name` in an HTTP response head, or nullopt.
std::optional<std::string_view> header_value(std::string_view head, std::string_view name) {
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos + 2 < head.size()) {
        const std::size_t start = pos + 2;
        const std::size_t end = head.find("\r\n", start);
        const std::string_view line =
            head.substr(start, end == std::string_view::npos ? head.npos : end - start);
        const auto colon = line.find(':');
        if (colon != std::string_view::npos && iequals(line.substr(0, colon), name)) {
            std::string_view v = line.substr(colon + 1);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
                v.remove_prefix(1);
            }
            while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
                v.remove_suffix(1);
            }
            return v;
        }
        pos = end;
    }
    return std::nullopt;
}

enum class state : std::uint8_t { idle, connecting, handshaking, open, closed };

struct connection {
    int fd = -1;
    state st = state::idle;
    time_point deadline{};        // connect + handshake must finish by then
    std::string out;              // bytes not yet written (handshake, pong, close)
    std::string in;               // bytes read, not yet parsed
    std::string accept;           // expected Sec-WebSocket-Accept
    std::string message;          // a fragmented message being assembled
    std::int32_t last_round = 0;  // the last round this connection received
};

struct round_result {
    unsigned round = 0;
    std::size_t expected = 0;
    std::size_t delivered = 0;
    std::size_t lost_connections = 0;  // closed during the round
    double first_ms = 0, p50_ms = 0, p99_ms = 0, max_ms = 0;
    double all_ms = 0;  // send to last receipt (or to the time limit)
};

class client {
public:
    client(options opts, target where) : opts_(std::move(opts)), where_(std::move(where)) {
        conns_.resize(opts_.connections);
    }

    ~client() {
        for (auto& c : conns_) {
            if (c.fd >= 0) {
                ::close(c.fd);
            }
        }
        if (ep_ >= 0) {
            ::close(ep_);
        }
    }

    client(const client&) = delete;
    client& operator=(const client&) = delete;

    bool init() {
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) {
            std::fprintf(stderr, "broadcast-clients: epoll_create1: %s\n", std::strerror(errno));
            return false;
        }
        run_deadline_ = clock_type::now() + seconds(opts_.max_seconds);
        return true;
    }

    // Phase 1: open every connection (bounded rate, in flight and time). True when all opened.
    bool connect_all() {
        const time_point start = clock_type::now();
        time_point next_progress = start + std::chrono::seconds(1);
        std::size_t next = 0;
        while ((opened_ + failed_ < conns_.size()) && clock_type::now() < run_deadline_) {
            const time_point now = clock_type::now();
            const double elapsed = std::chrono::duration<double>(now - start).count();
            const auto allowed = static_cast<std::size_t>(opts_.connect_rate * elapsed) + 1;
            while (next < conns_.size() && next < allowed && in_flight_ < opts_.connect_in_flight) {
                start_connect(next++, now);
            }
            poll(10);
            expire_handshakes(clock_type::now());
            if (!opts_.quiet && clock_type::now() >= next_progress) {
                next_progress += std::chrono::seconds(1);
                std::printf("connect: %zu/%zu open, %zu failed, %zu in flight, %.1f s\n", opened_,
                            conns_.size(), failed_, in_flight_,
                            std::chrono::duration<double>(clock_type::now() - start).count());
                std::fflush(stdout);
            }
        }
        connect_seconds_ = std::chrono::duration<double>(clock_type::now() - start).count();
        std::printf("connect: %zu/%zu open, %zu failed in %.1f s%s\n", opened_, conns_.size(),
                    failed_, connect_seconds_,
                    opened_ + failed_ < conns_.size() ? " (stopped by --max-seconds)" : "");
        if (!first_error_.empty()) {
            std::printf("connect: first error: %s\n", first_error_.c_str());
        }
        std::fflush(stdout);
        return opened_ == conns_.size();
    }

    // Between the phases: every connection idle for --hold seconds (bench/connections.sh reads
    // the server's memory meanwhile). The line "hold: ..." marks the start.
    void hold() {
        if (opts_.hold_s <= 0) {
            return;
        }
        std::printf("hold: %zu connections open and idle for %.0f s\n", opened_now_, opts_.hold_s);
        std::fflush(stdout);
        pause(seconds(opts_.hold_s));
        std::printf("hold: done, %zu connections still open, %zu lost\n", opened_now_, lost_);
        std::fflush(stdout);
    }

    // Phase 2: K broadcast rounds from the first open connection.
    void run_rounds() {
        std::size_t sender = conns_.size();
        for (std::size_t i = 0; i < conns_.size(); ++i) {
            if (conns_[i].st == state::open) {
                sender = i;
                break;
            }
        }
        if (sender == conns_.size()) {
            std::printf("round: no open connection to send from\n");
            return;
        }
        for (unsigned r = 1; r <= opts_.rounds; ++r) {
            if (clock_type::now() >= run_deadline_) {
                std::printf("round %u: not run (--max-seconds reached)\n", r);
                break;
            }
            if (conns_[sender].st != state::open) {
                std::printf("round %u: the sending connection was lost\n", r);
                break;
            }
            results_.push_back(one_round(r, sender));
            pause(seconds(opts_.gap_s));
        }
    }

    int summarize() const {
        std::vector<double> p99s;
        bool all_delivered = opened_ == conns_.size() && results_.size() == opts_.rounds;
        std::size_t delivered = 0, expected = 0;
        double worst_max = 0;
        for (const auto& r : results_) {
            p99s.push_back(r.p99_ms);
            delivered += r.delivered;
            expected += r.expected;
            all_delivered = all_delivered && r.delivered == r.expected &&
                            r.expected == conns_.size() && r.lost_connections == 0;
            worst_max = std::max(worst_max, r.max_ms);
        }
        std::sort(p99s.begin(), p99s.end());
        const double median_p99 = p99s.empty() ? 0.0 : p99s[(p99s.size() - 1) / 2];
        const double min_p99 = p99s.empty() ? 0.0 : p99s.front();
        const double max_p99 = p99s.empty() ? 0.0 : p99s.back();
        std::printf(
            "summary: connections %zu/%zu open; rounds %zu/%u; delivered %zu/%zu; p99 median "
            "%.1f ms (rounds %.1f..%.1f); worst max %.1f ms; unexpected texts %zu; %s\n",
            opened_, conns_.size(), results_.size(), opts_.rounds, delivered, expected, median_p99,
            min_p99, max_p99, worst_max, unexpected_,
            all_delivered ? "ALL DELIVERED" : "NOT ALL DELIVERED");
        if (!first_unexpected_.empty()) {
            std::printf("summary: first unexpected text: %s\n", first_unexpected_.c_str());
        }
        std::fflush(stdout);
        if (!opts_.json_path.empty()) {
            if (FILE* f = std::fopen(opts_.json_path.c_str(), "w"); f != nullptr) {
                std::fprintf(f,
                             "{\"connections\":%zu,\"opened\":%zu,\"connect_s\":%.3f,"
                             "\"rounds_planned\":%u,\"size\":%zu,\"delivered\":%zu,"
                             "\"expected\":%zu,\"all_delivered\":%s,\"median_p99_ms\":%.3f,"
                             "\"min_p99_ms\":%.3f,\"max_p99_ms\":%.3f,\"worst_max_ms\":%.3f,"
                             "\"unexpected\":%zu,\"rounds\":[",
                             conns_.size(), opened_, connect_seconds_, opts_.rounds, opts_.size,
                             delivered, expected, all_delivered ? "true" : "false", median_p99,
                             min_p99, max_p99, worst_max, unexpected_);
                for (std::size_t i = 0; i < results_.size(); ++i) {
                    const auto& r = results_[i];
                    std::fprintf(f,
                                 "%s{\"round\":%u,\"expected\":%zu,\"delivered\":%zu,"
                                 "\"lost\":%zu,\"first_ms\":%.3f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                                 "\"max_ms\":%.3f}",
                                 i == 0 ? "" : ",", r.round, r.expected, r.delivered,
                                 r.lost_connections, r.first_ms, r.p50_ms, r.p99_ms, r.max_ms);
                }
                std::fprintf(f, "]}\n");
                std::fclose(f);
            } else {
                std::fprintf(stderr, "broadcast-clients: cannot write %s\n",
                             opts_.json_path.c_str());
                return 1;
            }
        }
        return all_delivered ? 0 : 1;
    }

private:
    static clock_type::duration seconds(double s) {
        return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
    }

    void note_error(const std::string& what) {
        if (first_error_.empty()) {
            first_error_ = what;
        }
    }

    void fail_connect(std::size_t i, const std::string& why) {
        connection& c = conns_[i];
        const bool was_pending = c.st == state::connecting || c.st == state::handshaking;
        drop(i);
        if (was_pending) {
            --in_flight_;
            ++failed_;
            note_error(why);
        }
    }

    void drop(std::size_t i) {
        connection& c = conns_[i];
        if (c.fd >= 0) {
            epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
            ::close(c.fd);
            c.fd = -1;
        }
        if (c.st == state::open) {
            --opened_now_;
        }
        c.st = state::closed;
        c.out.clear();
        c.out.shrink_to_fit();
        c.in.clear();
        c.in.shrink_to_fit();
    }

    void start_connect(std::size_t i, time_point now) {
        connection& c = conns_[i];
        c.deadline = now + seconds(opts_.connect_timeout_s);
        ++in_flight_;
        c.st = state::connecting;
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c.fd < 0) {
            fail_connect(i, std::string("socket: ") + std::strerror(errno));
            return;
        }
        const int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (opts_.sources > 1) {
            setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
            sockaddr_in src{};
            src.sin_family = AF_INET;
            src.sin_addr.s_addr =
                htonl(0x7F000001U + static_cast<std::uint32_t>(i % opts_.sources));
            if (::bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
                fail_connect(i, std::string("bind: ") + std::strerror(errno));
                return;
            }
        }
        sockaddr_in dst{};
        dst.sin_family = AF_INET;
        dst.sin_port = htons(where_.port);
        dst.sin_addr = where_.addr;
        if (::connect(c.fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 &&
            errno != EINPROGRESS) {
            fail_connect(i, std::string("connect: ") + std::strerror(errno));
            return;
        }
        std::array<unsigned char, 16> nonce{};
        if (!random_bytes(nonce.data(), nonce.size())) {
            fail_connect(i, "getrandom failed");
            return;
        }
        const std::string key = base64(nonce.data(), nonce.size());
        c.accept = accept_for(key);
        c.out = "GET " + where_.path + " HTTP/1.1\r\nHost: " + where_.host + ":" +
                std::to_string(where_.port) +
                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.u64 = i;
        if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
            fail_connect(i, std::string("epoll_ctl: ") + std::strerror(errno));
        }
    }

    void expire_handshakes(time_point now) {
        if (in_flight_ == 0) {
            return;
        }
        for (std::size_t i = 0; i < conns_.size(); ++i) {
            const connection& c = conns_[i];
            if ((c.st == state::connecting || c.st == state::handshaking) && now > c.deadline) {
                fail_connect(i, "connect + handshake timed out");
            }
        }
    }

    void set_events(std::size_t i, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = i;
        epoll_ctl(ep_, EPOLL_CTL_MOD, conns_[i].fd, &ev);
    }

    // Writes pending output; false when the connection failed.
    bool flush(std::size_t i) {
        connection& c = conns_[i];
        while (!c.out.empty()) {
            const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    set_events(i, EPOLLIN | EPOLLOUT);
                    return true;
                }
                return false;
            }
            c.out.erase(0, static_cast<std::size_t>(n));
        }
        set_events(i, EPOLLIN);
        return true;
    }

    // Appends a masked client frame (FIN set) to the connection's output.
    void append_frame(connection& c, unsigned opcode, std::string_view payload) {
        const std::size_t n = payload.size();
        c.out.push_back(static_cast<char>(0x80U | opcode));
        if (n < 126) {
            c.out.push_back(static_cast<char>(0x80U | n));
        } else if (n <= 0xFFFF) {
            c.out.push_back(static_cast<char>(0x80U | 126U));
            c.out.push_back(static_cast<char>((n >> 8) & 0xFFU));
            c.out.push_back(static_cast<char>(n & 0xFFU));
        } else {
            c.out.push_back(static_cast<char>(0x80U | 127U));
            for (int shift = 56; shift >= 0; shift -= 8) {
                c.out.push_back(
                    static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xFFU));
            }
        }
        std::array<unsigned char, 4> mask{};
        if (!random_bytes(mask.data(), mask.size())) {
            mask = {0x5a, 0xa5, 0x3c, 0xc3};
        }
        c.out.append(reinterpret_cast<const char*>(mask.data()), mask.size());
        const std::size_t at = c.out.size();
        c.out.append(payload);
        for (std::size_t k = 0; k < n; ++k) {
            c.out[at + k] =
                static_cast<char>(static_cast<unsigned char>(c.out[at + k]) ^ mask[k % 4]);
        }
    }

    void on_handshake_bytes(std::size_t i) {
        connection& c = conns_[i];
        const auto end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (c.in.size() > 16384) {
                fail_connect(i, "handshake response too large");
            }
            return;
        }
        const std::string_view head{c.in.data(), end + 2};
        if (head.substr(0, 13) != "HTTP/1.1 101 ") {
            fail_connect(i, "handshake: " + std::string{head.substr(0, head.find("\r\n"))});
            return;
        }
        const auto accept = header_value(head, "Sec-WebSocket-Accept");
        if (!accept || *accept != c.accept) {
            fail_connect(i, "handshake: wrong or missing Sec-WebSocket-Accept");
            return;
        }
        c.in.erase(0, end + 4);
        c.accept.clear();
        c.accept.shrink_to_fit();
        c.st = state::open;
        --in_flight_;
        ++opened_;
        ++opened_now_;
        if (!c.in.empty()) {
            parse_frames(i);
        }
    }

    // Parses complete server frames in the connection's input.
    void parse_frames(std::size_t i) {
        connection& c = conns_[i];
        std::size_t pos = 0;
        while (c.st == state::open) {
            const std::size_t avail = c.in.size() - pos;
            if (avail < 2) {
                break;
            }
            const auto* p = reinterpret_cast<const unsigned char*>(c.in.data() + pos);
            const bool fin = (p[0] & 0x80U) != 0;
            const unsigned opcode = p[0] & 0x0FU;
            const bool masked = (p[1] & 0x80U) != 0;
            std::uint64_t len = p[1] & 0x7FU;
            std::size_t header = 2;
            if (len == 126) {
                if (avail < 4) {
                    break;
                }
                len = (std::uint64_t{p[2]} << 8) | p[3];
                header = 4;
            } else if (len == 127) {
                if (avail < 10) {
                    break;
                }
                len = 0;
                for (int k = 0; k < 8; ++k) {
                    len = (len << 8) | p[2 + k];
                }
                header = 10;
            }
            if (masked || len > (std::uint64_t{1} << 24)) {
                lose(i, "protocol error from the server (masked or huge frame)");
                return;
            }
            if (avail < header + len) {
                break;
            }
            const std::string_view payload{c.in.data() + pos + header,
                                           static_cast<std::size_t>(len)};
            pos += header + static_cast<std::size_t>(len);
            switch (opcode) {
                case 0x0:  // continuation
                    c.message.append(payload);
                    if (fin) {
                        const std::string whole = std::move(c.message);
                        c.message.clear();
                        on_text(i, whole);
                    }
                    break;
                case 0x1:
                    if (fin) {
                        on_text(i, payload);
                    } else {
                        c.message.assign(payload);
                    }
                    break;
                case 0x2:
                    note_unexpected("(binary frame)");
                    break;
                case 0x8:
                    lose(i, "closed by the server");
                    return;
                case 0x9:
                    append_frame(c, 0xA, payload);
                    if (!flush(i)) {
                        lose(i, "write failed");
                        return;
                    }
                    break;
                default:
                    break;
            }
        }
        c.in.erase(0, pos);
    }

    void lose(std::size_t i, const std::string& why) {
        if (conns_[i].st == state::open) {
            ++lost_;
            note_error(why);
        }
        drop(i);
    }

    void note_unexpected(std::string_view text) {
        ++unexpected_;
        if (first_unexpected_.empty()) {
            first_unexpected_ = std::string{text.substr(0, 200)};
        }
    }

    void on_text(std::size_t i, std::string_view text) {
        const std::int64_t now = now_ns();
        // "r=<round>;t=<ns>;..."
        if (text.substr(0, 2) != "r=") {
            note_unexpected(text);
            return;
        }
        const auto semi = text.find(';');
        const auto tpos = text.find("t=", semi == std::string_view::npos ? 0 : semi);
        if (semi == std::string_view::npos || tpos == std::string_view::npos) {
            note_unexpected(text);
            return;
        }
        const std::int32_t round = std::atoi(std::string{text.substr(2, semi - 2)}.c_str());
        const std::int64_t sent = std::atoll(std::string{text.substr(tpos + 2, 20)}.c_str());
        connection& c = conns_[i];
        if (round == current_round_ && c.last_round < round) {
            c.last_round = round;
            latencies_ns_.push_back(now - sent);
            last_receipt_ns_ = now;
        } else if (round < current_round_) {
            ++late_;
        } else {
            note_unexpected(text);
        }
    }

    void on_event(const epoll_event& ev) {
        const auto i = static_cast<std::size_t>(ev.data.u64);
        connection& c = conns_[i];
        if (c.fd < 0) {
            return;
        }
        if (c.st == state::connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0 || (ev.events & (EPOLLERR | EPOLLHUP)) != 0) {
                fail_connect(i,
                             std::string("connect: ") + std::strerror(err != 0 ? err : ECONNRESET));
                return;
            }
            c.st = state::handshaking;
            if (!flush(i)) {
                fail_connect(i, std::string("send handshake: ") + std::strerror(errno));
            }
            return;
        }
        if ((ev.events & EPOLLOUT) != 0 && !c.out.empty()) {
            if (!flush(i)) {
                if (c.st == state::handshaking) {
                    fail_connect(i, std::string("send handshake: ") + std::strerror(errno));
                } else {
                    lose(i, std::string("send: ") + std::strerror(errno));
                }
                return;
            }
        }
        if ((ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) {
            return;
        }
        char buf[65536];
        const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n <= 0) {
            const std::string why =
                n == 0 ? "connection closed (EOF)" : std::string("recv: ") + std::strerror(errno);
            if (c.st == state::handshaking) {
                fail_connect(i, "handshake: " + why);
            } else {
                lose(i, why);
            }
            return;
        }
        c.in.append(buf, static_cast<std::size_t>(n));
        if (c.st == state::handshaking) {
            on_handshake_bytes(i);
        } else if (c.st == state::open) {
            parse_frames(i);
        }
    }

    void poll(int timeout_ms) {
        std::array<epoll_event, 1024> events{};
        const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), timeout_ms);
        for (int k = 0; k < n; ++k) {
            on_event(events[static_cast<std::size_t>(k)]);
        }
    }

    void pause(clock_type::duration d) {
        const time_point until = std::min(clock_type::now() + d, run_deadline_);
        while (clock_type::now() < until) {
            poll(10);
        }
    }

    round_result one_round(unsigned r, std::size_t sender) {
        round_result out;
        out.round = r;
        out.expected = opened_now_;
        const std::size_t lost_before = lost_;
        latencies_ns_.clear();
        latencies_ns_.reserve(out.expected);
        current_round_ = static_cast<std::int32_t>(r);

        const std::int64_t sent = now_ns();
        std::string data = "r=" + std::to_string(r) + ";t=" + std::to_string(sent) + ";";
        if (data.size() < opts_.size) {
            data.append(opts_.size - data.size(), 'x');
        }
        const std::string msg = R"({"action":"broadcast","data":")" + data + "\"}";
        connection& c = conns_[sender];
        append_frame(c, 0x1, msg);
        if (!flush(sender)) {
            lose(sender, "send broadcast failed");
        }
        const time_point limit =
            std::min(clock_type::now() + seconds(opts_.round_timeout_s), run_deadline_);
        while (latencies_ns_.size() < out.expected && clock_type::now() < limit) {
            poll(opts_.busy_poll ? 0 : 5);
        }
        const bool complete = latencies_ns_.size() >= out.expected;
        out.delivered = latencies_ns_.size();
        out.lost_connections = lost_ - lost_before;
        std::sort(latencies_ns_.begin(), latencies_ns_.end());
        const auto pct = [&](double q) {
            if (latencies_ns_.empty()) {
                return 0.0;
            }
            auto rank =
                static_cast<std::size_t>(std::ceil(q * static_cast<double>(latencies_ns_.size())));
            rank = std::clamp<std::size_t>(rank, 1, latencies_ns_.size());
            return static_cast<double>(latencies_ns_[rank - 1]) / 1e6;
        };
        out.first_ms =
            latencies_ns_.empty() ? 0.0 : static_cast<double>(latencies_ns_.front()) / 1e6;
        out.p50_ms = pct(0.50);
        out.p99_ms = pct(0.99);
        out.max_ms = pct(1.0);
        out.all_ms = static_cast<double>((complete ? last_receipt_ns_ : now_ns()) - sent) / 1e6;
        std::printf(
            "round %u: delivered %zu/%zu%s, first %.1f ms, p50 %.1f ms, p99 %.1f ms, max %.1f ms, "
            "lost "
            "connections %zu, late %zu\n",
            r, out.delivered, out.expected, complete ? "" : " (TIMED OUT)", out.first_ms,
            out.p50_ms, out.p99_ms, out.max_ms, out.lost_connections, late_);
        std::fflush(stdout);
        return out;
    }

    options opts_;
    target where_;
    std::vector<connection> conns_;
    int ep_ = -1;
    time_point run_deadline_{};
    std::size_t in_flight_ = 0;
    std::size_t opened_ = 0;      // ever opened
    std::size_t opened_now_ = 0;  // open now
    std::size_t failed_ = 0;
    std::size_t lost_ = 0;
    std::size_t unexpected_ = 0;
    std::size_t late_ = 0;
    double connect_seconds_ = 0;
    std::string first_error_;
    std::string first_unexpected_;
    std::int32_t current_round_ = 0;
    std::vector<std::int64_t> latencies_ns_;
    std::int64_t last_receipt_ns_ = 0;
    std::vector<round_result> results_;
};

void raise_fd_limit(std::size_t wanted) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        return;
    }
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur < wanted + 16) {
        std::fprintf(stderr,
                     "broadcast-clients: warning: open-file limit %llu is below %zu connections "
                     "(+16); some connections will fail\n",
                     static_cast<unsigned long long>(lim.rlim_cur), wanted);
    }
}

}  // namespace

int main(int argc, char** argv) {
    options opts;
    CLI::App app{
        "broadcast-clients: N WebSocket clients, K broadcasts, delivery latency "
        "(loopback only)"};
    app.add_option("--url", opts.url, "ws://127.x.x.x:PORT/PATH")->capture_default_str();
    app.add_option("--connections,-c", opts.connections, "connections to open")
        ->capture_default_str()
        ->check(CLI::Range(1u, 100000u));
    app.add_option("--rounds,-k", opts.rounds, "broadcast rounds")
        ->capture_default_str()
        ->check(CLI::Range(1u, 1000u));
    app.add_option("--size,-s", opts.size, "bytes of the broadcast text (at least the header)")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
    app.add_option("--connect-rate", opts.connect_rate, "new connections per second")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 1000000.0));
    app.add_option("--connect-in-flight", opts.connect_in_flight, "handshakes outstanding at once")
        ->capture_default_str()
        ->check(CLI::Range(1u, 10000u));
    app.add_option("--connect-timeout", opts.connect_timeout_s, "seconds per connect + handshake")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 600.0));
    app.add_option("--round-timeout", opts.round_timeout_s, "seconds a round may take")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 600.0));
    app.add_option("--gap", opts.gap_s, "seconds between rounds")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 60.0));
    app.add_option("--max-seconds", opts.max_seconds, "bound on the whole run")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 3600.0));
    app.add_option("--sources", opts.sources, "source addresses 127.0.0.1..127.0.0.N")
        ->capture_default_str()
        ->check(CLI::Range(1u, 250u));
    app.add_option("--hold", opts.hold_s,
                   "seconds to keep every connection open and idle between connecting and the "
                   "rounds (default 0)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 3600.0));
    app.add_option("--json", opts.json_path, "also write a JSON summary to this file");
    app.add_flag("--quiet,-q", opts.quiet, "no connect progress lines");
    app.add_flag("--busy-poll", opts.busy_poll,
                 "during a round poll without sleeping (a full core; the server's sends then "
                 "need not wake this process)");
    CLI11_PARSE(app, argc, argv);

    const auto where = parse_url(opts.url);
    if (!where) {
        std::fprintf(stderr,
                     "broadcast-clients: --url must look like ws://127.x.x.x:PORT/PATH "
                     "(numeric loopback IPv4 or localhost)\n");
        return 2;
    }
    raise_fd_limit(opts.connections);

    client c{opts, *where};
    if (!c.init()) {
        return 1;
    }
    std::printf("broadcast-clients: %u connections to %s, %u rounds of %zu-byte text\n",
                opts.connections, opts.url.c_str(), opts.rounds, opts.size);
    std::fflush(stdout);
    c.connect_all();
    c.hold();
    c.run_rounds();
    return c.summarize();
}
