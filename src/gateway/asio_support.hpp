// What the gateway's Asio/Beast translation units (gateway.cpp, runtime_api.cpp) share: the
// namespace aliases, the one completion token (Boost 1.81 has no default token; style.md G7)
// and the wall clock in epoch milliseconds. Private to src/gateway; include it only from .cpp
// files that already pay for Asio/Beast.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/fwd.hpp>

namespace lift::gateway::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

/// Awaits without throwing: results come back as a tuple with the error_code first.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

/// Unix epoch milliseconds of the system clock (what API Gateway's timestamps use).
inline std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// What a failed coroutine's exception says (for the co_spawn completion handlers' log line);
/// empty for a null pointer.
inline std::string describe_exception(const std::exception_ptr& e) {
    if (!e) {
        return {};
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace lift::gateway::net
