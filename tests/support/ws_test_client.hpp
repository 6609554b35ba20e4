// A deliberately low-level WebSocket/HTTP client for gateway tests: plain POSIX sockets with
// poll() timeouts, able to send any frame (bad opcodes, unmasked, oversized, invalid UTF-8)
// and to read exactly what the server sent. Header-only; no Asio, so tests compile quickly.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lift::test {

inline std::string lower(std::string s) {
    for (auto& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

/// A connected TCP socket to 127.0.0.1:port with timed reads.
class tcp_conn {
public:
    explicit tcp_conn(std::uint16_t port, int rcvbuf = 0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (rcvbuf > 0) {
            ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        }
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }

    ~tcp_conn() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

    tcp_conn(const tcp_conn&) = delete;
    tcp_conn& operator=(const tcp_conn&) = delete;

    bool ok() const { return fd_ >= 0; }

    bool write_all(std::string_view data) {
        while (!data.empty()) {
            const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    /// Reads exactly n bytes (from the buffer first); false on timeout/EOF.
    bool read_exact(std::size_t n, std::string& out, int timeout_ms) {
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (buf_.size() < n) {
            if (!fill(deadline)) {
                return false;
            }
        }
        out.assign(buf_, 0, n);
        buf_.erase(0, n);
        return true;
    }

    /// Reads until `delim` (included); false on timeout/EOF.
    bool read_until(std::string_view delim, std::string& out, int timeout_ms) {
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            const auto pos = buf_.find(delim);
            if (pos != std::string::npos) {
                out.assign(buf_, 0, pos + delim.size());
                buf_.erase(0, pos + delim.size());
                return true;
            }
            if (!fill(deadline)) {
                return false;
            }
        }
    }

    /// True when the peer closed the connection (EOF) within the timeout.
    bool wait_eof(int timeout_ms) {
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            if (!fill(deadline)) {
                return eof_;
            }
        }
    }

    void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

    int fd() const { return fd_; }

private:
    bool fill(std::chrono::steady_clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0 || eof_) {
            return false;
        }
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) {
            return false;
        }
        char tmp[65536];
        const auto n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        buf_.append(tmp, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    std::string buf_;
    bool eof_ = false;
};

/// An HTTP response as read off the wire.
struct http_reply {
    int status = 0;
    std::map<std::string, std::string> headers;  ///< lower-case names
    std::string body;
    std::string head;  ///< the raw status line + headers
};

inline std::optional<http_reply> read_http_reply(tcp_conn& c, int timeout_ms = 5000) {
    http_reply r;
    if (!c.read_until("\r\n\r\n", r.head, timeout_ms)) {
        return std::nullopt;
    }
    const auto sp = r.head.find(' ');
    r.status = std::stoi(r.head.substr(sp + 1, 3));
    std::size_t pos = r.head.find("\r\n") + 2;
    while (pos < r.head.size() - 2) {
        const auto end = r.head.find("\r\n", pos);
        const std::string line = r.head.substr(pos, end - pos);
        const auto colon = line.find(':');
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') {
            value.erase(0, 1);
        }
        r.headers[lower(line.substr(0, colon))] = value;
        pos = end + 2;
    }
    if (auto it = r.headers.find("content-length"); it != r.headers.end()) {
        const auto n = static_cast<std::size_t>(std::stoul(it->second));
        if (n > 0 && !c.read_exact(n, r.body, timeout_ms)) {
            return std::nullopt;
        }
    }
    return r;
}

/// One HTTP request on a fresh connection.
inline std::optional<http_reply> http_request(std::uint16_t port,
                                              std::string_view method,
                                              std::string_view target,
                                              std::string_view body = {},
                                              std::string_view extra_headers = {}) {
    tcp_conn c{port};
    if (!c.ok()) {
        return std::nullopt;
    }
    std::string req{method};
    req += ' ';
    req += target;
    req += " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    req += extra_headers;
    if (!body.empty() || method == "POST") {
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n";
    req += body;
    if (!c.write_all(req)) {
        return std::nullopt;
    }
    return read_http_reply(c);
}

/// Encodes one client frame: any opcode, FIN, RSV bits and masking, so tests can also build
/// frames a correct client never sends.
inline std::string client_frame(std::uint8_t opcode,
                                std::string_view payload,
                                bool fin = true,
                                bool mask = true,
                                unsigned char rsv = 0) {
    std::string f;
    f += static_cast<char>((fin ? 0x80 : 0) | rsv | opcode);
    const unsigned char m = mask ? 0x80 : 0;
    if (payload.size() < 126) {
        f += static_cast<char>(m | payload.size());
    } else if (payload.size() <= 0xFFFF) {
        f += static_cast<char>(m | 126);
        f += static_cast<char>(payload.size() >> 8);
        f += static_cast<char>(payload.size() & 0xFF);
    } else {
        f += static_cast<char>(m | 127);
        for (int i = 7; i >= 0; --i) {
            f += static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> (8 * i)) & 0xFF);
        }
    }
    const unsigned char key[4] = {0xA1, 0xB2, 0xC3, 0xD4};
    if (mask) {
        f.append(reinterpret_cast<const char*>(key), 4);
    }
    for (std::size_t i = 0; i < payload.size(); ++i) {
        f += mask ? static_cast<char>(payload[i] ^ key[i & 3]) : payload[i];
    }
    return f;
}

/// A frame as received from the server.
struct frame {
    bool fin = true;
    std::uint8_t opcode = 0;
    std::string payload;

    std::uint16_t close_code() const {
        return payload.size() >= 2
                   ? static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                static_cast<unsigned char>(payload[1]))
                   : 1005;
    }

    std::string close_reason() const { return payload.size() > 2 ? payload.substr(2) : ""; }
};

/// A WebSocket client connection.
class ws_client {
public:
    /// Opens a TCP connection and sends the handshake; `reply` holds the server's answer.
    ws_client(std::uint16_t port,
              std::string_view target = "/dev",
              std::string_view extra_headers = {},
              int rcvbuf = 0)
        : conn_(port, rcvbuf) {
        if (!conn_.ok()) {
            return;
        }
        std::string req = "GET " + std::string{target} +
                          " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\nUser-Agent: lift-test/1\r\n";
        req += extra_headers;
        req += "\r\n";
        conn_.write_all(req);
        if (auto r = read_http_reply(conn_)) {
            reply = std::move(*r);
        }
    }

    http_reply reply;

    bool open() const { return reply.status == 101; }

    /// Sends one frame (masked unless `mask` is false).
    bool send_frame(std::uint8_t opcode,
                    std::string_view payload,
                    bool fin = true,
                    bool mask = true) {
        return conn_.write_all(client_frame(opcode, payload, fin, mask));
    }

    bool send_text(std::string_view text) { return send_frame(0x1, text); }

    /// Sends a close frame with a code (or none when code == 0).
    bool send_close(std::uint16_t code = 1000, std::string_view reason = {}) {
        std::string p;
        if (code != 0) {
            p += static_cast<char>(code >> 8);
            p += static_cast<char>(code & 0xFF);
            p += reason;
        }
        return send_frame(0x8, p);
    }

    /// Reads the next frame; nullopt on timeout or EOF.
    std::optional<frame> read_frame(int timeout_ms = 5000) {
        std::string h;
        if (!conn_.read_exact(2, h, timeout_ms)) {
            return std::nullopt;
        }
        frame f;
        f.fin = (h[0] & 0x80) != 0;
        f.opcode = static_cast<std::uint8_t>(h[0] & 0x0F);
        std::uint64_t len = static_cast<unsigned char>(h[1]) & 0x7F;
        std::string ext;
        if (len == 126) {
            if (!conn_.read_exact(2, ext, timeout_ms)) {
                return std::nullopt;
            }
            len = (static_cast<unsigned char>(ext[0]) << 8) | static_cast<unsigned char>(ext[1]);
        } else if (len == 127) {
            if (!conn_.read_exact(8, ext, timeout_ms)) {
                return std::nullopt;
            }
            len = 0;
            for (char c : ext) {
                len = (len << 8) | static_cast<unsigned char>(c);
            }
        }
        if (len > 0 && !conn_.read_exact(static_cast<std::size_t>(len), f.payload, timeout_ms)) {
            return std::nullopt;
        }
        return f;
    }

    /// Reads the next complete text message (joining fragments, answering nothing);
    /// nullopt on timeout, EOF or a close frame (kept in `last_close`).
    std::optional<std::string> read_text(int timeout_ms = 5000) {
        std::string msg;
        for (;;) {
            auto f = read_frame(timeout_ms);
            if (!f) {
                return std::nullopt;
            }
            if (f->opcode == 0x8) {
                last_close = *f;
                return std::nullopt;
            }
            if (f->opcode == 0x9 || f->opcode == 0xA) {
                continue;
            }
            msg += f->payload;
            if (f->fin) {
                return msg;
            }
        }
    }

    /// Waits for the server's close frame; returns it (nullopt on timeout).
    std::optional<frame> read_close(int timeout_ms = 5000) {
        for (;;) {
            auto f = read_frame(timeout_ms);
            if (!f) {
                return std::nullopt;
            }
            if (f->opcode == 0x8) {
                return f;
            }
        }
    }

    std::optional<frame> last_close;

    tcp_conn& conn() { return conn_; }

private:
    tcp_conn conn_;
};

}  // namespace lift::test
