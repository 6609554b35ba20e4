#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <lift/aws/dynamodb.hpp>
#include <lift/aws/error.hpp>
#include <lift/core/ascii.hpp>

#include "attribute_json.hpp"

namespace lift::aws {

namespace {

namespace json = boost::json;

constexpr std::string_view json_content_type = "application/x-amz-json-1.0";
constexpr std::string_view target_prefix = "DynamoDB_20120810.";
constexpr std::size_t batch_chunk = 25;
// Upper bound on pages of one query_all/scan_all, against a server that never stops paging.
constexpr std::size_t max_pages = 100'000;
constexpr std::size_t excerpt_bytes = 120;

// A short printable excerpt of a body for error messages.
std::string excerpt(std::string_view body) {
    std::string out;
    const std::size_t n = std::min(body.size(), excerpt_bytes);
    out.reserve(n + 3);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(body[i]);
        out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
    }
    if (body.size() > n) {
        out += "...";
    }
    return out;
}

std::optional<std::string_view> find_header(const std::vector<header>& headers,
                                            std::string_view name) {
    for (const auto& h : headers) {
        if (ascii::iequals(h.name, name)) {
            return std::string_view(h.value);
        }
    }
    return std::nullopt;
}

// The media type of a Content-Type value, without parameters and surrounding blanks.
std::string_view media_type(std::string_view v) {
    if (const auto semi = v.find(';'); semi != std::string_view::npos) {
        v = v.substr(0, semi);
    }
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
        v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
        v.remove_suffix(1);
    }
    return v;
}

std::string op_prefix(std::string_view op) {
    std::string s = "DynamoDB ";
    s += op;
    return s;
}

error bad(std::string_view op, std::string_view what) {
    return fail(errc::bad_response, op_prefix(op) + ": " + std::string(what));
}

std::optional<json::value> parse_json(std::string_view body) {
    json::parse_options opts;
    opts.max_depth = 256;  // nested M/L attribute values
    boost::system::error_code ec;
    json::value v = json::parse(body, ec, {}, opts);
    if (ec) {
        return std::nullopt;
    }
    return v;
}

void add_expressions(json::object& body,
                     const expression_values& expr,
                     std::string_view condition_key = {},
                     const std::string& condition = {}) {
    if (!condition_key.empty() && !condition.empty()) {
        body[condition_key] = condition;
    }
    if (!expr.names.empty()) {
        json::object names;
        for (const auto& [k, v] : expr.names) {
            names.emplace(k, v);
        }
        body["ExpressionAttributeNames"] = std::move(names);
    }
    if (!expr.values.empty()) {
        body["ExpressionAttributeValues"] = detail::to_json(expr.values);
    }
}

// Reads an optional attribute map member (`Attributes`, `Item`, `LastEvaluatedKey`).
result<std::optional<attribute_map>> optional_map(std::string_view op,
                                                  const json::object& o,
                                                  std::string_view member) {
    const auto* v = o.if_contains(member);
    if (v == nullptr || v->is_null()) {
        return std::optional<attribute_map>{};
    }
    auto m = detail::attribute_map_from_json(*v, std::string(member));
    if (!m) {
        return fail(m.error().code, op_prefix(op) + ": " + m.error().message);
    }
    return std::optional<attribute_map>(std::move(*m));
}

json::object key_schema_json(const key_schema& keys) {
    json::array schema;
    schema.push_back(json::object{{"AttributeName", keys.partition_key}, {"KeyType", "HASH"}});
    if (!keys.sort_key.empty()) {
        schema.push_back(json::object{{"AttributeName", keys.sort_key}, {"KeyType", "RANGE"}});
    }
    return json::object{{"KeySchema", std::move(schema)}};
}

result<key_schema> parse_key_schema(std::string_view op,
                                    const json::value* v,
                                    std::string_view at) {
    key_schema keys;
    if (v == nullptr) {
        return keys;
    }
    const auto* arr = v->if_array();
    if (arr == nullptr) {
        return bad(op, std::string(at) + " is not an array");
    }
    for (const auto& e : *arr) {
        const auto* o = e.if_object();
        const json::value* name = o != nullptr ? o->if_contains("AttributeName") : nullptr;
        const json::value* type = o != nullptr ? o->if_contains("KeyType") : nullptr;
        if (name == nullptr || type == nullptr || !name->is_string() || !type->is_string()) {
            return bad(op, std::string(at) + " has an element without AttributeName/KeyType");
        }
        if (type->get_string() == "HASH") {
            keys.partition_key = name->get_string();
        } else if (type->get_string() == "RANGE") {
            keys.sort_key = name->get_string();
        } else {
            return bad(op, std::string(at) + " has an unknown KeyType");
        }
    }
    return keys;
}

result<std::string> string_member(std::string_view op,
                                  const json::object& o,
                                  std::string_view member,
                                  bool required) {
    const auto* v = o.if_contains(member);
    if (v == nullptr) {
        if (required) {
            return bad(op, "response has no " + std::string(member));
        }
        return std::string();
    }
    if (!v->is_string()) {
        return bad(op, std::string(member) + " is not a string");
    }
    return std::string(v->get_string());
}

result<table_description> parse_table(std::string_view op, const json::value* v) {
    if (v == nullptr || !v->is_object()) {
        return bad(op, "response has no table description object");
    }
    const auto& o = v->get_object();
    table_description t;
    auto name = string_member(op, o, "TableName", true);
    if (!name) {
        return name.error();
    }
    t.name = std::move(*name);
    auto status = string_member(op, o, "TableStatus", false);
    if (!status) {
        return status.error();
    }
    t.status = std::move(*status);
    // AWS omits BillingModeSummary for tables that were never on-demand: those are provisioned.
    t.billing_mode = "PROVISIONED";
    if (const auto* b = o.if_contains("BillingModeSummary"); b != nullptr && !b->is_null()) {
        if (!b->is_object()) {
            return bad(op, "BillingModeSummary is not an object");
        }
        auto mode = string_member(op, b->get_object(), "BillingMode", false);
        if (!mode) {
            return mode.error();
        }
        if (!mode->empty()) {
            t.billing_mode = std::move(*mode);
        }
    }
    auto keys = parse_key_schema(op, o.if_contains("KeySchema"), "KeySchema");
    if (!keys) {
        return keys.error();
    }
    t.keys = std::move(*keys);
    if (const auto* g = o.if_contains("GlobalSecondaryIndexes"); g != nullptr && !g->is_null()) {
        const auto* arr = g->if_array();
        if (arr == nullptr) {
            return bad(op, "GlobalSecondaryIndexes is not an array");
        }
        for (const auto& e : *arr) {
            if (!e.is_object()) {
                return bad(op, "GlobalSecondaryIndexes has a non-object element");
            }
            global_index idx;
            auto iname = string_member(op, e.get_object(), "IndexName", true);
            if (!iname) {
                return iname.error();
            }
            idx.name = std::move(*iname);
            auto ikeys = parse_key_schema(op, e.get_object().if_contains("KeySchema"),
                                          "GlobalSecondaryIndexes.KeySchema");
            if (!ikeys) {
                return ikeys.error();
            }
            idx.keys = std::move(*ikeys);
            t.indexes.push_back(std::move(idx));
        }
    }
    if (const auto* c = o.if_contains("ItemCount"); c != nullptr) {
        if (c->is_int64()) {
            t.item_count = c->get_int64();
        } else if (c->is_uint64()) {
            t.item_count = static_cast<std::int64_t>(c->get_uint64());
        } else {
            return bad(op, "ItemCount is not an integer");
        }
    }
    return t;
}

json::array write_requests_json(const std::vector<write_request>& reqs) {
    json::array a;
    a.reserve(reqs.size());
    for (const auto& r : reqs) {
        if (r.put) {
            a.push_back(
                json::object{{"PutRequest", json::object{{"Item", detail::to_json(*r.put)}}}});
        } else if (r.remove) {
            a.push_back(
                json::object{{"DeleteRequest", json::object{{"Key", detail::to_json(*r.remove)}}}});
        }
    }
    return a;
}

result<std::vector<write_request>> parse_unprocessed(const json::object& o,
                                                     const std::string& table) {
    constexpr std::string_view op = "BatchWriteItem";
    std::vector<write_request> out;
    const auto* u = o.if_contains("UnprocessedItems");
    if (u == nullptr || u->is_null()) {
        return out;
    }
    if (!u->is_object()) {
        return bad(op, "UnprocessedItems is not an object");
    }
    const auto* list = u->get_object().if_contains(table);
    if (list == nullptr) {
        return out;
    }
    if (!list->is_array()) {
        return bad(op, "UnprocessedItems." + table + " is not an array");
    }
    for (const auto& e : list->get_array()) {
        const auto* eo = e.if_object();
        if (eo == nullptr || eo->size() != 1) {
            return bad(op, "UnprocessedItems holds an element that is not one request");
        }
        write_request w;
        if (const auto* p = eo->if_contains("PutRequest"); p != nullptr) {
            const json::value* item =
                p->is_object() ? p->get_object().if_contains("Item") : nullptr;
            if (item == nullptr) {
                return bad(op, "UnprocessedItems PutRequest has no Item");
            }
            auto m = detail::attribute_map_from_json(*item, "UnprocessedItems.PutRequest.Item");
            if (!m) {
                return fail(m.error().code, op_prefix(op) + ": " + m.error().message);
            }
            w.put = std::move(*m);
        } else if (const auto* d = eo->if_contains("DeleteRequest"); d != nullptr) {
            const json::value* key = d->is_object() ? d->get_object().if_contains("Key") : nullptr;
            if (key == nullptr) {
                return bad(op, "UnprocessedItems DeleteRequest has no Key");
            }
            auto m = detail::attribute_map_from_json(*key, "UnprocessedItems.DeleteRequest.Key");
            if (!m) {
                return fail(m.error().code, op_prefix(op) + ": " + m.error().message);
            }
            w.remove = std::move(*m);
        } else {
            return bad(op, "UnprocessedItems holds an unknown request kind");
        }
        out.push_back(std::move(w));
    }
    return out;
}

// A parsed 2xx response.
struct reply {
    std::string body;
    json::object object;
};

}  // namespace

struct dynamodb_client::impl {
    http_transport& transport;
    dynamodb_config config;
    endpoint to;
    // Owned defaults when none are injected.
    std::unique_ptr<retry_policy> own_policy;
    std::unique_ptr<lift::system_clock> own_clock;
    std::unique_ptr<thread_sleeper> own_sleeper;
    retry_policy* policy = nullptr;
    const lift::clock* clk = nullptr;
    sleeper* sleep = nullptr;
    std::mutex signer_mutex;  // signer is thread-compatible only
    signer sign;

    impl(http_transport& t, dynamodb_config c) : transport(t), config(std::move(c)) {
        if (config.endpoint_override) {
            to = *config.endpoint_override;
        } else {
            to.tls = true;
            to.host = "dynamodb." + config.region + ".amazonaws.com";
            to.port = 443;
        }
    }

    std::int64_t deadline_of(const call_options& opt) const {
        return opt.deadline_ms != 0 ? opt.deadline_ms : clk->now_ms() + config.call_budget.count();
    }

    // One HTTP exchange: build, sign, send, interpret.
    result<reply> attempt(std::string_view op, const std::string& body, std::int64_t deadline_ms) {
        const std::int64_t now = clk->now_ms();
        const std::int64_t remaining = deadline_ms - now;
        if (remaining <= 0) {
            return fail(errc::timeout, op_prefix(op) + ": deadline passed before the request");
        }
        http_request req;
        req.method = "POST";
        req.target = to.base_path + "/";
        req.headers = {
            {"Host", to.host_header()},
            {"Content-Type", std::string(json_content_type)},
            {"X-Amz-Target", std::string(target_prefix) + std::string(op)},
        };
        req.body = body;
        signing_request sreq{req.method, req.target, "", req.headers, req.body};
        signing_params params;
        params.region = config.region;
        params.service = "dynamodb";
        params.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(now));
        result<signed_headers> signed_req = [&]() {
            const std::lock_guard<std::mutex> lock(signer_mutex);
            return sign.sign(sreq, config.credentials, params);
        }();
        if (!signed_req) {
            return fail(signed_req.error().code,
                        op_prefix(op) + ": signing failed: " + signed_req.error().message);
        }
        for (auto& h : signed_req->headers()) {
            req.headers.push_back(std::move(h));
        }
        const auto steady_deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(remaining);
        auto resp = transport.send(to, req, steady_deadline);
        if (!resp) {
            return fail(resp.error().code, op_prefix(op) + ": " + resp.error().message);
        }
        return interpret(op, std::move(*resp));
    }

    static result<reply> interpret(std::string_view op, http_response resp) {
        const std::string status = "HTTP " + std::to_string(resp.status);
        if (resp.status >= 200 && resp.status < 300) {
            if (const auto ct = find_header(resp.headers, "Content-Type")) {
                const auto mt = media_type(*ct);
                if (!ascii::iequals(mt, json_content_type) &&
                    !ascii::iequals(mt, "application/json")) {
                    return bad(op, "unexpected Content-Type \"" + excerpt(*ct) + "\" (" + status +
                                       "): " + excerpt(resp.body));
                }
            }
            if (resp.body.empty()) {
                return bad(op, "empty response body (" + status + ")");
            }
            auto v = parse_json(resp.body);
            if (!v) {
                return bad(
                    op, "response body is not valid JSON (" + status + "): " + excerpt(resp.body));
            }
            if (!v->is_object()) {
                return bad(op, "response body is not a JSON object (" + status +
                                   "): " + excerpt(resp.body));
            }
            return reply{std::move(resp.body), std::move(v->get_object())};
        }
        // An error response: the code from `__type` (else x-amzn-ErrorType), the message from
        // `message`/`Message`; a body that is not JSON still gives a code by status.
        std::string type;
        std::string message;
        if (auto v = parse_json(resp.body); v && v->is_object()) {
            const auto& o = v->get_object();
            if (const auto* t = o.if_contains("__type"); t != nullptr && t->is_string()) {
                type = t->get_string();
            }
            for (const std::string_view key : {"message", "Message"}) {
                if (const auto* m = o.if_contains(key); m != nullptr && m->is_string()) {
                    message = m->get_string();
                    break;
                }
            }
        } else if (!resp.body.empty()) {
            message = excerpt(resp.body);
        }
        if (type.empty()) {
            if (const auto h = find_header(resp.headers, "x-amzn-ErrorType")) {
                type = std::string(*h);
            }
        }
        const std::string_view code = bare_error_code(type);
        std::string text = op_prefix(op) + ": ";
        text += code.empty() ? std::string("error") : std::string(code);
        if (!message.empty()) {
            text += ": " + message;
        }
        text += " (" + status + ")";
        return fail(error_code_for(resp.status, code), std::move(text));
    }

    result<reply> invoke(std::string_view op, const std::string& body, const call_options& opt) {
        const std::int64_t deadline = deadline_of(opt);
        return run_with_retries(*policy, deadline, *clk, *sleep,
                                [&](int) { return attempt(op, body, deadline); });
    }

    result<json::object> invoke(std::string_view op,
                                const json::object& body,
                                const call_options& opt) {
        auto r = invoke(op, json::serialize(body), opt);
        if (!r) {
            return r.error();
        }
        return std::move(r->object);
    }

    result<query_page> page(std::string_view op,
                            const query_request& req,
                            const call_options& opt) {
        const bool is_query = op == "Query";
        json::object body{{"TableName", req.table}};
        if (!req.index.empty()) {
            body["IndexName"] = req.index;
        }
        if (is_query && !req.key_condition.empty()) {
            body["KeyConditionExpression"] = req.key_condition;
        }
        add_expressions(body, req.expr, "FilterExpression", req.filter);
        if (req.limit) {
            body["Limit"] = *req.limit;
        }
        if (req.consistent_read) {
            body["ConsistentRead"] = true;
        }
        if (is_query && !req.forward) {
            body["ScanIndexForward"] = false;
        }
        if (!req.exclusive_start.empty()) {
            body["ExclusiveStartKey"] = detail::to_json(req.exclusive_start);
        }
        auto r = invoke(op, body, opt);
        if (!r) {
            return r.error();
        }
        query_page out;
        if (const auto* items = r->if_contains("Items"); items != nullptr) {
            if (!items->is_array()) {
                return bad(op, "Items is not an array");
            }
            const auto& arr = items->get_array();
            out.items.reserve(arr.size());
            for (std::size_t i = 0; i < arr.size(); ++i) {
                auto m =
                    detail::attribute_map_from_json(arr[i], "Items[" + std::to_string(i) + "]");
                if (!m) {
                    return fail(m.error().code, op_prefix(op) + ": " + m.error().message);
                }
                out.items.push_back(std::move(*m));
            }
        }
        if (const auto* sc = r->if_contains("ScannedCount"); sc != nullptr) {
            if (sc->is_int64()) {
                out.scanned_count = sc->get_int64();
            } else if (sc->is_uint64()) {
                out.scanned_count = static_cast<std::int64_t>(sc->get_uint64());
            } else {
                return bad(op, "ScannedCount is not an integer");
            }
        }
        auto last = optional_map(op, *r, "LastEvaluatedKey");
        if (!last) {
            return last.error();
        }
        if (*last) {
            out.last_evaluated_key = std::move(**last);
        }
        return out;
    }

    result<std::vector<attribute_map>> all_pages(std::string_view op,
                                                 query_request req,
                                                 const call_options& opt) {
        // One deadline for the whole walk.
        const call_options walk{deadline_of(opt)};
        std::vector<attribute_map> items;
        std::set<std::string> seen_keys;
        for (std::size_t n = 0; n < max_pages; ++n) {
            auto p = page(op, req, walk);
            if (!p) {
                return p.error();
            }
            std::move(p->items.begin(), p->items.end(), std::back_inserter(items));
            if (p->last_evaluated_key.empty()) {
                return items;
            }
            if (!seen_keys.insert(to_wire_json(p->last_evaluated_key)).second) {
                return bad(op, "the server returned the same LastEvaluatedKey twice (page " +
                                   std::to_string(n + 1) + ")");
            }
            req.exclusive_start = std::move(p->last_evaluated_key);
        }
        return bad(op, "more than " + std::to_string(max_pages) + " pages; giving up");
    }

    result<void> batch_chunk_write(const std::string& table,
                                   std::vector<write_request> pending,
                                   std::int64_t deadline) {
        constexpr std::string_view op = "BatchWriteItem";
        const call_options opt{deadline};
        const std::size_t total = pending.size();
        for (std::size_t round = 0;; ++round) {
            json::object body{
                {"RequestItems", json::object{{table, write_requests_json(pending)}}}};
            auto r = invoke(op, body, opt);
            if (!r) {
                return r.error();
            }
            auto left = parse_unprocessed(*r, table);
            if (!left) {
                return left.error();
            }
            if (left->empty()) {
                return {};
            }
            if (left->size() > pending.size()) {
                return bad(op, "more UnprocessedItems than requests sent");
            }
            pending = std::move(*left);
            const auto give_up = [&](std::string_view why) {
                return fail(errc::throughput_exceeded,
                            op_prefix(op) + ": " + std::to_string(pending.size()) + " of " +
                                std::to_string(total) + " requests still unprocessed after " +
                                std::to_string(round + 1) + " attempts (" + std::string(why) + ")");
            };
            if (round >= config.batch_max_rounds) {
                return give_up("retry rounds exhausted");
            }
            const auto wait = policy->delay(static_cast<int>(round + 1));
            if (clk->now_ms() + wait.count() >= deadline) {
                return give_up("deadline reached");
            }
            sleep->sleep_for(wait);
        }
    }
};

dynamodb_client::dynamodb_client(http_transport& transport, dynamodb_config config)
    : impl_(std::make_unique<impl>(transport, std::move(config))) {
    impl_->own_policy = std::make_unique<retry_policy>();
    impl_->own_clock = std::make_unique<lift::system_clock>();
    impl_->own_sleeper = std::make_unique<thread_sleeper>();
    impl_->policy = impl_->own_policy.get();
    impl_->clk = impl_->own_clock.get();
    impl_->sleep = impl_->own_sleeper.get();
}

dynamodb_client::dynamodb_client(http_transport& transport,
                                 dynamodb_config config,
                                 retry_policy& policy,
                                 const lift::clock& clk,
                                 sleeper& sleep)
    : impl_(std::make_unique<impl>(transport, std::move(config))) {
    impl_->policy = &policy;
    impl_->clk = &clk;
    impl_->sleep = &sleep;
}

dynamodb_client::~dynamodb_client() = default;

result<attribute_map> dynamodb_client::put_item(const put_item_request& req,
                                                const call_options& opt) {
    json::object body{{"TableName", req.table}, {"Item", detail::to_json(req.item)}};
    add_expressions(body, req.expr, "ConditionExpression", req.condition);
    if (req.return_old) {
        body["ReturnValues"] = "ALL_OLD";
    }
    auto r = impl_->invoke("PutItem", body, opt);
    if (!r) {
        return r.error();
    }
    auto old = optional_map("PutItem", *r, "Attributes");
    if (!old) {
        return old.error();
    }
    return old->value_or(attribute_map{});
}

result<std::optional<attribute_map>> dynamodb_client::get_item(const get_item_request& req,
                                                               const call_options& opt) {
    json::object body{{"TableName", req.table}, {"Key", detail::to_json(req.key)}};
    if (req.consistent_read) {
        body["ConsistentRead"] = true;
    }
    auto r = impl_->invoke("GetItem", body, opt);
    if (!r) {
        return r.error();
    }
    return optional_map("GetItem", *r, "Item");
}

result<attribute_map> dynamodb_client::delete_item(const delete_item_request& req,
                                                   const call_options& opt) {
    json::object body{{"TableName", req.table}, {"Key", detail::to_json(req.key)}};
    add_expressions(body, req.expr, "ConditionExpression", req.condition);
    if (req.return_old) {
        body["ReturnValues"] = "ALL_OLD";
    }
    auto r = impl_->invoke("DeleteItem", body, opt);
    if (!r) {
        return r.error();
    }
    auto old = optional_map("DeleteItem", *r, "Attributes");
    if (!old) {
        return old.error();
    }
    return old->value_or(attribute_map{});
}

result<attribute_map> dynamodb_client::update_item(const update_item_request& req,
                                                   const call_options& opt) {
    json::object body{{"TableName", req.table}, {"Key", detail::to_json(req.key)}};
    if (!req.update.empty()) {
        body["UpdateExpression"] = req.update;
    }
    add_expressions(body, req.expr, "ConditionExpression", req.condition);
    if (!req.return_values.empty() && req.return_values != "NONE") {
        body["ReturnValues"] = req.return_values;
    }
    auto r = impl_->invoke("UpdateItem", body, opt);
    if (!r) {
        return r.error();
    }
    auto attrs = optional_map("UpdateItem", *r, "Attributes");
    if (!attrs) {
        return attrs.error();
    }
    return attrs->value_or(attribute_map{});
}

result<query_page> dynamodb_client::query(const query_request& req, const call_options& opt) {
    return impl_->page("Query", req, opt);
}

result<std::vector<attribute_map>> dynamodb_client::query_all(query_request req,
                                                              const call_options& opt) {
    return impl_->all_pages("Query", std::move(req), opt);
}

result<query_page> dynamodb_client::scan(const query_request& req, const call_options& opt) {
    return impl_->page("Scan", req, opt);
}

result<std::vector<attribute_map>> dynamodb_client::scan_all(query_request req,
                                                             const call_options& opt) {
    return impl_->all_pages("Scan", std::move(req), opt);
}

result<void> dynamodb_client::batch_write(const std::string& table,
                                          const std::vector<write_request>& requests,
                                          const call_options& opt) {
    for (const auto& r : requests) {
        if (r.put.has_value() == r.remove.has_value()) {
            return fail(lift::errc::invalid_argument,
                        "DynamoDB BatchWriteItem: each write_request needs exactly one of put "
                        "and remove");
        }
    }
    const std::int64_t deadline = impl_->deadline_of(opt);
    for (std::size_t first = 0; first < requests.size(); first += batch_chunk) {
        const std::size_t last = std::min(requests.size(), first + batch_chunk);
        std::vector<write_request> chunk(requests.begin() + static_cast<std::ptrdiff_t>(first),
                                         requests.begin() + static_cast<std::ptrdiff_t>(last));
        auto r = impl_->batch_chunk_write(table, std::move(chunk), deadline);
        if (!r) {
            return r;
        }
    }
    return {};
}

result<table_description> dynamodb_client::create_table(const create_table_request& req,
                                                        const call_options& opt) {
    json::array defs;
    std::set<std::string> defined;
    const auto define = [&](const std::string& name) {
        if (!name.empty() && defined.insert(name).second) {
            defs.push_back(json::object{{"AttributeName", name}, {"AttributeType", "S"}});
        }
    };
    define(req.keys.partition_key);
    define(req.keys.sort_key);
    for (const auto& idx : req.indexes) {
        define(idx.keys.partition_key);
        define(idx.keys.sort_key);
    }
    json::object body = key_schema_json(req.keys);
    body["TableName"] = req.table;
    body["AttributeDefinitions"] = std::move(defs);
    body["BillingMode"] = "PAY_PER_REQUEST";
    if (!req.indexes.empty()) {
        json::array gsis;
        for (const auto& idx : req.indexes) {
            json::object g = key_schema_json(idx.keys);
            g["IndexName"] = idx.name;
            g["Projection"] = json::object{{"ProjectionType", "ALL"}};
            gsis.push_back(std::move(g));
        }
        body["GlobalSecondaryIndexes"] = std::move(gsis);
    }
    auto r = impl_->invoke("CreateTable", body, opt);
    if (!r) {
        return r.error();
    }
    return parse_table("CreateTable", r->if_contains("TableDescription"));
}

result<table_description> dynamodb_client::describe_table(const std::string& table,
                                                          const call_options& opt) {
    auto r = impl_->invoke("DescribeTable", json::object{{"TableName", table}}, opt);
    if (!r) {
        return r.error();
    }
    return parse_table("DescribeTable", r->if_contains("Table"));
}

result<void> dynamodb_client::update_time_to_live(const std::string& table,
                                                  const std::string& attribute,
                                                  bool enabled,
                                                  const call_options& opt) {
    json::object body{{"TableName", table},
                      {"TimeToLiveSpecification",
                       json::object{{"Enabled", enabled}, {"AttributeName", attribute}}}};
    auto r = impl_->invoke("UpdateTimeToLive", body, opt);
    if (!r) {
        return r.error();
    }
    return {};
}

result<std::string> dynamodb_client::describe_time_to_live(const std::string& table,
                                                           const call_options& opt) {
    constexpr std::string_view op = "DescribeTimeToLive";
    auto r = impl_->invoke(op, json::object{{"TableName", table}}, opt);
    if (!r) {
        return r.error();
    }
    const auto* d = r->if_contains("TimeToLiveDescription");
    if (d == nullptr || !d->is_object()) {
        return bad(op, "response has no TimeToLiveDescription object");
    }
    return string_member(op, d->get_object(), "TimeToLiveStatus", true);
}

result<std::string> dynamodb_client::call(std::string_view operation,
                                          std::string body,
                                          const call_options& opt) {
    auto r = impl_->invoke(operation, body, opt);
    if (!r) {
        return r.error();
    }
    return std::move(r->body);
}

const endpoint& dynamodb_client::target() const noexcept {
    return impl_->to;
}

}  // namespace lift::aws
