// http_client: the Beast/OpenSSL transport. The only Beast/Asio/OpenSSL-ssl translation unit of
// lift_aws.
//
// Threading model: all connections of a client live on one io_context owned by the client. No
// thread of ours runs it; calling threads drive it themselves (leader/follower): one caller at a
// time runs handlers (`run_one`) while the others wait on a condition variable until their own
// operation has completed (possibly run by the current driver). So everything happens inside
// `send`/`send_many` calls, pooled connections can be used by both, and handlers never run
// concurrently (no strands needed). The idle pool is guarded by its own mutex.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <lift/aws/error.hpp>
#include <lift/aws/http.hpp>
#include <lift/core/ascii.hpp>

namespace lift::aws {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using boost::system::error_code;

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

struct pool_key {
    bool tls = false;
    std::string host;
    std::uint16_t port = 0;

    auto operator<=>(const pool_key&) const = default;
};

pool_key key_of(const endpoint& to) {
    return {to.tls, to.host, to.port};
}

// "host:port" for messages (IPv6 literals bracketed).
std::string where(const endpoint& to) {
    const std::string host = to.host.find(':') == std::string::npos ? to.host : "[" + to.host + "]";
    return host + ":" + std::to_string(to.port);
}

long long ms_between(clock_type::time_point from, clock_type::time_point to) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

// One keep-alive connection: a plain or a TLS stream over a beast::tcp_stream (whose
// expiry gives the timeouts).
struct connection {
    bool tls = false;
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
    clock_type::time_point idle_since{};

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*secure) : *plain; }
};

using connection_ptr = std::unique_ptr<connection>;

bool is_timeout(const error_code& ec) {
    return ec == beast::error::timeout || ec == asio::error::timed_out;
}

bool is_lost(const error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
           ec == asio::error::not_connected || ec == bhttp::error::end_of_stream ||
           ec == bhttp::error::partial_message || ec == ssl::error::stream_truncated;
}

// What one request/response exchange on a connection gave.
struct exchange_outcome {
    result<http_response> response = http_response{};
    bool nothing_received = false;  // failed before any response byte: safe to retry
    bool keep_alive = false;        // the connection may be reused
};

struct client_core;
result<void> ensure_tls(client_core& core);

// The result of one request (with retry) and the connection, when it can be reused.
struct request_outcome {
    result<http_response> response = http_response{};
    connection_ptr reusable;
};

// The client's state. `http_client::impl` derives from it so the helpers below (file-local)
// can name it.
struct client_core {
    http_client_options options;
    asio::io_context ioc{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
    std::optional<ssl::context> tls;  // made by ensure_tls() on the first TLS connection

    std::mutex pool_mutex;
    std::map<pool_key, std::deque<connection_ptr>> idle;  // most recently used at the back

    std::atomic<std::uint64_t> opened{0};

    // The TLS context is made, and the CA bundle parsed, on the first TLS connection, not in
    // create(): OpenSSL's initialisation and first SSL_CTX take ~3 ms and parsing ~140
    // certificates tens of milliseconds and megabytes, which a Lambda cold start (and a client
    // that only ever speaks plain HTTP, like the Runtime API's) should not pay.
    std::mutex trust_mutex;
    bool trust_loaded = false;          // guarded by trust_mutex; `tls` is ready once true
    std::optional<error> trust_failed;  // guarded by trust_mutex; sticky

    std::mutex drive_mutex;
    std::condition_variable drive_cv;
    bool driving = false;

    explicit client_core(http_client_options o) : options(std::move(o)) {}

    ~client_core() {
        // Connections hold sockets of `ioc`; drop them before it goes.
        std::lock_guard lock(pool_mutex);
        idle.clear();
    }

    // Runs handlers on this thread, or waits while another thread does, until `done`.
    void drive(const std::atomic<bool>& done) {
        std::unique_lock lock(drive_mutex);
        while (!done.load()) {
            if (!driving) {
                driving = true;
                lock.unlock();
                try {
                    ioc.run_one();
                } catch (...) {
                    lock.lock();
                    driving = false;
                    drive_cv.notify_all();
                    throw;
                }
                lock.lock();
                driving = false;
                drive_cv.notify_all();
            } else {
                drive_cv.wait(lock);
            }
        }
    }

    connection_ptr take_idle(const pool_key& key) {
        std::lock_guard lock(pool_mutex);
        auto it = idle.find(key);
        if (it == idle.end()) {
            return nullptr;
        }
        const auto now = clock_type::now();
        auto& queue = it->second;
        while (!queue.empty()) {
            connection_ptr c = std::move(queue.back());
            queue.pop_back();
            if (now - c->idle_since < options.idle_timeout) {
                return c;
            }
        }
        return nullptr;
    }

    void give_back(const pool_key& key, connection_ptr c) {
        const auto now = clock_type::now();
        c->idle_since = now;
        std::lock_guard lock(pool_mutex);
        auto& queue = idle[key];
        while (!queue.empty() && now - queue.front()->idle_since >= options.idle_timeout) {
            queue.pop_front();
        }
        if (queue.size() < options.max_idle_per_host) {
            queue.push_back(std::move(c));
        }
    }
};

using impl_t = client_core;

error transport_error(errc code, std::string message) {
    return fail(make_error_code(code), std::move(message));
}

// Resolves `to.host` (IP literals without a lookup), bounded by `deadline`.
asio::awaitable<result<std::vector<tcp::endpoint>>> resolve(endpoint to,
                                                            clock_type::time_point deadline) {
    const auto executor = co_await asio::this_coro::executor;
    error_code addr_ec;
    const auto address = asio::ip::make_address(to.host, addr_ec);
    if (!addr_ec) {
        co_return std::vector<tcp::endpoint>{tcp::endpoint(address, to.port)};
    }

    // The timer handler may run after this frame is gone (it can be queued just as the
    // lookup completes), so what it touches is shared. A lookup already inside getaddrinfo
    // cannot be interrupted; cancelling makes it complete as soon as that returns.
    struct lookup {
        explicit lookup(const asio::any_io_executor& ex) : resolver(ex) {}

        tcp::resolver resolver;
        bool expired = false;
    };

    auto state = std::make_shared<lookup>(executor);
    asio::steady_timer timer(executor);
    timer.expires_at(deadline);
    timer.async_wait([state](error_code ec) {
        if (!ec) {
            state->expired = true;
            state->resolver.cancel();
        }
    });
    auto [ec, results] =
        co_await state->resolver.async_resolve(to.host, std::to_string(to.port), use_nothrow);
    timer.cancel();
    if (state->expired) {
        co_return transport_error(errc::timeout, "resolving " + where(to) + " timed out");
    }
    if (ec) {
        co_return transport_error(errc::connect_failed,
                                  "cannot resolve " + where(to) + ": " + ec.message());
    }
    std::vector<tcp::endpoint> endpoints;
    for (const auto& entry : results) {
        endpoints.push_back(entry.endpoint());
    }
    co_return endpoints;
}

std::string verify_failure(SSL* native, const endpoint& to, const error_code& ec) {
    const long verify = SSL_get_verify_result(native);
    if (verify != X509_V_OK) {
        return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify) +
               " (host " + where(to) + ")";
    }
    return "TLS handshake with " + where(to) + " failed: " + ec.message();
}

// Opens a TCP (and TLS) connection, bounded by `deadline`.
asio::awaitable<result<connection_ptr>> open_connection(impl_t* self,
                                                        endpoint to,
                                                        clock_type::time_point deadline) {
    const auto executor = co_await asio::this_coro::executor;
    const auto started = clock_type::now();
    auto resolved = co_await resolve(to, deadline);
    if (!resolved) {
        co_return resolved.error();
    }

    auto c = std::make_unique<connection>();
    c->tls = to.tls;
    if (to.tls) {
        if (auto ready = ensure_tls(*self); !ready) {
            co_return ready.error();
        }
        c->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, *self->tls);
    } else {
        c->plain = std::make_unique<beast::tcp_stream>(executor);
    }
    auto& low = c->lowest();
    low.expires_at(deadline);
    auto [cec, connected] = co_await low.async_connect(*resolved, use_nothrow);
    if (cec) {
        if (is_timeout(cec)) {
            co_return transport_error(
                errc::timeout, "connecting to " + where(to) + " timed out after " +
                                   std::to_string(ms_between(started, clock_type::now())) + " ms");
        }
        co_return transport_error(errc::connect_failed,
                                  "cannot connect to " + where(to) + ": " + cec.message());
    }
    self->opened.fetch_add(1, std::memory_order_relaxed);
    error_code ignored;
    low.socket().set_option(tcp::no_delay(true), ignored);

    if (to.tls) {
        SSL* native = c->secure->native_handle();
        error_code addr_ec;
        asio::ip::make_address(to.host, addr_ec);
        const bool ip_literal = !addr_ec;
        if (!ip_literal && SSL_set_tlsext_host_name(native, to.host.c_str()) != 1) {
            co_return transport_error(errc::tls_failed, "cannot set SNI for " + where(to));
        }
        if (self->options.verify_peer) {
            X509_VERIFY_PARAM* param = SSL_get0_param(native);
            const int ok = ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(param, to.host.c_str())
                                      : X509_VERIFY_PARAM_set1_host(param, to.host.c_str(), 0);
            if (ok != 1) {
                co_return transport_error(errc::tls_failed,
                                          "cannot set the expected host name for " + where(to));
            }
        }
        low.expires_at(deadline);
        auto [hec] = co_await c->secure->async_handshake(ssl::stream_base::client, use_nothrow);
        if (hec) {
            if (is_timeout(hec)) {
                co_return transport_error(errc::timeout,
                                          "TLS handshake with " + where(to) + " timed out");
            }
            co_return transport_error(errc::tls_failed, verify_failure(native, to, hec));
        }
    }
    co_return c;
}

bhttp::request<bhttp::string_body> build_request(const endpoint& to, const http_request& in) {
    bhttp::request<bhttp::string_body> req;
    req.version(11);
    req.method_string(in.method);
    req.target(in.target);
    bool has_host = false;
    bool has_length = false;
    bool has_connection = false;
    for (const auto& h : in.headers) {
        has_host = has_host || ascii::iequals(h.name, "host");
        has_length = has_length || ascii::iequals(h.name, "content-length");
        has_connection = has_connection || ascii::iequals(h.name, "connection");
        req.insert(h.name, h.value);
    }
    if (!has_host) {
        req.set(bhttp::field::host, to.host_header());
    }
    if (!has_connection) {
        req.set(bhttp::field::connection, "keep-alive");
    }
    req.body() = in.body;
    if (!has_length) {
        req.content_length(in.body.size());
    }
    return req;
}

template <class Stream>
asio::awaitable<exchange_outcome> exchange(impl_t* self,
                                           Stream* stream,
                                           beast::tcp_stream* low,
                                           endpoint to,
                                           const http_request* in,
                                           clock_type::time_point deadline,
                                           clock_type::time_point started) {
    exchange_outcome out;
    auto req = build_request(to, *in);
    const bool client_wants_close = !req.keep_alive();

    const auto timed_out = [&] {
        return transport_error(errc::timeout,
                               in->method + " " + where(to) + " timed out after " +
                                   std::to_string(ms_between(started, clock_type::now())) + " ms");
    };

    low->expires_at(deadline);
    auto [wec, written] = co_await bhttp::async_write(*stream, req, use_nothrow);
    if (wec) {
        out.nothing_received = true;
        if (is_timeout(wec)) {
            out.response = timed_out();
        } else if (is_lost(wec)) {
            out.response = transport_error(errc::connection_lost,
                                           "sending to " + where(to) + ": " + wec.message());
        } else {
            out.response = transport_error(errc::connection_lost,
                                           "sending to " + where(to) + " failed: " + wec.message());
        }
        co_return out;
    }

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(self->options.max_response_bytes);
    parser.header_limit(64 * 1024);
    low->expires_at(deadline);
    auto [rec, read] = co_await bhttp::async_read(*stream, buffer, parser, use_nothrow);
    if (rec) {
        out.nothing_received = !parser.got_some() && buffer.size() == 0;
        if (is_timeout(rec)) {
            out.response = timed_out();
        } else if (rec == bhttp::error::body_limit || rec == bhttp::error::buffer_overflow ||
                   rec == bhttp::error::header_limit) {
            out.response = transport_error(errc::bad_response,
                                           "response from " + where(to) + " exceeds " +
                                               std::to_string(self->options.max_response_bytes) +
                                               " bytes (" + rec.message() + ")");
        } else if (is_lost(rec)) {
            out.response = transport_error(errc::connection_lost,
                                           where(to) +
                                               " closed the connection before a complete "
                                               "response: " +
                                               rec.message());
        } else if (rec.category() == make_error_code(bhttp::error::bad_version).category()) {
            out.response =
                transport_error(errc::bad_response,
                                "malformed HTTP response from " + where(to) + ": " + rec.message());
        } else if (rec.category() == asio::error::get_ssl_category() ||
                   rec.category() == ssl::error::get_stream_category()) {
            out.response =
                transport_error(errc::connection_lost,
                                "TLS error reading from " + where(to) + ": " + rec.message());
        } else {
            out.response = transport_error(
                errc::connection_lost, "reading from " + where(to) + " failed: " + rec.message());
        }
        co_return out;
    }

    auto& msg = parser.get();
    http_response response;
    response.status = static_cast<int>(msg.result_int());
    response.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& field : msg) {
        response.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    response.body = std::move(msg.body());
    out.keep_alive = msg.keep_alive() && !client_wants_close && buffer.size() == 0;
    out.response = std::move(response);
    co_return out;
}

// Sends one request on `conn` (or a pooled / new connection), retrying once on a fresh
// connection when a reused one turns out closed before anything was read.
asio::awaitable<request_outcome> perform(impl_t* self,
                                         endpoint to,
                                         const http_request* in,
                                         clock_type::time_point caller_deadline,
                                         connection_ptr conn) {
    request_outcome out;
    const auto started = clock_type::now();
    const auto total = std::min(caller_deadline, started + self->options.request_timeout);
    if (total <= started) {
        out.response = transport_error(errc::timeout,
                                       in->method + " " + where(to) + ": deadline already passed");
        co_return out;
    }
    const auto key = key_of(to);
    if (!conn) {
        conn = self->take_idle(key);
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        const bool reused = conn != nullptr;
        if (!conn) {
            const auto connect_deadline =
                std::min(total, clock_type::now() + self->options.connect_timeout);
            auto opened = co_await open_connection(self, to, connect_deadline);
            if (!opened) {
                out.response = opened.error();
                co_return out;
            }
            conn = std::move(*opened);
        }
        exchange_outcome ex;
        if (conn->tls) {
            ex = co_await exchange(self, conn->secure.get(), &conn->lowest(), to, in, total,
                                   started);
        } else {
            ex =
                co_await exchange(self, conn->plain.get(), &conn->lowest(), to, in, total, started);
        }
        if (ex.response) {
            out.response = std::move(ex.response);
            if (ex.keep_alive) {
                out.reusable = std::move(conn);
            }
            co_return out;
        }
        conn.reset();
        const bool retry = reused && ex.nothing_received &&
                           ex.response.error().code == errc::connection_lost &&
                           clock_type::now() < total;
        if (!retry) {
            out.response = std::move(ex.response);
            co_return out;
        }
    }
    out.response = transport_error(errc::connection_lost, "unreachable");
    co_return out;
}

// Sync send: runs `perform` and pools the connection afterwards.
asio::awaitable<void> send_task(impl_t* self,
                                endpoint to,
                                const http_request* in,
                                clock_type::time_point deadline,
                                result<http_response>* result_out) {
    auto outcome = co_await perform(self, to, in, deadline, nullptr);
    if (outcome.reusable) {
        self->give_back(key_of(to), std::move(outcome.reusable));
    }
    *result_out = std::move(outcome.response);
}

struct fan_out {
    std::span<const http_request> requests;
    std::vector<result<http_response>>* results = nullptr;
    std::size_t next = 0;
    std::size_t workers_left = 0;
};

// One send_many worker: takes the next request index until none is left, keeping its
// connection between requests.
asio::awaitable<void> fan_out_worker(impl_t* self,
                                     endpoint to,
                                     fan_out* state,
                                     clock_type::time_point deadline) {
    connection_ptr conn;
    while (state->next < state->requests.size()) {
        const std::size_t index = state->next++;
        const auto& target = state->requests[index].target;
        if (target.empty() || target.front() != '/') {
            continue;  // already failed with bad_endpoint
        }
        auto outcome =
            co_await perform(self, to, &state->requests[index], deadline, std::move(conn));
        (*state->results)[index] = std::move(outcome.response);
        conn = std::move(outcome.reusable);
    }
    if (conn) {
        self->give_back(key_of(to), std::move(conn));
    }
}

// Picks the CA bundle without reading it (a stat per candidate): the configured file, else
// SSL_CERT_FILE, else the first that exists of Amazon Linux's and Debian's; empty `ca_file`
// when none exists (OpenSSL's compiled-in default paths are used then).
result<void> choose_trust_store(http_client_options& options) {
    std::error_code fs_ec;
    if (!options.ca_file.empty()) {
        if (!std::filesystem::is_regular_file(options.ca_file, fs_ec)) {
            return transport_error(errc::tls_failed, "cannot load CA file " + options.ca_file +
                                                         ": not a readable file");
        }
    } else {
        std::vector<std::string> candidates;
        if (const char* env = std::getenv("SSL_CERT_FILE"); env != nullptr && *env != '\0') {
            candidates.emplace_back(env);
        }
        candidates.emplace_back("/etc/pki/tls/certs/ca-bundle.crt");
        candidates.emplace_back("/etc/ssl/certs/ca-certificates.crt");
        for (const auto& file : candidates) {
            if (std::filesystem::is_regular_file(file, fs_ec)) {
                options.ca_file = file;
                break;
            }
        }
    }
    if (!options.ca_path.empty() && !std::filesystem::is_directory(options.ca_path, fs_ec)) {
        return transport_error(errc::tls_failed,
                               "cannot use CA directory " + options.ca_path + ": not a directory");
    }
    return {};
}

// Makes the TLS context (protocol options, CA bundle, CA directory, verify mode), once; later
// calls return the first outcome. Thread-safe: TLS connections use `core.tls` only after this
// returned success, and nothing changes it afterwards.
result<void> ensure_tls(client_core& core) {
    std::lock_guard lock(core.trust_mutex);
    if (core.trust_loaded) {
        return {};
    }
    if (core.trust_failed) {
        return *core.trust_failed;
    }
    auto failed = [&](std::string message) {
        core.trust_failed = transport_error(errc::tls_failed, std::move(message));
        core.tls.reset();
        return *core.trust_failed;
    };
    error_code ec;
    auto& ctx = core.tls.emplace(ssl::context::tls_client);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                    ec);
    if (ec) {
        return failed("cannot configure TLS: " + ec.message());
    }
    if (!core.options.ca_file.empty()) {
        ctx.load_verify_file(core.options.ca_file, ec);
        if (ec) {
            return failed("cannot load CA file " + core.options.ca_file + ": " + ec.message());
        }
    } else {
        ctx.set_default_verify_paths(ec);
        if (ec) {
            return failed(
                "no trust store could be loaded; tried SSL_CERT_FILE, "
                "/etc/pki/tls/certs/ca-bundle.crt, /etc/ssl/certs/ca-certificates.crt "
                "(all missing) and OpenSSL's default paths: " +
                ec.message());
        }
    }
    std::string dir = core.options.ca_path;
    if (dir.empty()) {
        if (const char* env = std::getenv("SSL_CERT_DIR"); env != nullptr && *env != '\0') {
            dir = env;
        }
    }
    if (!dir.empty()) {
        ctx.add_verify_path(dir, ec);
        if (ec && !core.options.ca_path.empty()) {
            return failed("cannot use CA directory " + dir + ": " + ec.message());
        }
    }
    ctx.set_verify_mode(core.options.verify_peer ? ssl::verify_peer : ssl::verify_none, ec);
    if (ec) {
        return failed("cannot set TLS verify mode: " + ec.message());
    }
    core.trust_loaded = true;
    return {};
}

}  // namespace

struct http_client::impl : client_core {
    using client_core::client_core;
};

result<std::unique_ptr<http_client>> http_client::create(http_client_options options) {
    auto p = std::make_unique<impl>(std::move(options));
    if (auto chosen = choose_trust_store(p->options); !chosen) {
        return chosen.error();
    }
    return std::unique_ptr<http_client>(new http_client(std::move(p)));
}

http_client::http_client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

http_client::~http_client() = default;

result<http_response> http_client::send(const endpoint& to,
                                        const http_request& request,
                                        std::chrono::steady_clock::time_point deadline) {
    if (to.host.empty() || to.port == 0) {
        return transport_error(errc::bad_endpoint, "endpoint has no host or port");
    }
    if (request.target.empty() || request.target.front() != '/') {
        return transport_error(errc::bad_endpoint,
                               "request target must start with '/': " + request.target);
    }
    result<http_response> out = transport_error(errc::connection_lost, "not run");
    std::atomic<bool> done{false};
    asio::co_spawn(impl_->ioc, send_task(impl_.get(), to, &request, deadline, &out),
                   [&out, &done](const std::exception_ptr& e) {
                       if (e) {
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& x) {
                               out = transport_error(errc::connection_lost,
                                                     std::string("send failed: ") + x.what());
                           } catch (...) {
                               out = transport_error(errc::connection_lost, "send failed");
                           }
                       }
                       done.store(true);
                   });
    impl_->drive(done);
    return out;
}

std::vector<result<http_response>> http_client::send_many(
    const endpoint& to,
    std::span<const http_request> requests,
    std::size_t max_in_flight,
    std::chrono::steady_clock::time_point deadline) {
    std::vector<result<http_response>> results(
        requests.size(), result<http_response>(transport_error(errc::connection_lost, "not run")));
    if (requests.empty()) {
        return results;
    }
    if (to.host.empty() || to.port == 0) {
        for (auto& r : results) {
            r = transport_error(errc::bad_endpoint, "endpoint has no host or port");
        }
        return results;
    }
    for (std::size_t i = 0; i < requests.size(); ++i) {
        if (requests[i].target.empty() || requests[i].target.front() != '/') {
            // Sent as a failure without touching the network; the worker skips nothing else.
            results[i] = transport_error(errc::bad_endpoint, "request target must start with '/'");
        }
    }
    fan_out state;
    state.requests = requests;
    state.results = &results;
    const std::size_t workers = std::min(std::max<std::size_t>(max_in_flight, 1), requests.size());
    state.workers_left = workers;
    std::atomic<bool> done{false};
    for (std::size_t w = 0; w < workers; ++w) {
        asio::co_spawn(impl_->ioc, fan_out_worker(impl_.get(), to, &state, deadline),
                       [&state, &done](const std::exception_ptr&) {
                           if (--state.workers_left == 0) {
                               done.store(true);
                           }
                       });
    }
    impl_->drive(done);
    return results;
}

std::uint64_t http_client::connections_opened() const noexcept {
    return impl_->opened.load(std::memory_order_relaxed);
}

const http_client_options& http_client::options() const noexcept {
    return impl_->options;
}

}  // namespace lift::aws
