/// @file http.hpp
/// The HTTP transport the AWS clients send through: an interface (so tests inject faults and
/// fakes) and `http_client`, its Beast/OpenSSL implementation with per-host keep-alive, connect
/// and total timeouts, and TLS verification against the system trust store. `http://` is for
/// local endpoints (the gateway, moto_server, dynalite).
///
///     auto client = lift::aws::http_client::create({}).value();
///     auto ep = lift::aws::parse_endpoint("https://dynamodb.us-east-1.amazonaws.com").value();
///     auto r = client->send(ep, {.method = "POST", .target = "/", .headers = h, .body = b});
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <lift/aws/sigv4.hpp>
#include <lift/core/result.hpp>

namespace lift::aws {

/// Where requests go: scheme, host, port and a base path, parsed from a URL such as
/// `https://abc.execute-api.eu-west-1.amazonaws.com/prod` or `http://127.0.0.1:4566`.
struct endpoint {
    bool tls = true;         ///< `https` (true) or `http` (false)
    std::string host;        ///< host name or IP literal, without brackets or port
    std::uint16_t port = 0;  ///< explicit or scheme default (443 / 80)
    std::string base_path;   ///< path prefix without trailing `/` (`/prod`), or empty

    /// The `Host` header value: host, plus `:port` when not the scheme default.
    [[nodiscard]] std::string host_header() const;

    /// The URL back as text (`https://host[:port]/base`), for messages.
    [[nodiscard]] std::string url() const;
};

/// Parses an endpoint URL. Accepts `http://` and `https://`, an optional port, an optional
/// path (kept as `base_path`; a lone `/` is dropped). Rejects other schemes, user info, query
/// strings, fragments and empty hosts with `aws::errc::bad_endpoint`.
[[nodiscard]] result<endpoint> parse_endpoint(std::string_view url);

/// One request. `target` is the raw path (and query) exactly as sent on the wire, already
/// percent-encoded, starting with `/` (the transport does not prepend `endpoint::base_path`:
/// callers build the full path, since it is also what SigV4 signs); the transport adds `Host`,
/// `Content-Length` and `Connection: keep-alive` itself unless given.
struct http_request {
    std::string method = "GET";   ///< `GET`, `POST`, `DELETE`, ...
    std::string target = "/";     ///< raw path + optional `?query`
    std::vector<header> headers;  ///< extra headers (signing headers included)
    std::string body;             ///< request body; may be empty
};

/// One response.
struct http_response {
    int status = 0;               ///< HTTP status code
    std::vector<header> headers;  ///< as received
    std::string body;             ///< whole body (chunked bodies are joined)

    /// The first header named `name` (case-insensitive), or nullopt.
    [[nodiscard]] std::optional<std::string_view> header_value(std::string_view name) const;
};

/// Sends requests. Errors (no response at all): `aws::errc::connect_failed`, `tls_failed`,
/// `connection_lost`, `timeout`, `bad_response`, `bad_endpoint`. Any HTTP status, 4xx and 5xx
/// included, is a successful `send`: the caller interprets it. Implementations are
/// thread-safe.
class http_transport {
public:
    virtual ~http_transport() = default;

    /// Sends one request and reads the whole response. `deadline` (steady clock) bounds the
    /// call in addition to the transport's own timeouts; `time_point::max()` means none.
    [[nodiscard]] virtual result<http_response> send(
        const endpoint& to,
        const http_request& request,
        std::chrono::steady_clock::time_point deadline =
            std::chrono::steady_clock::time_point::max()) = 0;

    /// Sends all `requests` to one endpoint with at most `max_in_flight` outstanding at once
    /// (over at most that many reused connections) and returns one result per request, in
    /// order. Runs to completion inside the call. The default sends them one by one.
    [[nodiscard]] virtual std::vector<result<http_response>> send_many(
        const endpoint& to,
        std::span<const http_request> requests,
        std::size_t max_in_flight,
        std::chrono::steady_clock::time_point deadline =
            std::chrono::steady_clock::time_point::max());
};

/// Settings of `http_client`.
struct http_client_options {
    std::chrono::milliseconds connect_timeout{3'000};   ///< TCP connect + TLS handshake
    std::chrono::milliseconds request_timeout{10'000};  ///< whole request, connect included
    std::chrono::milliseconds idle_timeout{50'000};     ///< idle pooled connections are dropped
                                                        ///< after this (AWS closes at ~60 s)
    std::size_t max_idle_per_host = 64;  ///< pooled keep-alive connections kept per host
    std::size_t max_response_bytes = 16 * 1024 * 1024;  ///< larger responses → `bad_response`
    bool verify_peer = true;  ///< verify the certificate chain and host name (never off on AWS)
    /// CA bundle file. Empty: `SSL_CERT_FILE` if set, else the first that exists of
    /// `/etc/pki/tls/certs/ca-bundle.crt` (Amazon Linux 2023), `/etc/ssl/certs/ca-certificates.crt`
    /// (Debian), then OpenSSL's compiled-in default paths. The TLS context is made and the file
    /// parsed on the first TLS connection (a Lambda cold start does not pay for it; plain-HTTP
    /// clients never do).
    std::string ca_file;
    std::string ca_path;  ///< directory of hashed certificates (`SSL_CERT_DIR`), optional
};

/// The Beast/OpenSSL transport. Keeps idle connections per (scheme, host, port) and reuses
/// them; a reused connection that turns out closed is retried once on a fresh one when the
/// request cannot have been processed (nothing was read back). Thread-safe: concurrent
/// `send`/`send_many` calls use separate connections. No background thread: calling threads
/// drive the client's one io_context themselves, one at a time (a waiting caller's I/O may be
/// run by another caller's thread). Not copyable or movable (hold it in a unique_ptr).
class http_client final : public http_transport {
public:
    /// Builds a client; fails with `aws::errc::tls_failed` when a configured CA file or
    /// directory does not exist. A CA bundle that exists but does not parse (or any other TLS
    /// set-up failure) fails every TLS request instead, with the same code and a message
    /// naming the file.
    [[nodiscard]] static result<std::unique_ptr<http_client>> create(http_client_options options);

    ~http_client() override;
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    /// See `http_transport::send`.
    [[nodiscard]] result<http_response> send(
        const endpoint& to,
        const http_request& request,
        std::chrono::steady_clock::time_point deadline =
            std::chrono::steady_clock::time_point::max()) override;

    /// Asynchronous fan-out (C++20 coroutines) on the client's io_context, driven to
    /// completion by the calling thread: at most `max_in_flight` (0 counts as 1) workers, each
    /// taking the next request and keeping its connection, starting from pooled idle
    /// connections and returning them to the pool at the end. Requests whose target does not
    /// start with `/` fail with `bad_endpoint` without being sent. Requests not finished by
    /// `deadline` fail with `timeout`.
    [[nodiscard]] std::vector<result<http_response>> send_many(
        const endpoint& to,
        std::span<const http_request> requests,
        std::size_t max_in_flight,
        std::chrono::steady_clock::time_point deadline =
            std::chrono::steady_clock::time_point::max()) override;

    /// Connections opened so far (tests check reuse with it).
    [[nodiscard]] std::uint64_t connections_opened() const noexcept;

    /// The settings in use (with the resolved trust store file).
    [[nodiscard]] const http_client_options& options() const noexcept;

private:
    struct impl;
    explicit http_client(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

}  // namespace lift::aws
