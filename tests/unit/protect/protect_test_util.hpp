// Helpers shared by the lift::protect tests: events, contexts and a counting handler.
#pragma once

#include <atomic>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <lift/core/context.hpp>
#include <lift/core/event.hpp>
#include <lift/core/middleware.hpp>

namespace lift::test {

inline websocket_event message_event(std::string route,
                                     std::string connection_id,
                                     std::string body,
                                     std::string request_id = "req-1") {
    websocket_event ev;
    ev.request_context.type = event_type::message;
    ev.request_context.route_key = std::move(route);
    ev.request_context.connection_id = std::move(connection_id);
    ev.request_context.request_id = std::move(request_id);
    ev.request_context.identity.source_ip = "192.0.2.7";
    ev.body = std::move(body);
    return ev;
}

inline websocket_event connect_event(std::string connection_id,
                                     std::string source_ip = "192.0.2.7") {
    websocket_event ev;
    ev.request_context.type = event_type::connect;
    ev.request_context.route_key = "$connect";
    ev.request_context.connection_id = std::move(connection_id);
    ev.request_context.request_id = "req-c";
    ev.request_context.identity.source_ip = std::move(source_ip);
    return ev;
}

inline websocket_event disconnect_event(std::string connection_id) {
    websocket_event ev;
    ev.request_context.type = event_type::disconnect;
    ev.request_context.route_key = "$disconnect";
    ev.request_context.connection_id = std::move(connection_id);
    return ev;
}

// A handler for middleware tests: counts calls and returns `reply`.
struct counting_next {
    std::atomic<int> calls{0};
    reply answer = reply::ok();

    next_handler fn() {
        return [this](context&) -> result<reply> {
            ++calls;
            return answer;
        };
    }
};

inline boost::json::value parse(const std::string& s) {
    return boost::json::parse(s);
}

}  // namespace lift::test
