#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <utility>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <lift/aws/dynamodb_store.hpp>
#include <lift/aws/error.hpp>
#include <lift/core/error.hpp>

namespace lift::aws {

namespace {

constexpr std::string_view conn_prefix = "CONN#";
constexpr std::string_view user_prefix = "USER#";
constexpr std::string_view tenant_prefix = "TENANT#";
constexpr std::string_view meta_sort_key = "META";

error empty_id() {
    return fail(lift::errc::invalid_argument, "connection id must not be empty");
}

// Keeps the code (and so the condition) of a client error and says what we were doing.
error with_context(const error& e, std::string_view what) {
    return fail(e.code, fmt::format("dynamodb_store {}: {}", what, e.message));
}

std::string conn_key(std::string_view id) {
    return fmt::format("{}{}", conn_prefix, id);
}

attribute_map item_key(std::string_view id) {
    return {{"pk", attr::s(conn_key(id))}, {"sk", attr::s(std::string{meta_sort_key})}};
}

// Same ordering as memory_store: oldest connection first, then by id.
void sort_records(std::vector<connection_record>& v) {
    std::sort(v.begin(), v.end(), [](const connection_record& a, const connection_record& b) {
        if (a.connected_at != b.connected_at) {
            return a.connected_at < b.connected_at;
        }
        return a.connection_id < b.connection_id;
    });
}

// memory_store's rule: expired when expires_at * 1000 <= now_ms, i.e. live while
// ttl > floor(now_ms / 1000). The filter expressions use the same bound.
std::int64_t now_seconds(std::int64_t now_ms) {
    return now_ms >= 0 ? now_ms / 1000 : -((-now_ms + 999) / 1000);
}

// --- claims: JSON <-> AttributeValue ---------------------------------------------------------

attribute_value from_json(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::string:
            return attr::s(std::string{v.get_string()});
        case boost::json::kind::bool_:
            return attr::boolean(v.get_bool());
        case boost::json::kind::int64:
            return attr::n(v.get_int64());
        case boost::json::kind::uint64: {
            attribute_value a;
            a.type = attribute_value::kind::n;
            a.text = std::to_string(v.get_uint64());
            return a;
        }
        case boost::json::kind::double_: {
            attribute_value a;
            a.type = attribute_value::kind::n;
            a.text = fmt::format("{}", v.get_double());
            // Keep it a double on the way back (1.0 must not come back as the integer 1).
            if (a.text.find_first_of(".eE") == std::string::npos) {
                a.text += ".0";
            }
            return a;
        }
        case boost::json::kind::array: {
            std::vector<attribute_value> list;
            for (const auto& e : v.get_array()) {
                list.push_back(from_json(e));
            }
            return attr::l(std::move(list));
        }
        case boost::json::kind::object: {
            attribute_map m;
            for (const auto& [k, e] : v.get_object()) {
                m.emplace(std::string{k}, from_json(e));
            }
            return attr::m(std::move(m));
        }
        case boost::json::kind::null:
            break;
    }
    return attr::null();
}

boost::json::value number_to_json(const std::string& text) {
    if (text.find_first_of(".eE") == std::string::npos) {
        std::int64_t i = 0;
        const auto* end = text.data() + text.size();
        if (auto [p, ec] = std::from_chars(text.data(), end, i); ec == std::errc{} && p == end) {
            return i;
        }
        std::uint64_t u = 0;
        if (auto [p, ec] = std::from_chars(text.data(), end, u); ec == std::errc{} && p == end) {
            return u;
        }
    }
    return std::strtod(text.c_str(), nullptr);
}

boost::json::value to_json(const attribute_value& a) {
    using k = attribute_value::kind;
    switch (a.type) {
        case k::s:
            return boost::json::string{a.text};
        case k::n:
            return number_to_json(a.text);
        case k::boolean:
            return a.flag;
        case k::l: {
            boost::json::array arr;
            for (const auto& e : a.list) {
                arr.push_back(to_json(e));
            }
            return arr;
        }
        case k::m: {
            boost::json::object o;
            for (const auto& [key, e] : a.map) {
                o.emplace(key, to_json(e));
            }
            return o;
        }
        case k::ss:
        case k::ns: {
            boost::json::array arr;
            for (const auto& e : a.set) {
                arr.emplace_back(a.type == k::ss ? boost::json::value(e) : number_to_json(e));
            }
            return arr;
        }
        case k::b:
        case k::bs:
        case k::null:
            break;
    }
    return nullptr;
}

// --- item -> record helpers (lenient: missing or mistyped reads as empty) ---------------------

std::string string_of(const attribute_map& m, const std::string& name) {
    const auto it = m.find(name);
    if (it == m.end()) {
        return {};
    }
    const auto* s = it->second.as_string();
    return s ? *s : std::string{};
}

std::int64_t int_of(const attribute_map& m, const std::string& name) {
    const auto it = m.find(name);
    if (it == m.end()) {
        return 0;
    }
    return it->second.as_int().value_or(0);
}

const attribute_map* map_of(const attribute_map& m, const std::string& name) {
    const auto it = m.find(name);
    if (it == m.end() || it->second.type != attribute_value::kind::m) {
        return nullptr;
    }
    return &it->second.map;
}

lift::identity identity_from_item(const attribute_map& m) {
    lift::identity id;
    id.subject = string_of(m, "subject");
    id.tenant = string_of(m, "tenant");
    if (const auto it = m.find("roles"); it != m.end()) {
        if (it->second.type == attribute_value::kind::l) {
            for (const auto& r : it->second.list) {
                if (const auto* s = r.as_string()) {
                    id.roles.push_back(*s);
                }
            }
        } else if (it->second.type == attribute_value::kind::ss) {
            id.roles = it->second.set;  // written by another tool as a string set
        }
    }
    if (const auto* claims = map_of(m, "claims")) {
        for (const auto& [k, v] : *claims) {
            id.claims.emplace(k, to_json(v));
        }
    }
    return id;
}

std::vector<connection_record> to_records(const std::vector<attribute_map>& items,
                                          std::string& bad) {
    std::vector<connection_record> out;
    out.reserve(items.size());
    for (const auto& item : items) {
        auto r = from_connection_item(item);
        if (!r) {
            bad = r.error().message;
            continue;
        }
        out.push_back(std::move(*r));
    }
    sort_records(out);
    return out;
}

expression_values live_filter_values(std::int64_t now_ms) {
    expression_values e;
    e.names.emplace("#ttl", std::string{connection_ttl_attribute});
    e.values.emplace(":now", attr::n(now_seconds(now_ms)));
    return e;
}

}  // namespace

// --- item mapping --------------------------------------------------------------------------

attribute_map to_connection_item(const connection_record& r,
                                 std::int64_t ttl_seconds,
                                 std::int64_t now_ms) {
    attribute_map item = item_key(r.connection_id);
    const auto key = conn_key(r.connection_id);
    if (!r.identity.subject.empty()) {
        item.emplace("gsi1pk", attr::s(fmt::format("{}{}", user_prefix, r.identity.subject)));
        item.emplace("gsi1sk", attr::s(key));
    }
    if (!r.identity.tenant.empty()) {
        item.emplace("gsi2pk", attr::s(fmt::format("{}{}", tenant_prefix, r.identity.tenant)));
        item.emplace("gsi2sk", attr::s(key));
    }
    std::int64_t ttl = r.expires_at;
    if (ttl == 0) {
        const std::int64_t base_ms = r.connected_at > 0 ? r.connected_at : now_ms;
        ttl = now_seconds(base_ms) + ttl_seconds;
    }
    item.emplace(std::string{connection_ttl_attribute}, attr::n(ttl));
    item.emplace("connectionId", attr::s(r.connection_id));
    item.emplace("connectedAt", attr::n(r.connected_at));
    item.emplace("sourceIp", attr::s(r.source_ip));
    item.emplace("userAgent", attr::s(r.user_agent));
    item.emplace("stage", attr::s(r.stage));
    item.emplace("domainName", attr::s(r.domain_name));

    attribute_map id;
    if (!r.identity.subject.empty()) {
        id.emplace("subject", attr::s(r.identity.subject));
    }
    if (!r.identity.tenant.empty()) {
        id.emplace("tenant", attr::s(r.identity.tenant));
    }
    if (!r.identity.roles.empty()) {
        std::vector<attribute_value> roles;
        roles.reserve(r.identity.roles.size());
        for (const auto& role : r.identity.roles) {
            roles.push_back(attr::s(role));
        }
        id.emplace("roles", attr::l(std::move(roles)));
    }
    if (!r.identity.claims.empty()) {
        attribute_map claims;
        for (const auto& [k, v] : r.identity.claims) {
            claims.emplace(std::string{k}, from_json(v));
        }
        id.emplace("claims", attr::m(std::move(claims)));
    }
    item.emplace("identity", attr::m(std::move(id)));

    attribute_map meta;
    for (const auto& [k, v] : r.metadata) {
        meta.emplace(k, attr::s(v));
    }
    item.emplace("metadata", attr::m(std::move(meta)));
    return item;
}

result<connection_record> from_connection_item(const attribute_map& item) {
    const auto pk = string_of(item, "pk");
    if (pk.size() <= conn_prefix.size() || pk.compare(0, conn_prefix.size(), conn_prefix) != 0) {
        return fail(aws::errc::bad_response,
                    fmt::format("item is not a connection record: pk is \"{}\", expected "
                                "\"CONN#<id>\"",
                                pk.substr(0, 64)));
    }
    connection_record r;
    r.connection_id = string_of(item, "connectionId");
    if (r.connection_id.empty()) {
        r.connection_id = pk.substr(conn_prefix.size());
    }
    r.connected_at = int_of(item, "connectedAt");
    r.expires_at = int_of(item, std::string{connection_ttl_attribute});
    r.source_ip = string_of(item, "sourceIp");
    r.user_agent = string_of(item, "userAgent");
    r.stage = string_of(item, "stage");
    r.domain_name = string_of(item, "domainName");
    if (const auto* id = map_of(item, "identity")) {
        r.identity = identity_from_item(*id);
    }
    if (const auto* meta = map_of(item, "metadata")) {
        for (const auto& [k, v] : *meta) {
            if (const auto* s = v.as_string()) {
                r.metadata.emplace(k, *s);
            }
        }
    }
    return r;
}

// --- the store -----------------------------------------------------------------------------

dynamodb_store::dynamodb_store(dynamodb_client& client,
                               std::string table,
                               const lift::clock& clock,
                               dynamodb_store_options options)
    : client_(client),
      table_(std::move(table)),
      clock_(clock),
      options_(options) {}

result<void> dynamodb_store::save(const connection_record& record) {
    if (record.connection_id.empty()) {
        return empty_id();
    }
    put_item_request req;
    req.table = table_;
    req.item = to_connection_item(record, options_.ttl_seconds, clock_.now_ms());
    auto r = client_.put_item(req);
    if (!r) {
        return with_context(r.error(), fmt::format("save {}", record.connection_id));
    }
    return {};
}

result<void> dynamodb_store::update(const connection_record& record) {
    if (record.connection_id.empty()) {
        return empty_id();
    }
    const std::int64_t now_ms = clock_.now_ms();
    put_item_request req;
    req.table = table_;
    req.item = to_connection_item(record, options_.ttl_seconds, now_ms);
    // Only while the record is there and live: a $disconnect that removed it is not undone.
    req.condition = "attribute_exists(pk) AND #ttl > :now";
    req.expr = live_filter_values(now_ms);
    auto r = client_.put_item(req);
    if (!r) {
        if (r.error().code == errc::conditional_check_failed) {
            return lift::fail(lift::errc::gone,
                              fmt::format("DynamoDB store: update {}: no live connection record",
                                          record.connection_id));
        }
        return with_context(r.error(), fmt::format("update {}", record.connection_id));
    }
    return {};
}

result<std::optional<connection_record>> dynamodb_store::get(std::string_view connection_id) {
    if (connection_id.empty()) {
        return empty_id();
    }
    get_item_request req;
    req.table = table_;
    req.key = item_key(connection_id);
    req.consistent_read = options_.consistent_read;
    auto r = client_.get_item(req);
    if (!r) {
        return with_context(r.error(), fmt::format("get {}", connection_id));
    }
    if (!r->has_value()) {
        return std::optional<connection_record>{};
    }
    auto rec = from_connection_item(**r);
    if (!rec) {
        return with_context(rec.error(), fmt::format("get {}", connection_id));
    }
    // GetItem has no filter: apply the read-side expiry here, with the filters' rule.
    if (rec->expires_at <= now_seconds(clock_.now_ms())) {
        return std::optional<connection_record>{};
    }
    return std::optional<connection_record>{std::move(*rec)};
}

result<void> dynamodb_store::remove(std::string_view connection_id) {
    if (connection_id.empty()) {
        return empty_id();
    }
    delete_item_request req;
    req.table = table_;
    req.key = item_key(connection_id);
    auto r = client_.delete_item(req);
    if (!r) {
        return with_context(r.error(), fmt::format("remove {}", connection_id));
    }
    return {};
}

result<std::vector<connection_record>> dynamodb_store::list_index(std::string_view index,
                                                                  std::string_view key_attr,
                                                                  std::string key_value,
                                                                  const char* what) {
    query_request req;
    req.table = table_;
    req.index = std::string{index};
    req.key_condition = fmt::format("{} = :key", key_attr);
    req.filter = "#ttl > :now";
    req.expr = live_filter_values(clock_.now_ms());
    req.expr.values.emplace(":key", attr::s(key_value));
    req.limit = options_.page_limit;
    auto items = client_.query_all(std::move(req));
    if (!items) {
        return with_context(items.error(), fmt::format("{} {}", what, key_value));
    }
    std::string bad;
    auto out = to_records(*items, bad);
    if (!bad.empty()) {
        return fail(aws::errc::bad_response, fmt::format("dynamodb_store {}: {}", what, bad));
    }
    return out;
}

result<std::vector<connection_record>> dynamodb_store::list_by_user(std::string_view user_id) {
    if (user_id.empty()) {
        return std::vector<connection_record>{};
    }
    return list_index(connection_user_index, "gsi1pk", fmt::format("{}{}", user_prefix, user_id),
                      "list_by_user");
}

result<std::vector<connection_record>> dynamodb_store::list_by_tenant(std::string_view tenant_id) {
    if (tenant_id.empty()) {
        return std::vector<connection_record>{};
    }
    return list_index(connection_tenant_index, "gsi2pk",
                      fmt::format("{}{}", tenant_prefix, tenant_id), "list_by_tenant");
}

result<std::vector<connection_record>> dynamodb_store::scan_live() {
    query_request req;
    req.table = table_;
    req.filter = "sk = :meta AND #ttl > :now";
    req.expr = live_filter_values(clock_.now_ms());
    req.expr.values.emplace(":meta", attr::s(std::string{meta_sort_key}));
    req.limit = options_.page_limit;
    auto items = client_.scan_all(std::move(req));
    if (!items) {
        return with_context(items.error(), "scan");
    }
    std::string bad;
    auto out = to_records(*items, bad);
    if (!bad.empty()) {
        return fail(aws::errc::bad_response, fmt::format("dynamodb_store scan: {}", bad));
    }
    return out;
}

result<std::vector<connection_record>> dynamodb_store::list_all() {
    return scan_live();
}

result<std::size_t> dynamodb_store::count() {
    auto all = scan_live();
    if (!all) {
        return all.error();
    }
    return all->size();
}

// --- table creation ------------------------------------------------------------------------

namespace {

create_table_request connection_table_request(const std::string& table) {
    create_table_request req;
    req.table = table;
    req.keys = {.partition_key = "pk", .sort_key = "sk"};
    req.indexes = {
        {.name = std::string{connection_user_index},
         .keys = {.partition_key = "gsi1pk", .sort_key = "gsi1sk"}},
        {.name = std::string{connection_tenant_index},
         .keys = {.partition_key = "gsi2pk", .sort_key = "gsi2sk"}},
    };
    return req;
}

// Names what differs between an existing table and the layout we need, or "" if nothing.
std::string layout_difference(const table_description& d, const create_table_request& want) {
    if (d.keys.partition_key != want.keys.partition_key || d.keys.sort_key != want.keys.sort_key) {
        return fmt::format("key is ({}, {}), the store needs (pk, sk)", d.keys.partition_key,
                           d.keys.sort_key.empty() ? "no sort key" : d.keys.sort_key);
    }
    for (const auto& w : want.indexes) {
        const auto it = std::find_if(d.indexes.begin(), d.indexes.end(),
                                     [&](const global_index& g) { return g.name == w.name; });
        if (it == d.indexes.end()) {
            return fmt::format("global secondary index {} is missing", w.name);
        }
        if (it->keys.partition_key != w.keys.partition_key ||
            it->keys.sort_key != w.keys.sort_key) {
            return fmt::format("index {} has key ({}, {}), the store needs ({}, {})", w.name,
                               it->keys.partition_key, it->keys.sort_key, w.keys.partition_key,
                               w.keys.sort_key);
        }
    }
    return {};
}

void report(const connection_table_options& o, std::string_view line) {
    if (o.progress) {
        o.progress(line);
    }
}

struct ttl_state {
    std::string status;     // ENABLED, ENABLING, DISABLED, DISABLING
    std::string attribute;  // AttributeName, may be empty
};

result<ttl_state> describe_ttl(dynamodb_client& client, const std::string& table) {
    boost::json::object body;
    body["TableName"] = table;
    auto r = client.call("DescribeTimeToLive", boost::json::serialize(body));
    if (!r) {
        return r.error();
    }
    boost::system::error_code ec;
    const auto v = boost::json::parse(*r, ec);
    const auto* o = ec ? nullptr : v.if_object();
    const auto* d = o ? o->if_contains("TimeToLiveDescription") : nullptr;
    if (!d || !d->is_object()) {
        return fail(aws::errc::bad_response,
                    "DescribeTimeToLive: response has no TimeToLiveDescription object");
    }
    ttl_state s;
    if (const auto* st = d->get_object().if_contains("TimeToLiveStatus"); st && st->is_string()) {
        s.status = st->get_string();
    }
    if (const auto* a = d->get_object().if_contains("AttributeName"); a && a->is_string()) {
        s.attribute = a->get_string();
    }
    return s;
}

}  // namespace

result<connection_table_report> create_connection_table(dynamodb_client& client,
                                                        const std::string& table,
                                                        const connection_table_options& options) {
    if (table.empty()) {
        return fail(lift::errc::invalid_argument, "table name must not be empty");
    }
    const auto want = connection_table_request(table);
    connection_table_report out;
    auto created = client.create_table(want);
    if (created) {
        out.created = true;
        report(options, fmt::format("table {}: created ({})", table, created->status));
    } else if (created.error().code == aws::errc::resource_in_use) {
        report(options, fmt::format("table {}: already exists", table));
    } else {
        return created.error();
    }

    // Wait for ACTIVE: bounded by time and by the number of polls.
    const auto start = std::chrono::steady_clock::now();
    const auto interval = std::max(options.poll_interval, std::chrono::milliseconds{1});
    const auto max_polls = options.wait_timeout / interval + 2;
    std::string last_status;
    for (std::int64_t poll = 0;; ++poll) {
        auto d = client.describe_table(table);
        if (!d) {
            return d.error();
        }
        if (d->status != last_status) {
            report(options, fmt::format("table {}: {}", table, d->status));
            last_status = d->status;
        }
        if (d->status == "ACTIVE") {
            out.description = std::move(*d);
            break;
        }
        if (poll + 1 >= max_polls ||
            std::chrono::steady_clock::now() - start >= options.wait_timeout) {
            return fail(lift::errc::timeout, fmt::format("table {} is still {} after {} ms", table,
                                                         d->status, options.wait_timeout.count()));
        }
        std::this_thread::sleep_for(interval);
    }
    if (auto diff = layout_difference(out.description, want); !diff.empty()) {
        return fail(aws::errc::resource_in_use,
                    fmt::format("table {} exists but does not have the connection-store layout: {}",
                                table, diff));
    }

    // TTL: leave it alone when already on `ttl`; refuse to move it from another attribute.
    auto ttl = describe_ttl(client, table);
    if (!ttl) {
        return ttl.error();
    }
    const bool on = ttl->status == "ENABLED" || ttl->status == "ENABLING";
    if (on && !ttl->attribute.empty() && ttl->attribute != connection_ttl_attribute) {
        return fail(aws::errc::resource_in_use,
                    fmt::format("table {} has TTL on attribute {}, the store writes {}", table,
                                ttl->attribute, connection_ttl_attribute));
    }
    if (on) {
        out.ttl_status = ttl->status;
        return out;
    }
    auto updated = client.update_time_to_live(table, std::string{connection_ttl_attribute}, true);
    if (!updated) {
        if (updated.error().code == aws::errc::unknown_service_error && !options.require_ttl) {
            report(options, fmt::format("table {}: this endpoint does not implement "
                                        "UpdateTimeToLive ({}); TTL not enabled",
                                        table, updated.error().message));
            out.ttl_status = "UNSUPPORTED";
            return out;
        }
        return fail(updated.error().code,
                    fmt::format("enabling TTL on attribute {} of table {}: {}",
                                connection_ttl_attribute, table, updated.error().message));
    }
    out.ttl_changed = true;
    auto after = describe_ttl(client, table);
    out.ttl_status = after ? after->status : std::string{"ENABLING"};
    return out;
}

}  // namespace lift::aws
