#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <lift/core/json.hpp>

namespace lift {

namespace {

namespace json = boost::json;

// Parsing and serialising run once per message, so both use a stack buffer with a monotonic
// resource for the intermediate boost::json tree; only the results are heap-allocated.
constexpr std::size_t scratch_bytes = 4096;

// Member names in one place: the only spot AWS wire names appear (style G4).
namespace key {
constexpr std::string_view headers = "headers";
constexpr std::string_view multi_value_headers = "multiValueHeaders";
constexpr std::string_view query = "queryStringParameters";
constexpr std::string_view multi_value_query = "multiValueQueryStringParameters";
constexpr std::string_view stage_variables = "stageVariables";
constexpr std::string_view request_context = "requestContext";
constexpr std::string_view body = "body";
constexpr std::string_view is_base64_encoded = "isBase64Encoded";
constexpr std::string_view status_code = "statusCode";

constexpr std::string_view route_key = "routeKey";
constexpr std::string_view message_id = "messageId";
constexpr std::string_view disconnect_status_code = "disconnectStatusCode";
constexpr std::string_view event_type = "eventType";
constexpr std::string_view extended_request_id = "extendedRequestId";
constexpr std::string_view request_time = "requestTime";
constexpr std::string_view message_direction = "messageDirection";
constexpr std::string_view disconnect_reason = "disconnectReason";
constexpr std::string_view stage = "stage";
constexpr std::string_view connected_at = "connectedAt";
constexpr std::string_view request_time_epoch = "requestTimeEpoch";
constexpr std::string_view identity = "identity";
constexpr std::string_view request_id = "requestId";
constexpr std::string_view domain_name = "domainName";
constexpr std::string_view connection_id = "connectionId";
constexpr std::string_view api_id = "apiId";
constexpr std::string_view authorizer = "authorizer";

constexpr std::string_view source_ip = "sourceIp";
constexpr std::string_view user_agent = "userAgent";
constexpr std::string_view api_key = "apiKey";
constexpr std::string_view api_key_id = "apiKeyId";
}  // namespace key

std::string path_of(std::string_view parent, std::string_view name) {
    std::string p;
    p.reserve(parent.size() + name.size() + 1);
    if (!parent.empty()) {
        p.append(parent);
        p.push_back('.');
    }
    p.append(name);
    return p;
}

error type_error(const std::string& path, std::string_view expected) {
    std::string msg = "member '";
    msg += path;
    msg += "' must be ";
    msg += expected;
    return fail(errc::parse_error, std::move(msg));
}

// Each reader tolerates null like absence (AWS sent nulls in 2021 captures) and reports a
// member of the wrong type as errc::parse_error naming the member.
class reader {
public:
    explicit reader(std::string_view parent) : parent_(parent) {}

    bool string(const json::value& v, std::string_view name, std::string& out) {
        if (v.is_null()) {
            return true;
        }
        if (const auto* s = v.if_string()) {
            out.assign(s->data(), s->size());
            return true;
        }
        return set(type_error(path_of(parent_, name), "a string"));
    }

    bool optional_string(const json::value& v,
                         std::string_view name,
                         std::optional<std::string>& out) {
        if (v.is_null()) {
            out.reset();
            return true;
        }
        if (const auto* s = v.if_string()) {
            out.emplace(s->data(), s->size());
            return true;
        }
        return set(type_error(path_of(parent_, name), "a string"));
    }

    bool int64(const json::value& v, std::string_view name, std::int64_t& out) {
        if (v.is_null()) {
            return true;
        }
        if (const auto* i = v.if_int64()) {
            out = *i;
            return true;
        }
        if (const auto* u = v.if_uint64();
            u && *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            out = static_cast<std::int64_t>(*u);
            return true;
        }
        return set(type_error(path_of(parent_, name), "an integer"));
    }

    bool optional_int(const json::value& v, std::string_view name, std::optional<int>& out) {
        if (v.is_null()) {
            out.reset();
            return true;
        }
        std::int64_t n = 0;
        if (!int64(v, name, n)) {
            return false;
        }
        if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
            return set(type_error(path_of(parent_, name), "a 32-bit integer"));
        }
        out = static_cast<int>(n);
        return true;
    }

    bool boolean(const json::value& v, std::string_view name, bool& out) {
        if (v.is_null()) {
            out = false;
            return true;
        }
        if (const auto* b = v.if_bool()) {
            out = *b;
            return true;
        }
        return set(type_error(path_of(parent_, name), "a boolean"));
    }

    bool optional_object(const json::value& v,
                         std::string_view name,
                         std::optional<json::object>& out) {
        if (v.is_null()) {
            out.reset();
            return true;
        }
        if (const auto* o = v.if_object()) {
            // Copy into default storage: `v` may live in the parser's scratch buffer.
            out.emplace(*o, json::storage_ptr{});
            return true;
        }
        return set(type_error(path_of(parent_, name), "an object"));
    }

    bool map(const json::value& v, std::string_view name, string_map& out) {
        const auto* o = v.if_object();
        if (o == nullptr) {
            return set(type_error(path_of(parent_, name), "an object of strings"));
        }
        for (const auto& kv : *o) {
            const auto* s = kv.value().if_string();
            if (s == nullptr) {
                return set(type_error(path_of(parent_, path_of(name, kv.key())), "a string"));
            }
            out.insert_or_assign(std::string{kv.key()}, std::string{s->data(), s->size()});
        }
        return true;
    }

    bool optional_map(const json::value& v, std::string_view name, std::optional<string_map>& out) {
        if (v.is_null()) {
            out.reset();
            return true;
        }
        out.emplace();
        return map(v, name, *out);
    }

    bool multi_map(const json::value& v, std::string_view name, multi_string_map& out) {
        const auto* o = v.if_object();
        if (o == nullptr) {
            return set(type_error(path_of(parent_, name), "an object of string arrays"));
        }
        for (const auto& kv : *o) {
            const auto* a = kv.value().if_array();
            if (a == nullptr) {
                return set(
                    type_error(path_of(parent_, path_of(name, kv.key())), "an array of strings"));
            }
            std::vector<std::string> values;
            values.reserve(a->size());
            for (const auto& item : *a) {
                const auto* s = item.if_string();
                if (s == nullptr) {
                    return set(type_error(path_of(parent_, path_of(name, kv.key())),
                                          "an array of strings"));
                }
                values.emplace_back(s->data(), s->size());
            }
            out.insert_or_assign(std::string{kv.key()}, std::move(values));
        }
        return true;
    }

    bool optional_multi_map(const json::value& v,
                            std::string_view name,
                            std::optional<multi_string_map>& out) {
        if (v.is_null()) {
            out.reset();
            return true;
        }
        out.emplace();
        return multi_map(v, name, *out);
    }

    bool set(error e) {
        error_ = std::move(e);
        return false;
    }

    error take_error() { return std::move(error_); }

    std::string_view parent() const noexcept { return parent_; }

private:
    std::string_view parent_;
    error error_;
};

bool read_identity(const json::value& v, request_identity& out, reader& outer) {
    const auto* o = v.if_object();
    if (o == nullptr) {
        if (v.is_null()) {
            return true;
        }
        return outer.set(type_error(path_of(outer.parent(), key::identity), "an object"));
    }
    reader r{"requestContext.identity"};
    for (const auto& kv : *o) {
        const std::string_view k = kv.key();
        const auto& val = kv.value();
        bool ok = true;
        if (k == key::source_ip) {
            ok = r.string(val, k, out.source_ip);
        } else if (k == key::user_agent) {
            ok = r.optional_string(val, k, out.user_agent);
        } else if (k == key::api_key) {
            ok = r.optional_string(val, k, out.api_key);
        } else if (k == key::api_key_id) {
            ok = r.optional_string(val, k, out.api_key_id);
        } else {
            out.extra.emplace(k, val);
        }
        if (!ok) {
            return outer.set(r.take_error());
        }
    }
    return true;
}

bool read_event_type(const json::value& v, event_type& out, bool& seen, reader& r) {
    if (v.is_null()) {
        return true;
    }
    const auto* s = v.if_string();
    if (s == nullptr) {
        return r.set(type_error(path_of(r.parent(), key::event_type), "a string"));
    }
    const std::string_view t{s->data(), s->size()};
    if (t == "MESSAGE") {
        out = event_type::message;
    } else if (t == "CONNECT") {
        out = event_type::connect;
    } else if (t == "DISCONNECT") {
        out = event_type::disconnect;
    } else {
        std::string msg = "member 'requestContext.eventType' has unknown value '";
        msg.append(t);
        msg += "'";
        return r.set(fail(errc::parse_error, std::move(msg)));
    }
    seen = true;
    return true;
}

bool read_request_context(const json::value& v, ws_request_context& out, reader& outer) {
    const auto* o = v.if_object();
    if (o == nullptr) {
        return outer.set(type_error(std::string{key::request_context}, "an object"));
    }
    reader r{key::request_context};
    bool type_seen = false;
    for (const auto& kv : *o) {
        const std::string_view k = kv.key();
        const auto& val = kv.value();
        bool ok = true;
        if (k == key::route_key) {
            ok = r.string(val, k, out.route_key);
        } else if (k == key::event_type) {
            ok = read_event_type(val, out.type, type_seen, r);
        } else if (k == key::connection_id) {
            ok = r.string(val, k, out.connection_id);
        } else if (k == key::message_id) {
            ok = r.optional_string(val, k, out.message_id);
        } else if (k == key::extended_request_id) {
            ok = r.string(val, k, out.extended_request_id);
        } else if (k == key::request_id) {
            ok = r.string(val, k, out.request_id);
        } else if (k == key::request_time) {
            ok = r.string(val, k, out.request_time);
        } else if (k == key::request_time_epoch) {
            ok = r.int64(val, k, out.request_time_epoch);
        } else if (k == key::connected_at) {
            ok = r.int64(val, k, out.connected_at);
        } else if (k == key::message_direction) {
            ok = r.string(val, k, out.message_direction);
        } else if (k == key::stage) {
            ok = r.string(val, k, out.stage);
        } else if (k == key::domain_name) {
            ok = r.string(val, k, out.domain_name);
        } else if (k == key::api_id) {
            ok = r.string(val, k, out.api_id);
        } else if (k == key::identity) {
            ok = read_identity(val, out.identity, r);
        } else if (k == key::disconnect_status_code) {
            ok = r.optional_int(val, k, out.disconnect_status_code);
        } else if (k == key::disconnect_reason) {
            ok = r.optional_string(val, k, out.disconnect_reason);
        } else if (k == key::authorizer) {
            ok = r.optional_object(val, k, out.authorizer);
        } else {
            out.extra.emplace(k, val);
        }
        if (!ok) {
            return outer.set(r.take_error());
        }
    }
    if (!type_seen) {
        return outer.set(fail(errc::parse_error, "missing member 'requestContext.eventType'"));
    }
    return true;
}

json::object map_to_json(const string_map& m, const json::storage_ptr& sp) {
    json::object o(sp);
    o.reserve(m.size());
    for (const auto& [k, v] : m) {
        o.emplace(k, v);
    }
    return o;
}

json::object multi_map_to_json(const multi_string_map& m, const json::storage_ptr& sp) {
    json::object o(sp);
    o.reserve(m.size());
    for (const auto& [k, values] : m) {
        json::array a(sp);
        a.reserve(values.size());
        for (const auto& v : values) {
            a.emplace_back(v);
        }
        o.emplace(k, std::move(a));
    }
    return o;
}

void append_extra(json::object& o, const json::object& extra) {
    for (const auto& kv : extra) {
        o.emplace(kv.key(), kv.value());  // never overrides a modelled member
    }
}

json::object identity_to_json(const request_identity& id, const json::storage_ptr& sp) {
    json::object o(sp);
    o.reserve(4 + id.extra.size());
    o.emplace(key::source_ip, id.source_ip);
    if (id.user_agent) {
        o.emplace(key::user_agent, *id.user_agent);
    }
    if (id.api_key) {
        o.emplace(key::api_key, *id.api_key);
    }
    if (id.api_key_id) {
        o.emplace(key::api_key_id, *id.api_key_id);
    }
    append_extra(o, id.extra);
    return o;
}

// Member order as in real captures (aws-reference §1.2).
json::object request_context_to_json(const ws_request_context& rc, const json::storage_ptr& sp) {
    json::object o(sp);
    o.reserve(19 + rc.extra.size());
    o.emplace(key::route_key, rc.route_key);
    if (rc.message_id) {
        o.emplace(key::message_id, *rc.message_id);
    }
    if (rc.disconnect_status_code) {
        o.emplace(key::disconnect_status_code, *rc.disconnect_status_code);
    }
    o.emplace(key::event_type, to_string(rc.type));
    o.emplace(key::extended_request_id, rc.extended_request_id);
    o.emplace(key::request_time, rc.request_time);
    o.emplace(key::message_direction, rc.message_direction);
    if (rc.disconnect_reason) {
        o.emplace(key::disconnect_reason, *rc.disconnect_reason);
    }
    o.emplace(key::stage, rc.stage);
    o.emplace(key::connected_at, rc.connected_at);
    o.emplace(key::request_time_epoch, rc.request_time_epoch);
    o.emplace(key::identity, identity_to_json(rc.identity, sp));
    o.emplace(key::request_id, rc.request_id);
    o.emplace(key::domain_name, rc.domain_name);
    o.emplace(key::connection_id, rc.connection_id);
    o.emplace(key::api_id, rc.api_id);
    if (rc.authorizer) {
        o.emplace(key::authorizer, *rc.authorizer);
    }
    append_extra(o, rc.extra);
    return o;
}

json::value event_to_json(const websocket_event& ev, const json::storage_ptr& sp) {
    json::object o(sp);
    o.reserve(8 + ev.extra.size());
    if (ev.headers) {
        o.emplace(key::headers, map_to_json(*ev.headers, sp));
    }
    if (ev.multi_value_headers) {
        o.emplace(key::multi_value_headers, multi_map_to_json(*ev.multi_value_headers, sp));
    }
    if (ev.query_string_parameters) {
        o.emplace(key::query, map_to_json(*ev.query_string_parameters, sp));
    }
    if (ev.multi_value_query_string_parameters) {
        o.emplace(key::multi_value_query,
                  multi_map_to_json(*ev.multi_value_query_string_parameters, sp));
    }
    if (ev.stage_variables) {
        o.emplace(key::stage_variables, *ev.stage_variables);
    }
    o.emplace(key::request_context, request_context_to_json(ev.request_context, sp));
    if (ev.body) {
        o.emplace(key::body, *ev.body);
    }
    o.emplace(key::is_base64_encoded, ev.is_base64_encoded);
    append_extra(o, ev.extra);
    return o;
}

json::value reply_to_json(const reply& r, const json::storage_ptr& sp) {
    json::object o(sp);
    o.reserve(5);
    o.emplace(key::status_code, r.status_code);
    if (!r.headers.empty()) {
        o.emplace(key::headers, map_to_json(r.headers, sp));
    }
    if (!r.multi_value_headers.empty()) {
        o.emplace(key::multi_value_headers, multi_map_to_json(r.multi_value_headers, sp));
    }
    if (r.body) {
        o.emplace(key::body, *r.body);
    }
    o.emplace(key::is_base64_encoded, r.is_base64_encoded);
    return o;
}

// statusCode: a number or a numeric string (Lambda accepts both); null or absent means 200.
bool read_status_code(const json::value& v, int& out, reader& r) {
    if (v.is_null()) {
        return true;
    }
    std::int64_t n = 0;
    if (const auto* s = v.if_string()) {
        if (s->empty() || s->size() > 9) {
            return r.set(
                type_error(std::string{key::status_code}, "an integer or a numeric string"));
        }
        for (const char c : *s) {
            if (c < '0' || c > '9') {
                return r.set(
                    type_error(std::string{key::status_code}, "an integer or a numeric string"));
            }
            n = n * 10 + (c - '0');
        }
    } else if (const auto* d = v.if_double()) {
        n = static_cast<std::int64_t>(*d);
        if (static_cast<double>(n) != *d) {
            return r.set(type_error(std::string{key::status_code}, "an integer"));
        }
    } else if (!r.int64(v, key::status_code, n)) {
        return false;
    }
    if (n < 0 || n > std::numeric_limits<int>::max()) {
        return r.set(type_error(std::string{key::status_code}, "a valid HTTP status"));
    }
    out = static_cast<int>(n);
    return true;
}

error invalid_json(const boost::system::error_code& ec) {
    return fail(errc::parse_error, "invalid JSON: " + ec.message());
}

}  // namespace

result<websocket_event> event_from_json(const boost::json::value& v) {
    const auto* o = v.if_object();
    if (o == nullptr) {
        return fail(errc::parse_error, "event must be a JSON object");
    }
    websocket_event ev;
    reader r{""};
    bool context_seen = false;
    for (const auto& kv : *o) {
        const std::string_view k = kv.key();
        const auto& val = kv.value();
        bool ok = true;
        if (k == key::request_context) {
            ok = read_request_context(val, ev.request_context, r);
            context_seen = true;
        } else if (k == key::body) {
            ok = r.optional_string(val, k, ev.body);
        } else if (k == key::is_base64_encoded) {
            ok = r.boolean(val, k, ev.is_base64_encoded);
        } else if (k == key::headers) {
            ok = r.optional_map(val, k, ev.headers);
        } else if (k == key::multi_value_headers) {
            ok = r.optional_multi_map(val, k, ev.multi_value_headers);
        } else if (k == key::query) {
            ok = r.optional_map(val, k, ev.query_string_parameters);
        } else if (k == key::multi_value_query) {
            ok = r.optional_multi_map(val, k, ev.multi_value_query_string_parameters);
        } else if (k == key::stage_variables) {
            ok = r.optional_object(val, k, ev.stage_variables);
        } else {
            ev.extra.emplace(k, val);
        }
        if (!ok) {
            return r.take_error();
        }
    }
    if (!context_seen) {
        return fail(errc::parse_error, "missing member 'requestContext'");
    }
    return ev;
}

result<websocket_event> parse_event(std::string_view text) {
    std::array<unsigned char, scratch_bytes> scratch;  // NOLINT(*-member-init): scratch memory
    json::monotonic_resource mr(scratch.data(), scratch.size());
    boost::system::error_code ec;
    json::value v = json::parse(text, ec, &mr);
    if (ec) {
        return invalid_json(ec);
    }
    return event_from_json(v);
}

boost::json::value to_json(const websocket_event& ev) {
    return event_to_json(ev, {});
}

std::string serialize(const websocket_event& ev) {
    std::array<unsigned char, scratch_bytes> scratch;  // NOLINT(*-member-init): scratch memory
    json::monotonic_resource mr(scratch.data(), scratch.size());
    return json::serialize(event_to_json(ev, &mr));
}

result<reply> reply_from_json(const boost::json::value& v) {
    const auto* o = v.if_object();
    if (o == nullptr) {
        return fail(errc::parse_error, "reply must be a JSON object");
    }
    reply out;
    reader r{""};
    for (const auto& kv : *o) {
        const std::string_view k = kv.key();
        const auto& val = kv.value();
        bool ok = true;
        if (k == key::status_code) {
            ok = read_status_code(val, out.status_code, r);
        } else if (k == key::body) {
            ok = r.optional_string(val, k, out.body);
        } else if (k == key::headers) {
            ok = val.is_null() || r.map(val, k, out.headers);
        } else if (k == key::multi_value_headers) {
            ok = val.is_null() || r.multi_map(val, k, out.multi_value_headers);
        } else if (k == key::is_base64_encoded) {
            ok = r.boolean(val, k, out.is_base64_encoded);
        }
        // Other members (e.g. "cookies") have no meaning for WebSocket routes: ignored.
        if (!ok) {
            return r.take_error();
        }
    }
    return out;
}

result<reply> parse_reply(std::string_view text) {
    std::array<unsigned char, 1024> scratch;  // NOLINT(*-member-init): scratch memory
    json::monotonic_resource mr(scratch.data(), scratch.size());
    boost::system::error_code ec;
    json::value v = json::parse(text, ec, &mr);
    if (ec) {
        return invalid_json(ec);
    }
    return reply_from_json(v);
}

boost::json::value to_json(const reply& r) {
    return reply_to_json(r, {});
}

std::string serialize(const reply& r) {
    std::array<unsigned char, 1024> scratch;  // NOLINT(*-member-init): scratch memory
    json::monotonic_resource mr(scratch.data(), scratch.size());
    return json::serialize(reply_to_json(r, &mr));
}

}  // namespace lift
