/// @file reply.hpp
/// What a handler returns: the API Gateway proxy response (`statusCode`, `headers`,
/// `multiValueHeaders`, `body`, `isBase64Encoded`). On `$connect` the status decides the
/// handshake and the headers go into the 101 response; on a two-way route a non-empty body is
/// sent back to the caller; on `$disconnect` it is ignored.
///
///     return lift::reply::ok();                      // 200, nothing sent back
///     return lift::reply::text(R"({"pong":true})");  // sent back on a two-way route
///     return lift::reply::status(401);               // rejects a $connect
#pragma once

#include <optional>
#include <string>

#include <lift/core/event.hpp>

namespace lift {

/// API Gateway Lambda proxy response.
struct reply {
    int status_code = 200;                 ///< `statusCode`
    string_map headers;                    ///< `headers`
    multi_string_map multi_value_headers;  ///< `multiValueHeaders`
    std::optional<std::string> body;       ///< `body`
    bool is_base64_encoded = false;        ///< `isBase64Encoded`

    /// 200 with no body.
    static reply ok() { return reply{}; }

    /// 200 with `body`.
    static reply text(std::string body) {
        reply r;
        r.body = std::move(body);
        return r;
    }

    /// Any status code with no body.
    static reply status(int code) {
        reply r;
        r.status_code = code;
        return r;
    }

    /// Adds or replaces a header; returns *this for chaining.
    reply& with_header(std::string name, std::string value) {
        headers[std::move(name)] = std::move(value);
        return *this;
    }

    /// True for 200–299.
    bool is_success() const noexcept { return status_code >= 200 && status_code < 300; }
};

}  // namespace lift
