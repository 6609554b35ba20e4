// example-chat: rooms over WebSockets, with a browser page served at http://127.0.0.1:3001/.
//
//   connect  ws://HOST:PORT/dev?name=NAME[&room=ROOM]   (400 without a name; room "lobby")
//            With LIFT_JWT_SECRET (HS256) or LIFT_JWT_PUBLIC_KEY_FILE (PEM) set:
//            ws://HOST:PORT/dev?token=JWT[&room=ROOM]; the token's `sub` is the display name
//            (401 without a valid token; see docs/security.md).
//   join     {"action":"join","room":R}          → room gets {"type":"joined",...}
//   leave    {"action":"leave","room":R}         → room gets {"type":"left",...}
//   send     {"action":"send","room":R,"text":T} → room gets {"type":"message",...}
//   who      {"action":"who","room":R}           → sender gets {"type":"who","members":[...]}
// There is no $default route: unknown actions get API Gateway's Forbidden frame.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <fmt/core.h>

#include <lift/auth/jwt_auth.hpp>
#include <lift/lift.hpp>

std::string_view chat_page_html();

namespace {

namespace json = boost::json;

constexpr std::size_t max_name = 32;
constexpr std::size_t max_subject = 64;  // a JWT `sub` used as the name (UUIDs fit)
constexpr std::size_t max_room = 64;
constexpr std::size_t max_text = 4000;

std::vector<std::string> split_rooms(const std::string& joined) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < joined.size()) {
        const auto comma = joined.find(',', start);
        const auto end = comma == std::string::npos ? joined.size() : comma;
        if (end > start) {
            out.push_back(joined.substr(start, end - start));
        }
        start = end + 1;
    }
    return out;
}

std::string join_rooms(const std::vector<std::string>& rooms) {
    std::string out;
    for (const auto& r : rooms) {
        if (!out.empty()) {
            out += ',';
        }
        out += r;
    }
    return out;
}

bool valid_label(std::string_view s, std::size_t max) {
    if (s.empty() || s.size() > max) {
        return false;
    }
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return c != ',' && static_cast<unsigned char>(c) >= 0x20; });
}

bool in_room(const lift::connection_record& rec, std::string_view room) {
    const auto rooms = split_rooms(rec.metadata.count("rooms") ? rec.metadata.at("rooms") : "");
    return std::find(rooms.begin(), rooms.end(), room) != rooms.end();
}

// Sends `text` to every member of `room`.
lift::result<void> to_room(lift::context& ctx, std::string_view room, const std::string& text) {
    auto all = ctx.store()->list_all();
    if (!all) {
        return all.error();
    }
    std::vector<std::string> ids;
    for (const auto& rec : *all) {
        if (in_room(rec, room)) {
            ids.push_back(rec.connection_id);
        }
    }
    (void)ctx.api()->post_many(ids, text);  // members that left meanwhile are simply gone
    return {};
}

std::string event_json(std::string_view type,
                       std::string_view room,
                       std::string_view name,
                       std::string_view connection_id) {
    json::object o;
    o["type"] = type;
    o["room"] = room;
    o["name"] = name;
    o["connectionId"] = connection_id;
    return json::serialize(o);
}

lift::result<void> send_error(lift::context& ctx, std::string_view message) {
    json::object o;
    o["type"] = "error";
    o["message"] = message;
    return ctx.send(json::serialize(o));
}

// The caller's stored record (its name and rooms).
lift::result<lift::connection_record> me(lift::context& ctx) {
    auto rec = ctx.record();
    if (!rec) {
        return rec.error();
    }
    if (!*rec) {
        return lift::fail(lift::errc::not_found, "connection record not found");
    }
    return **rec;
}

std::string room_arg(lift::context& ctx) {
    const auto* room = ctx.body_string("room");
    return room == nullptr ? std::string{} : std::string{room->data(), room->size()};
}

}  // namespace

int main(int argc, char** argv) {
    lift::app app;

    auto jwt = lift::auth::jwt_auth_from_env();  // nullopt unless LIFT_JWT_* is set
    if (!jwt) {
        fmt::print(stderr, "example-chat: {}\n", jwt.error().message);
        return 2;
    }
    const bool from_token = jwt->has_value();
    if (from_token) {
        app.use(std::move(**jwt));
    }

    app.on_connect([from_token](lift::context& ctx) -> lift::result<lift::reply> {
        // With JWT authentication the token's `sub` is the display name (a token without one
        // gets 400); else `?name=`.
        const std::string* name = from_token ? &ctx.identity().subject : ctx.event().query("name");
        if (name == nullptr || !valid_label(*name, from_token ? max_subject : max_name)) {
            return lift::reply::status(400);
        }
        const std::string* room_q = ctx.event().query("room");
        const std::string room = room_q == nullptr || room_q->empty() ? "lobby" : *room_q;
        if (!valid_label(room, max_room)) {
            return lift::reply::status(400);
        }
        const std::string display = *name;  // `name` may point into the identity
        ctx.identity().subject = display;
        ctx.metadata()["name"] = display;
        ctx.metadata()["rooms"] = room;
        // The newcomer is not stored yet (and API Gateway refuses posts to a connecting id), so
        // only the others in the room hear about it; the page asks "who" once open.
        if (auto r = to_room(ctx, room, event_json("joined", room, display, ctx.connection_id()));
            !r) {
            return r.error();
        }
        return lift::reply::ok();
    });

    app.on_disconnect([](lift::context& ctx) -> lift::result<void> {
        auto rec = me(ctx);
        if (!rec) {
            return {};  // nothing stored: nothing to announce
        }
        const std::string& name = rec->metadata["name"];
        // Remove first so the leaver is not among the recipients (the app removes it anyway).
        (void)ctx.store()->remove(ctx.connection_id());
        for (const auto& room : split_rooms(rec->metadata["rooms"])) {
            (void)to_room(ctx, room, event_json("left", room, name, ctx.connection_id()));
        }
        return {};
    });

    app.on("join", [](lift::context& ctx) -> lift::result<void> {
        const std::string room = room_arg(ctx);
        if (!valid_label(room, max_room)) {
            return send_error(ctx, "join needs a room name of 1-64 characters without commas");
        }
        auto rec = me(ctx);
        if (!rec) {
            return rec.error();
        }
        auto rooms = split_rooms(rec->metadata["rooms"]);
        if (std::find(rooms.begin(), rooms.end(), room) == rooms.end()) {
            rooms.push_back(room);
            rec->metadata["rooms"] = join_rooms(rooms);
            if (auto saved = ctx.store()->update(*rec); !saved) {
                return saved;
            }
        }
        return to_room(ctx, room,
                       event_json("joined", room, rec->metadata["name"], ctx.connection_id()));
    });

    app.on("leave", [](lift::context& ctx) -> lift::result<void> {
        const std::string room = room_arg(ctx);
        auto rec = me(ctx);
        if (!rec) {
            return rec.error();
        }
        auto rooms = split_rooms(rec->metadata["rooms"]);
        const auto it = std::find(rooms.begin(), rooms.end(), room);
        if (it == rooms.end()) {
            return send_error(ctx, "not in room " + room);
        }
        const std::string text =
            event_json("left", room, rec->metadata["name"], ctx.connection_id());
        if (auto r = to_room(ctx, room, text); !r) {  // includes the leaver
            return r;
        }
        rooms.erase(it);
        rec->metadata["rooms"] = join_rooms(rooms);
        return ctx.store()->update(*rec);
    });

    app.on("send", [](lift::context& ctx) -> lift::result<void> {
        auto rec = me(ctx);
        if (!rec) {
            return rec.error();
        }
        std::string room = room_arg(ctx);
        if (room.empty()) {
            const auto rooms = split_rooms(rec->metadata["rooms"]);
            room = rooms.empty() ? "lobby" : rooms.front();
        }
        const auto* text = ctx.body_string("text");
        if (text == nullptr || text->empty() || text->size() > max_text) {
            return send_error(ctx, "send needs a text of 1-4000 characters");
        }
        if (!in_room(*rec, room)) {
            return send_error(ctx, "not in room " + room);
        }
        json::object o;
        o["type"] = "message";
        o["room"] = room;
        o["name"] = rec->metadata["name"];
        o["text"] = *text;
        o["connectionId"] = ctx.connection_id();
        o["ts"] = ctx.clock().now_ms();
        return to_room(ctx, room, json::serialize(o));
    });

    app.on("who", [](lift::context& ctx) -> lift::result<void> {
        std::string room = room_arg(ctx);
        if (room.empty()) {
            auto rec = me(ctx);
            if (!rec) {
                return rec.error();
            }
            const auto rooms = split_rooms(rec->metadata["rooms"]);
            room = rooms.empty() ? "lobby" : rooms.front();
        }
        auto all = ctx.store()->list_all();
        if (!all) {
            return all.error();
        }
        json::array members;
        for (const auto& rec : *all) {
            if (in_room(rec, room)) {
                auto it = rec.metadata.find("name");
                members.emplace_back(it == rec.metadata.end() ? "" : it->second);
            }
        }
        json::object o;
        o["type"] = "who";
        o["room"] = room;
        o["members"] = std::move(members);
        return ctx.send(json::serialize(o));
    });

    lift::run_options ro;
    ro.description = "example-chat: chat rooms; open the page URL in two browser tabs";
    ro.static_files["/"] = {"text/html; charset=utf-8", std::string{chat_page_html()}};
    return lift::run(app, argc, argv, std::move(ro));
}
