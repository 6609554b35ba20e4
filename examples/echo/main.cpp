// example-echo: the smallest useful Lift app, and the one the test suite drives.
//
//   $connect    401 when the query has deny=1; picks subprotocol lift.v1 when offered
//   $default    sends the body back to the sender
//   inspect     sends back the whole proxy event it received, as JSON
//   broadcast   sends the string field "data" to every open connection
//   send_to     sends "data" to "connectionId"; replies {"sendTo":id,"result":"ok"|"gone"|error}
//   watch       this connection is told about every disconnect
//   fail        throws (the client gets API Gateway's "Internal server error" frame)
//   sleep       waits "ms" milliseconds, then replies {"slept":ms}
//   ping        two-way route: returns {"pong":true}, which the gateway sends back
//   whoami      sends back the caller's identity as JSON
//   count       replies {"connections":N}: the records in the connection store (soak checks)
// With LIFT_JWT_SECRET (HS256) or LIFT_JWT_PUBLIC_KEY_FILE (PEM) set, $connect requires a JWT in
// the `token` query parameter and its `sub` becomes the identity (docs/security.md).
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/json.hpp>
#include <fmt/core.h>

#include <lift/auth/jwt_auth.hpp>
#include <lift/lift.hpp>

namespace {

namespace json = boost::json;

bool offers_protocol(const lift::websocket_event& ev, std::string_view wanted) {
    const std::string* offered = ev.header("Sec-WebSocket-Protocol");
    if (offered == nullptr) {
        return false;
    }
    std::string_view rest{*offered};
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (item == wanted) {
            return true;
        }
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    lift::app app;

    auto jwt = lift::auth::jwt_auth_from_env();  // nullopt unless LIFT_JWT_* is set
    if (!jwt) {
        fmt::print(stderr, "example-echo: {}\n", jwt.error().message);
        return 2;
    }
    if (*jwt) {
        app.use(std::move(**jwt));
    }

    app.on_connect([](lift::context& ctx) -> lift::reply {
        if (const auto* deny = ctx.event().query("deny"); deny != nullptr && *deny == "1") {
            return lift::reply::status(401);
        }
        lift::reply r = lift::reply::ok();
        if (offers_protocol(ctx.event(), "lift.v1")) {
            r.with_header("Sec-WebSocket-Protocol", "lift.v1");
        }
        return r;
    });

    app.on_disconnect([](lift::context& ctx) {
        auto* store = ctx.store();
        if (store == nullptr) {
            return;
        }
        auto all = store->list_all();
        if (!all) {
            ctx.log().error(all.error().message);
            return;
        }
        json::object note;
        note["event"] = "disconnected";
        note["connectionId"] = ctx.connection_id();
        note["disconnectStatusCode"] =
            ctx.event().request_context.disconnect_status_code.value_or(0);
        note["disconnectReason"] = ctx.event().request_context.disconnect_reason.value_or("");
        const std::string text = json::serialize(note);
        for (const auto& rec : *all) {
            if (rec.connection_id != ctx.connection_id() && rec.metadata.count("watch") != 0) {
                (void)ctx.send_to(rec.connection_id, text);  // gone watchers are fine
            }
        }
    });

    app.on_default([](lift::context& ctx) { return ctx.send(ctx.event().body.value_or("")); });

    app.on("inspect", [](lift::context& ctx) { return ctx.send(lift::serialize(ctx.event())); });

    app.on("broadcast", [](lift::context& ctx) -> lift::result<void> {
        const auto* data = ctx.body_string("data");
        if (data == nullptr) {
            return ctx.send(R"({"error":"broadcast needs a string field \"data\""})");
        }
        auto all = ctx.store()->list_all();
        if (!all) {
            return all.error();
        }
        std::vector<std::string> ids;
        ids.reserve(all->size());
        for (const auto& rec : *all) {
            ids.push_back(rec.connection_id);
        }
        (void)ctx.api()->post_many(ids, std::string_view{data->data(), data->size()});
        return {};
    });

    app.on("send_to", [](lift::context& ctx) -> lift::result<void> {
        const auto* id = ctx.body_string("connectionId");
        const auto* data = ctx.body_string("data");
        if (id == nullptr || data == nullptr) {
            return ctx.send(
                R"({"error":"send_to needs string fields \"connectionId\" and \"data\""})");
        }
        auto sent = ctx.send_to(*id, std::string_view{data->data(), data->size()});
        json::object reply;
        reply["sendTo"] = *id;
        if (sent) {
            reply["result"] = "ok";
        } else if (sent.error().code == lift::condition::gone) {
            reply["result"] = "gone";
        } else {
            reply["result"] = sent.error().message;
        }
        return ctx.send(json::serialize(reply));
    });

    app.on("watch", [](lift::context& ctx) -> lift::result<void> {
        auto rec = ctx.record();
        if (!rec) {
            return rec.error();
        }
        if (!*rec) {
            return lift::fail(lift::errc::not_found, "connection record not found");
        }
        lift::connection_record updated = **rec;
        updated.metadata["watch"] = "1";
        if (auto saved = ctx.store()->update(updated); !saved) {
            return saved;
        }
        return ctx.send(R"({"watching":true})");
    });

    app.on("fail", [](lift::context&) -> lift::reply {
        throw std::runtime_error("the fail route always throws");
    });

    app.on("sleep", [](lift::context& ctx) -> lift::result<void> {
        std::int64_t ms = 0;
        if (const auto* body = ctx.json_body(); body != nullptr && body->is_object()) {
            if (const auto* v = body->as_object().if_contains("ms");
                v != nullptr && v->is_int64()) {
                ms = std::clamp<std::int64_t>(v->as_int64(), 0, 60000);
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{ms});
        return ctx.send(R"({"slept":)" + std::to_string(ms) + "}");
    });

    app.on("whoami", [](lift::context& ctx) {
        return ctx.send(json::serialize(lift::to_json(ctx.identity())));
    });

    app.on("count", [](lift::context& ctx) -> lift::result<void> {
        auto all = ctx.store()->list_all();
        if (!all) {
            return all.error();
        }
        return ctx.send(R"({"connections":)" + std::to_string(all->size()) + "}");
    });

    app.on("ping", [](lift::context&) { return lift::reply::text(R"({"pong":true})"); },
           {.two_way = true});

    lift::run_options ro;
    ro.description =
        "example-echo: echo, inspect, broadcast, send_to, watch, fail, sleep, ping, whoami, count";
    return lift::run(app, argc, argv, std::move(ro));
}
