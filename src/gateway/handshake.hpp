// Sans-I/O check of a WebSocket opening handshake (RFC 6455 §4.2.1) with API Gateway's limits:
// what the gateway answers before `$connect` runs. No sockets and no Beast here, so it is
// unit-tested, fuzzed and table-tested (tests/conformance handshake cases) directly.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lift::gateway::detail {

/// The parts of an upgrade request the check looks at. Views must outlive the call.
struct handshake_request {
    std::string_view method;  ///< e.g. `GET`
    unsigned version = 11;    ///< HTTP version ×10 (10 = HTTP/1.0, 11 = HTTP/1.1)
    std::string_view target;  ///< raw request target (path and query)
    std::vector<std::pair<std::string_view, std::string_view>> headers;  ///< in order, as sent
};

/// Limits and settings of the check.
struct handshake_limits {
    std::size_t max_target = 4096;        ///< longer request target → 414
    std::size_t max_header_bytes = 8192;  ///< header fields (`name: value\r\n`) beyond → 431
};

/// The outcome: `status` 0 means "a valid upgrade" (then `key` is the client's key); otherwise
/// the response status and extra headers to send instead of 101.
struct handshake_verdict {
    int status = 0;                                            ///< 0 = accept
    std::string reason;                                        ///< for logs
    std::string key;                                           ///< `Sec-WebSocket-Key`
    std::vector<std::pair<std::string, std::string>> headers;  ///< e.g. Sec-WebSocket-Version
};

/// Checks an upgrade request (one whose `Upgrade` header holds `websocket`; plain requests are
/// not handshakes). Order: 414 (target too long), 431 (header fields too large), 400 (method not
/// GET, HTTP/1.0, Host missing or repeated, `Connection` without `upgrade`), 426 with
/// `Sec-WebSocket-Version: 13` (version missing or not 13), 400 (key missing, repeated or not
/// base64 of 16 bytes).
handshake_verdict check_handshake(const handshake_request& req,
                                  const handshake_limits& limits = {});

/// True when the comma-separated header value holds `token` (case-insensitive, OWS trimmed).
bool has_token(std::string_view value, std::string_view token) noexcept;

}  // namespace lift::gateway::detail
