#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <lift/aws/error.hpp>
#include <lift/aws/management_api.hpp>

#include "civil_time.hpp"

namespace lift::aws {

namespace {

namespace json = boost::json;

constexpr std::string_view service_name = "execute-api";

using detail::days_from_civil;

// Reads exactly `n` digits at `pos`.
std::optional<unsigned> digits(std::string_view s, std::size_t& pos, std::size_t n) {
    if (pos + n > s.size()) {
        return std::nullopt;
    }
    unsigned v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    pos += n;
    return v;
}

bool expect_char(std::string_view s, std::size_t& pos, char c) {
    if (pos < s.size() && s[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)` → epoch ms (fraction truncated to ms).
std::optional<std::int64_t> parse_iso8601_ms(std::string_view s) {
    std::size_t pos = 0;
    const auto year = digits(s, pos, 4);
    if (!year || !expect_char(s, pos, '-')) {
        return std::nullopt;
    }
    const auto month = digits(s, pos, 2);
    if (!month || !expect_char(s, pos, '-')) {
        return std::nullopt;
    }
    const auto day = digits(s, pos, 2);
    if (!day || !(expect_char(s, pos, 'T') || expect_char(s, pos, 't'))) {
        return std::nullopt;
    }
    const auto hour = digits(s, pos, 2);
    if (!hour || !expect_char(s, pos, ':')) {
        return std::nullopt;
    }
    const auto minute = digits(s, pos, 2);
    if (!minute || !expect_char(s, pos, ':')) {
        return std::nullopt;
    }
    const auto second = digits(s, pos, 2);
    if (!second) {
        return std::nullopt;
    }
    if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
        *second > 60) {
        return std::nullopt;
    }
    std::int64_t ms = 0;
    if (expect_char(s, pos, '.')) {
        std::size_t n = 0;
        std::int64_t scale = 100;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            ms += scale * (s[pos] - '0');
            scale /= 10;
            ++pos;
            ++n;
        }
        if (n == 0) {
            return std::nullopt;
        }
    }
    std::int64_t offset_minutes = 0;
    if (expect_char(s, pos, 'Z') || expect_char(s, pos, 'z')) {
        // UTC
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        const int sign = s[pos] == '-' ? -1 : 1;
        ++pos;
        const auto oh = digits(s, pos, 2);
        if (!oh || !expect_char(s, pos, ':')) {
            return std::nullopt;
        }
        const auto om = digits(s, pos, 2);
        if (!om || *oh > 23 || *om > 59) {
            return std::nullopt;
        }
        offset_minutes = sign * static_cast<std::int64_t>(*oh * 60 + *om);
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) {
        return std::nullopt;
    }
    const std::int64_t days = days_from_civil(*year, *month, *day);
    const std::int64_t secs = days * 86400 + *hour * 3600 + *minute * 60 + *second;
    return (secs - offset_minutes * 60) * 1000 + ms;
}

// The error code AWS named: `x-amzn-ErrorType` first, then `code`/`Code`/`__type` of a JSON
// body (botocore's RestJSONParser order); also the `message` of a JSON body.
struct error_facts {
    std::string code;
    std::string message;
};

error_facts facts_of(const http_response& res) {
    error_facts f;
    if (auto h = res.header_value("x-amzn-ErrorType"); h && !h->empty()) {
        f.code = std::string{bare_error_code(*h)};
    }
    boost::system::error_code ec;
    const json::value body = json::parse(res.body, ec);
    if (!ec && body.is_object()) {
        const auto& obj = body.as_object();
        for (const char* key : {"code", "Code", "__type"}) {
            if (!f.code.empty()) {
                break;
            }
            if (const auto* v = obj.if_contains(key); v != nullptr && v->is_string()) {
                f.code = std::string{bare_error_code(v->as_string())};
            }
        }
        for (const char* key : {"message", "Message"}) {
            if (const auto* v = obj.if_contains(key); v != nullptr && v->is_string()) {
                f.message = std::string{v->as_string()};
                break;
            }
        }
    }
    return f;
}

lift::error error_from_response(std::string_view op,
                                std::string_view id,
                                const http_response& res) {
    const error_facts f = facts_of(res);
    std::string text = fmt::format("{} {}: {} (HTTP {})", op, id,
                                   f.code.empty() ? std::string{"error"} : f.code, res.status);
    if (!f.message.empty()) {
        text += ": ";
        text += f.message;
    }
    return {error_code_for(res.status, f.code), std::move(text)};
}

result<lift::connection_info> parse_connection_info(std::string_view id, std::string_view body) {
    auto bad = [&](std::string_view why) -> lift::error {
        return {make_error_code(errc::bad_response),
                fmt::format("GetConnection {}: malformed response body ({})", id, why)};
    };
    boost::system::error_code ec;
    const json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) {
        return bad("not a JSON object");
    }
    const auto& obj = v.as_object();
    // ISO 8601 text as AWS sends it; epoch seconds as a JSON number are accepted too, as
    // botocore does (moto_server sends those).
    auto time_of = [&](const char* key) -> std::optional<std::int64_t> {
        const auto* t = obj.if_contains(key);
        if (t == nullptr) {
            return std::nullopt;
        }
        if (t->is_string()) {
            return parse_iso8601_ms(t->as_string());
        }
        if (t->is_number()) {
            boost::system::error_code nec;
            const double seconds = t->to_number<double>(nec);
            if (nec || !(seconds >= 0.0 && seconds < 253402300800.0)) {
                return std::nullopt;
            }
            return static_cast<std::int64_t>(seconds * 1000.0);
        }
        return std::nullopt;
    };
    const auto connected = time_of("connectedAt");
    if (!connected) {
        return bad("connectedAt missing or not a time");
    }
    const auto last_active = time_of("lastActiveAt");
    if (!last_active) {
        return bad("lastActiveAt missing or not a time");
    }
    lift::connection_info info;
    info.connected_at = *connected;
    info.last_active_at = *last_active;
    if (const auto* identity = obj.if_contains("identity"); identity != nullptr) {
        if (!identity->is_object()) {
            return bad("identity is not an object");
        }
        const auto& io = identity->as_object();
        if (const auto* ip = io.if_contains("sourceIp"); ip != nullptr && !ip->is_null()) {
            if (!ip->is_string()) {
                return bad("identity.sourceIp is not a string");
            }
            info.source_ip = std::string{ip->as_string()};
        }
        if (const auto* ua = io.if_contains("userAgent"); ua != nullptr && !ua->is_null()) {
            if (!ua->is_string()) {
                return bad("identity.userAgent is not a string");
            }
            info.user_agent = std::string{ua->as_string()};
        }
    }
    return info;
}

bool is_success(int status) noexcept {
    return status >= 200 && status < 300;
}

}  // namespace

std::string management_endpoint_for(std::string_view domain_name, std::string_view stage) {
    while (!stage.empty() && stage.front() == '/') {
        stage.remove_prefix(1);
    }
    if (stage.empty()) {
        return fmt::format("https://{}", domain_name);
    }
    return fmt::format("https://{}/{}", domain_name, stage);
}

std::string encode_connection_id(std::string_view connection_id) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(connection_id.size() + 8);
    for (const char ch : connection_id) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4U]);
            out.push_back(hex[c & 0x0FU]);
        }
    }
    return out;
}

gone_hook prune_gone_from(lift::connection_store& store) {
    return [&store](std::string_view id) {
        (void)store.remove(id);
    };
}

struct management_client::impl {
    impl(http_transport& t, management_config c, retry_policy& p, const lift::clock& k, sleeper& s)
        : transport(t),
          config(std::move(c)),
          policy(p),
          clk(k),
          sleep(s) {}

    http_transport& transport;
    management_config config;
    retry_policy& policy;
    const lift::clock& clk;
    sleeper& sleep;
    std::mutex sign_mutex;
    aws::signer signer;

    // Owned defaults for the two-argument constructor.
    std::unique_ptr<retry_policy> own_policy;
    std::unique_ptr<thread_sleeper> own_sleeper;
    std::unique_ptr<system_clock> own_clock;

    std::string path_for(std::string_view id) const {
        return config.target.base_path + "/@connections/" + encode_connection_id(id);
    }

    // A signed request, with the signing time taken from the client's clock.
    result<http_request> build(std::string_view method, std::string_view id, std::string body) {
        http_request req;
        req.method = std::string{method};
        req.target = path_for(id);
        req.headers.push_back({"Host", config.target.host_header()});
        signing_request sr;
        sr.method = req.method;
        sr.path = req.target;
        sr.headers = req.headers;
        sr.payload = body;
        signing_params params;
        params.region = config.region;
        params.service = std::string{service_name};
        params.time = std::chrono::system_clock::time_point{
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::milliseconds{clk.now_ms()})};
        result<signed_headers> sig = [&] {
            std::lock_guard lock{sign_mutex};
            return signer.sign(sr, config.credentials, params);
        }();
        if (!sig) {
            return lift::error{sig.error().code, fmt::format("{} {}: cannot sign the request: {}",
                                                             method, id, sig.error().message)};
        }
        for (auto& h : sig->headers()) {
            req.headers.push_back(std::move(h));
        }
        req.body = std::move(body);
        return req;
    }

    std::int64_t deadline_ms() const { return clk.now_ms() + config.call_budget.count(); }

    static std::chrono::steady_clock::time_point steady_deadline(std::chrono::milliseconds left) {
        return std::chrono::steady_clock::now() + std::max(left, std::chrono::milliseconds{1});
    }

    // One operation with retries; returns the 2xx response.
    result<http_response> call(std::string_view op,
                               std::string_view method,
                               std::string_view id,
                               std::string_view body) {
        if (id.empty()) {
            return fail(lift::errc::invalid_argument,
                        fmt::format("{}: the connection id is empty", op));
        }
        const std::int64_t deadline = deadline_ms();
        auto outcome =
            run_with_retries(policy, deadline, clk, sleep, [&](int) -> result<http_response> {
                auto req = build(method, id, std::string{body});
                if (!req) {
                    return req.error();
                }
                const std::chrono::milliseconds left{deadline - clk.now_ms()};
                auto res = transport.send(config.target, *req, steady_deadline(left));
                if (!res) {
                    return lift::error{res.error().code,
                                       fmt::format("{} {}: {}", op, id, res.error().message)};
                }
                if (!is_success(res->status)) {
                    return error_from_response(op, id, *res);
                }
                return std::move(*res);
            });
        if (!outcome && outcome.error().code == condition::gone && config.on_gone) {
            config.on_gone(id);
        }
        return outcome;
    }
};

management_client::management_client(http_transport& transport, management_config config) {
    auto policy = std::make_unique<retry_policy>();
    auto sleep = std::make_unique<thread_sleeper>();
    auto clk = std::make_unique<system_clock>();
    impl_ = std::make_unique<impl>(transport, std::move(config), *policy, *clk, *sleep);
    impl_->own_policy = std::move(policy);
    impl_->own_sleeper = std::move(sleep);
    impl_->own_clock = std::move(clk);
}

management_client::management_client(http_transport& transport,
                                     management_config config,
                                     retry_policy& policy,
                                     const lift::clock& clk,
                                     sleeper& sleep)
    : impl_(std::make_unique<impl>(transport, std::move(config), policy, clk, sleep)) {}

management_client::~management_client() = default;

const endpoint& management_client::target() const noexcept {
    return impl_->config.target;
}

result<void> management_client::post_to_connection(std::string_view connection_id,
                                                   std::string_view data) {
    auto r = impl_->call("PostToConnection", "POST", connection_id, data);
    if (!r) {
        return r.error();
    }
    return {};
}

result<lift::connection_info> management_client::get_connection(std::string_view connection_id) {
    auto r = impl_->call("GetConnection", "GET", connection_id, {});
    if (!r) {
        return r.error();
    }
    return parse_connection_info(connection_id, r->body);
}

result<void> management_client::delete_connection(std::string_view connection_id) {
    auto r = impl_->call("DeleteConnection", "DELETE", connection_id, {});
    if (!r) {
        return r.error();
    }
    return {};
}

std::vector<result<void>> management_client::post_many(std::span<const std::string> connection_ids,
                                                       std::string_view data) {
    impl& m = *impl_;
    const std::size_t n = connection_ids.size();
    std::vector<std::optional<result<void>>> done(n);
    std::vector<lift::error> last_error(n);
    std::vector<std::size_t> pending;
    pending.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (connection_ids[i].empty()) {
            done[i] =
                fail(lift::errc::invalid_argument, "PostToConnection: the connection id is empty");
        } else {
            pending.push_back(i);
        }
    }
    const std::int64_t deadline = m.deadline_ms();
    const int max_rounds = std::max(1, m.policy.options().max_attempts);
    const std::size_t in_flight = std::max<std::size_t>(1, m.config.max_in_flight);
    int acquired = 0;
    bool any_retry = false;
    for (int round = 1; !pending.empty(); ++round) {
        std::vector<http_request> requests;
        std::vector<std::size_t> sent;
        requests.reserve(pending.size());
        sent.reserve(pending.size());
        for (const std::size_t i : pending) {
            auto req = m.build("POST", connection_ids[i], std::string{data});
            if (!req) {
                done[i] = req.error();
                continue;
            }
            requests.push_back(std::move(*req));
            sent.push_back(i);
        }
        const std::chrono::milliseconds left{deadline - m.clk.now_ms()};
        auto responses = m.transport.send_many(m.config.target, requests, in_flight,
                                               impl::steady_deadline(left));
        std::vector<std::size_t> again;
        bool after_timeout = false;
        for (std::size_t k = 0; k < sent.size(); ++k) {
            const std::size_t i = sent[k];
            const std::string& id = connection_ids[i];
            lift::error err;
            if (k >= responses.size()) {
                err = lift::error{make_error_code(errc::connection_lost),
                                  fmt::format("PostToConnection {}: no response", id)};
            } else if (!responses[k]) {
                err = lift::error{
                    responses[k].error().code,
                    fmt::format("PostToConnection {}: {}", id, responses[k].error().message)};
            } else if (is_success(responses[k]->status)) {
                done[i] = result<void>{};
                continue;
            } else {
                err = error_from_response("PostToConnection", id, *responses[k]);
            }
            if (classify(err) != retry_kind::none && round < max_rounds) {
                after_timeout = after_timeout || is_timeout_error(err);
                last_error[i] = std::move(err);
                again.push_back(i);
            } else {
                done[i] = std::move(err);
            }
        }
        pending = std::move(again);
        if (pending.empty()) {
            break;
        }
        // One backoff and one quota acquisition per round (the round is one retried call,
        // like a BatchWriteItem re-sending its UnprocessedItems).
        const std::chrono::milliseconds wait = m.policy.delay(round);
        std::optional<int> cost;
        if (m.clk.now_ms() + wait.count() < deadline) {
            cost = m.policy.acquire_retry(after_timeout);
        }
        if (!cost) {
            for (const std::size_t i : pending) {
                done[i] = std::move(last_error[i]);
            }
            pending.clear();
            break;
        }
        acquired = *cost;
        any_retry = true;
        m.sleep.sleep_for(wait);
    }
    std::vector<result<void>> out;
    out.reserve(n);
    bool all_ok = true;
    std::set<std::string_view> notified;
    for (std::size_t i = 0; i < n; ++i) {
        result<void> r = done[i].has_value()
                             ? std::move(*done[i])
                             : result<void>{lift::error{lift::errc::internal, "no outcome"}};
        if (!r) {
            all_ok = false;
            if (r.error().code == condition::gone && m.config.on_gone &&
                notified.insert(connection_ids[i]).second) {
                m.config.on_gone(connection_ids[i]);
            }
        }
        out.push_back(std::move(r));
    }
    if (all_ok && n > 0) {
        m.policy.record_success(any_retry ? acquired : 0);
    }
    return out;
}

}  // namespace lift::aws
