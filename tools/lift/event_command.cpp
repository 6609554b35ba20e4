// `lift event`: a real-shaped API Gateway WebSocket proxy event on stdout, for feeding a
// handler by hand (Lambda console test events, `sam local invoke`, unit tests).
#include <cstdio>
#include <memory>
#include <string>

#include <lift/core/clock.hpp>
#include <lift/core/event.hpp>
#include <lift/core/ids.hpp>
#include <lift/core/json.hpp>
#include <lift/core/protocol.hpp>

#include "commands.hpp"

namespace lift::tool {

namespace {

struct event_args {
    std::string type;
    std::string route_key;
    std::string body;
    std::string connection_id;
    std::string stage = "dev";
    std::string domain = "abc123defg.execute-api.us-east-1.amazonaws.com";
    std::string source_ip = "203.0.113.9";
    std::string user_agent;
    std::vector<std::string> query;
    int status = 1000;
    std::string reason = "Connection Closed Normally";
};

int print_event(const event_args& a) {
    id_generator ids;
    system_clock clock;
    const std::int64_t now = clock.now_ms();
    websocket_event ev;
    auto& rc = ev.request_context;
    rc.request_id = ids.next();
    rc.extended_request_id = rc.request_id;
    rc.request_time = format_request_time(now);
    rc.request_time_epoch = now;
    rc.connected_at = now - (a.type == "connect" ? 0 : 1000);
    rc.stage = a.stage;
    rc.domain_name = a.domain;
    rc.connection_id = a.connection_id.empty() ? ids.next() : a.connection_id;
    rc.api_id = a.domain.substr(0, a.domain.find('.'));
    rc.identity.source_ip = a.source_ip;
    if (!a.user_agent.empty()) {
        rc.identity.user_agent = a.user_agent;
    }
    if (a.type == "connect") {
        rc.route_key = "$connect";
        rc.type = event_type::connect;
        string_map h{{"Host", a.domain},
                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                     {"Sec-WebSocket-Version", "13"},
                     {"X-Forwarded-For", a.source_ip},
                     {"X-Forwarded-Port", "443"},
                     {"X-Forwarded-Proto", "https"}};
        if (!a.user_agent.empty()) {
            h["User-Agent"] = a.user_agent;
        }
        ev.multi_value_headers = to_multi_value(h);
        ev.headers = std::move(h);
        if (!a.query.empty()) {
            string_map q;
            multi_string_map mq;
            for (const auto& kv : a.query) {
                const auto eq = kv.find('=');
                const std::string k = kv.substr(0, eq);
                const std::string v = eq == std::string::npos ? "" : kv.substr(eq + 1);
                q[k] = v;
                mq[k].push_back(v);
            }
            ev.query_string_parameters = std::move(q);
            ev.multi_value_query_string_parameters = std::move(mq);
        }
    } else if (a.type == "disconnect") {
        rc.route_key = "$disconnect";
        rc.type = event_type::disconnect;
        rc.disconnect_status_code = a.status;
        rc.disconnect_reason = a.reason;
        ev.headers = protocol::disconnect_headers(a.domain);
        ev.multi_value_headers = to_multi_value(*ev.headers);
    } else {
        rc.route_key = a.route_key.empty() ? "$default" : a.route_key;
        rc.type = event_type::message;
        rc.message_id = ids.next();
        ev.body = a.body;
    }
    const std::string out = serialize(ev) + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
}

}  // namespace

command add_event_command(CLI::App& parent) {
    auto args = std::make_shared<event_args>();
    auto* sub = parent.add_subcommand(
        "event", "Print an API Gateway WebSocket proxy event (CONNECT, MESSAGE or DISCONNECT)");
    sub->add_option("type", args->type, "connect, message or disconnect")
        ->required()
        ->check(CLI::IsMember({"connect", "message", "disconnect"}));
    sub->add_option("--route-key", args->route_key, "MESSAGE route key (default $default)");
    sub->add_option("--body", args->body, "MESSAGE body (the text frame)");
    sub->add_option("--connection-id", args->connection_id, "connection id (default: random)");
    sub->add_option("--stage", args->stage, "stage")->capture_default_str();
    sub->add_option("--domain", args->domain, "domain name")->capture_default_str();
    sub->add_option("--source-ip", args->source_ip, "client address")->capture_default_str();
    sub->add_option("--user-agent", args->user_agent, "client User-Agent");
    sub->add_option("--query", args->query, "CONNECT query parameter NAME=VALUE (repeatable)");
    sub->add_option("--status", args->status, "DISCONNECT status code")->capture_default_str();
    sub->add_option("--reason", args->reason, "DISCONNECT reason")->capture_default_str();
    return [args] {
        return print_event(*args);
    };
}

}  // namespace lift::tool
