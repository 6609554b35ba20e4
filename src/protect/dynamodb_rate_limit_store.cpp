#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include <lift/aws/error.hpp>
#include <lift/protect/dynamodb_rate_limit_store.hpp>

namespace lift::protect {

namespace {

aws::attribute_value number(std::string text) {
    aws::attribute_value v;
    v.type = aws::attribute_value::kind::n;
    v.text = std::move(text);
    return v;
}

std::optional<double> as_double(const aws::attribute_value& v) {
    if (v.type != aws::attribute_value::kind::n || v.text.empty()) {
        return std::nullopt;
    }
    char* end = nullptr;
    const double d = std::strtod(v.text.c_str(), &end);
    if (end != v.text.c_str() + v.text.size() || !std::isfinite(d)) {
        return std::nullopt;
    }
    return d;
}

const aws::attribute_value* find(const aws::attribute_map& m, const char* name) {
    auto it = m.find(name);
    return it == m.end() ? nullptr : &it->second;
}

}  // namespace

dynamodb_rate_limit_store::dynamodb_rate_limit_store(aws::dynamodb_client& client,
                                                     std::string table,
                                                     dynamodb_rate_limit_options options)
    : client_(client),
      table_(std::move(table)),
      options_(std::move(options)) {
    if (options_.max_attempts < 1) {
        options_.max_attempts = 1;
    }
}

result<bucket_decision> dynamodb_rate_limit_store::take(std::string_view key,
                                                        const bucket_limit& limit,
                                                        std::int64_t now_ms,
                                                        std::int64_t deadline_ms) {
    const aws::call_options opt{deadline_ms};
    aws::attribute_map item_key;
    item_key[options_.partition_key] = aws::attr::s(options_.key_prefix + std::string{key});
    if (!options_.sort_key.empty()) {
        item_key[options_.sort_key] = aws::attr::s(options_.sort_value);
    }
    for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
        auto got =
            client_.get_item({.table = table_, .key = item_key, .consistent_read = true}, opt);
        if (!got) {
            return got.error();
        }
        std::optional<bucket_state> current;
        std::int64_t version = 0;
        if (*got) {
            const auto& item = **got;
            const auto* tokens = find(item, "tokens");
            const auto* ts = find(item, "ts");
            const auto* v = find(item, "v");
            const auto t = tokens ? as_double(*tokens) : std::nullopt;
            const auto when = ts ? ts->as_int() : std::nullopt;
            const auto ver = v ? v->as_int() : std::nullopt;
            if (!t || !when || !ver) {
                return fail(aws::errc::bad_response,
                            "rate limit item has no numeric tokens/ts/v attributes");
            }
            current = bucket_state{*t, *when};
            version = *ver;
        }
        const bucket_decision d = take_token(current, limit, now_ms);
        if (!d.admitted) {
            return d;
        }
        aws::update_item_request u;
        u.table = table_;
        u.key = item_key;
        u.update = "SET #tokens = :tokens, #ts = :ts, #v = :nv, #ttl = :ttl";
        u.expr.names = {{"#tokens", "tokens"}, {"#ts", "ts"}, {"#v", "v"}, {"#ttl", "ttl"}};
        u.expr.values[":tokens"] = number(fmt::format("{:.6f}", d.state.tokens));
        u.expr.values[":ts"] = aws::attr::n(d.state.updated_ms);
        u.expr.values[":nv"] = aws::attr::n(version + 1);
        const std::int64_t full_at_ms = d.state.updated_ms + time_to_full_ms(limit);
        u.expr.values[":ttl"] = aws::attr::n(full_at_ms / 1000 + 1 + options_.ttl_slack_seconds);
        if (current) {
            u.condition = "#v = :v";
            u.expr.values[":v"] = aws::attr::n(version);
        } else {
            u.condition = "attribute_not_exists(#pk)";
            u.expr.names["#pk"] = options_.partition_key;
        }
        auto written = client_.update_item(u, opt);
        if (written) {
            return d;
        }
        if (written.error().code != aws::errc::conditional_check_failed) {
            return written.error();
        }
        // Another caller wrote between our read and our write: read again.
    }
    bucket_decision busy;
    busy.admitted = false;
    busy.retry_after_ms = static_cast<std::int64_t>(std::ceil(1000.0 / limit.rate_per_second));
    return busy;
}

}  // namespace lift::protect
