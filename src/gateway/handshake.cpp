#include "handshake.hpp"

#include <lift/core/ascii.hpp>

#include "ws_codec.hpp"

namespace lift::gateway::detail {

namespace {

handshake_verdict reject(int status, std::string reason) {
    handshake_verdict v;
    v.status = status;
    v.reason = std::move(reason);
    return v;
}

}  // namespace

bool has_token(std::string_view value, std::string_view token) noexcept {
    while (!value.empty()) {
        const auto comma = value.find(',');
        const std::string_view item = ascii::trim_ows(value.substr(0, comma));
        value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
        if (ascii::iequals(item, token)) {
            return true;
        }
    }
    return false;
}

handshake_verdict check_handshake(const handshake_request& req, const handshake_limits& limits) {
    if (req.target.size() > limits.max_target) {
        return reject(414, "request target over " + std::to_string(limits.max_target) + " bytes");
    }
    std::size_t header_bytes = 0;
    for (const auto& [name, value] : req.headers) {
        header_bytes += name.size() + value.size() + 4;  // "name: value\r\n"
    }
    if (header_bytes > limits.max_header_bytes) {
        return reject(431,
                      "header fields over " + std::to_string(limits.max_header_bytes) + " bytes");
    }
    if (req.method != "GET") {
        return reject(400, "method is not GET");
    }
    if (req.version < 11) {
        return reject(400, "HTTP version below 1.1");
    }
    int hosts = 0;
    int keys = 0;
    int versions = 0;
    bool connection_upgrade = false;
    std::string_view key;
    std::string_view version;
    for (const auto& [name, value] : req.headers) {
        if (ascii::iequals(name, "Host")) {
            ++hosts;
        } else if (ascii::iequals(name, "Connection")) {
            connection_upgrade = connection_upgrade || has_token(value, "upgrade");
        } else if (ascii::iequals(name, "Sec-WebSocket-Key")) {
            ++keys;
            key = ascii::trim_ows(value);
        } else if (ascii::iequals(name, "Sec-WebSocket-Version")) {
            ++versions;
            version = ascii::trim_ows(value);
        }
    }
    if (hosts != 1) {
        return reject(400, hosts == 0 ? "Host missing" : "Host repeated");
    }
    if (!connection_upgrade) {
        return reject(400, "Connection header without the upgrade token");
    }
    if (versions != 1 || version != "13") {
        auto v = reject(426, "Sec-WebSocket-Version is not 13");
        v.headers.emplace_back("Sec-WebSocket-Version", "13");
        return v;
    }
    if (keys != 1) {
        return reject(400, keys == 0 ? "Sec-WebSocket-Key missing" : "Sec-WebSocket-Key repeated");
    }
    if (!is_valid_websocket_key(key)) {
        return reject(400, "Sec-WebSocket-Key is not base64 of 16 bytes");
    }
    handshake_verdict ok;
    ok.key = std::string{key};
    return ok;
}

}  // namespace lift::gateway::detail
