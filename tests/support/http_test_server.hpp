// A scripted HTTP/1.1 server on 127.0.0.1 (port 0) for transport tests: POSIX sockets, one
// thread per connection, optional TLS (OpenSSL). Each request is answered by a handler that
// returns raw response bytes and whether to close or stall. Counts accepted and closed
// connections and requests in flight. Every wait is bounded; `stop()` joins all threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <openssl/ssl.h>

#include <lift/core/ascii.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lift::test {

/// A request as the server parsed it (header names lower-cased).
struct server_request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;
    std::string body;
};

/// What the server does with a request.
struct server_action {
    std::string response;  ///< raw bytes to send (ignored when `stall`)
    bool close = false;    ///< close the connection after sending
    bool stall = false;    ///< never answer; wait until the peer closes or the server stops
};

/// A `200 OK` response with `body` and optional extra header lines ("Name: value\r\n").
inline std::string ok_response(const std::string& body, const std::string& extra = "") {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
           "\r\n" + body;
}

class http_test_server {
public:
    using handler = std::function<server_action(const server_request&)>;

    /// Starts listening; `tls` (may be null) is used for every accepted connection and must
    /// outlive the server.
    explicit http_test_server(handler h, SSL_CTX* tls = nullptr)
        : handler_(std::move(h)),
          tls_(tls) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (listen_fd_ < 0) {
            throw std::runtime_error("socket failed");
        }
        int one = 1;
        ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(listen_fd_, 128) != 0) {
            ::close(listen_fd_);
            throw std::runtime_error("bind/listen failed");
        }
        socklen_t len = sizeof addr;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }

    ~http_test_server() { stop(); }

    http_test_server(const http_test_server&) = delete;
    http_test_server& operator=(const http_test_server&) = delete;

    std::uint16_t port() const { return port_; }

    int accepted() const { return accepted_.load(); }

    int closed() const { return closed_.load(); }

    int requests() const { return requests_.load(); }

    int max_in_flight() const { return max_in_flight_.load(); }

    int in_flight() const { return in_flight_.load(); }

    /// Waits (bounded) until `pred()` holds; returns whether it did.
    bool wait_until(const std::function<bool()>& pred,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, pred);
    }

    /// Stops accepting, ends all connections (stalled ones included) and joins the threads.
    void stop() {
        if (stopping_.exchange(true)) {
            return;
        }
        cv_.notify_all();
        if (acceptor_.joinable()) {
            acceptor_.join();
        }
        ::close(listen_fd_);
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(mutex_);
            threads.swap(connections_);
        }
        for (auto& t : threads) {
            t.join();
        }
    }

private:
    // Waits until `fd` is readable; false on stop or after ~20 s.
    bool wait_readable(int fd) {
        for (int i = 0; i < 200 && !stopping_.load(); ++i) {
            pollfd p{fd, POLLIN, 0};
            const int n = ::poll(&p, 1, 100);
            if (n > 0) {
                return true;
            }
        }
        return false;
    }

    void accept_loop() {
        while (!stopping_.load()) {
            pollfd p{listen_fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) {
                continue;
            }
            const int fd = ::accept(listen_fd_, nullptr, nullptr);
            if (fd < 0) {
                continue;
            }
            accepted_.fetch_add(1);
            notify();
            std::lock_guard lock(mutex_);
            connections_.emplace_back([this, fd] { serve(fd); });
        }
    }

    void notify() {
        std::lock_guard lock(mutex_);
        cv_.notify_all();
    }

    struct io {
        int fd;
        SSL* ssl;
    };

    // Reads some bytes; 0 on close, error or stop.
    std::size_t read_some(io& c, char* buf, std::size_t n) {
        if (c.ssl == nullptr || SSL_pending(c.ssl) == 0) {
            if (!wait_readable(c.fd)) {
                return 0;
            }
        }
        if (c.ssl != nullptr) {
            const int r = SSL_read(c.ssl, buf, static_cast<int>(n));
            return r > 0 ? static_cast<std::size_t>(r) : 0;
        }
        const ssize_t r = ::recv(c.fd, buf, n, 0);
        return r > 0 ? static_cast<std::size_t>(r) : 0;
    }

    bool write_all(io& c, const std::string& data) {
        std::size_t off = 0;
        while (off < data.size()) {
            if (c.ssl != nullptr) {
                const int r =
                    SSL_write(c.ssl, data.data() + off, static_cast<int>(data.size() - off));
                if (r <= 0) {
                    return false;
                }
                off += static_cast<std::size_t>(r);
            } else {
                const ssize_t r = ::send(c.fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
                if (r <= 0) {
                    return false;
                }
                off += static_cast<std::size_t>(r);
            }
        }
        return true;
    }

    // Reads one request into `out`; false when the peer closed or the request is malformed.
    bool read_request(io& c, std::string& pending, server_request& out) {
        char buf[16384];
        std::size_t end = 0;
        while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
            const std::size_t n = read_some(c, buf, sizeof buf);
            if (n == 0 || pending.size() > 1'000'000) {
                return false;
            }
            pending.append(buf, n);
        }
        const std::string head = pending.substr(0, end);
        pending.erase(0, end + 4);
        out = server_request{};
        std::size_t line_end = head.find("\r\n");
        const std::string first = head.substr(0, line_end);
        const auto sp1 = first.find(' ');
        const auto sp2 = first.find(' ', sp1 + 1);
        if (sp1 == std::string::npos || sp2 == std::string::npos) {
            return false;
        }
        out.method = first.substr(0, sp1);
        out.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
        std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
        while (pos < head.size()) {
            auto next = head.find("\r\n", pos);
            if (next == std::string::npos) {
                next = head.size();
            }
            const std::string line = head.substr(pos, next - pos);
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                std::string value = line.substr(colon + 1);
                value.erase(0, value.find_first_not_of(' '));
                out.headers[lift::ascii::lower(line.substr(0, colon))] = value;
            }
            pos = next + 2;
        }
        std::size_t length = 0;
        if (auto it = out.headers.find("content-length"); it != out.headers.end()) {
            length = std::stoul(it->second);
        }
        while (pending.size() < length) {
            const std::size_t n = read_some(c, buf, sizeof buf);
            if (n == 0) {
                return false;
            }
            pending.append(buf, n);
        }
        out.body = pending.substr(0, length);
        pending.erase(0, length);
        return true;
    }

    void serve(int fd) {
        io c{fd, nullptr};
        timeval tv{5, 0};  // guards blocking TLS calls
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        bool usable = true;
        if (tls_ != nullptr) {
            c.ssl = SSL_new(tls_);
            SSL_set_fd(c.ssl, fd);
            usable = SSL_accept(c.ssl) == 1;
        }
        std::string pending;
        while (usable && !stopping_.load()) {
            server_request req;
            if (!read_request(c, pending, req)) {
                break;
            }
            const int now = in_flight_.fetch_add(1) + 1;
            requests_.fetch_add(1);
            int seen = max_in_flight_.load();
            while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
            }
            notify();
            const server_action action = handler_(req);
            if (action.stall) {
                in_flight_.fetch_sub(1);
                notify();
                char buf[256];
                while (read_some(c, buf, sizeof buf) > 0) {
                }
                break;
            }
            const bool written = write_all(c, action.response);
            in_flight_.fetch_sub(1);
            notify();
            if (!written || action.close) {
                break;
            }
        }
        if (c.ssl != nullptr) {
            SSL_free(c.ssl);
        }
        ::close(fd);
        closed_.fetch_add(1);
        notify();
    }

    handler handler_;
    SSL_CTX* tls_ = nullptr;
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> accepted_{0};
    std::atomic<int> closed_{0};
    std::atomic<int> requests_{0};
    std::atomic<int> in_flight_{0};
    std::atomic<int> max_in_flight_{0};
    std::mutex mutex_;
    std::condition_variable cv_;
    std::thread acceptor_;
    std::vector<std::thread> connections_;
};

}  // namespace lift::test
