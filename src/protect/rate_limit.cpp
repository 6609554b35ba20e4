#include <set>

#include <lift/protect/rate_limit.hpp>
#include <lift/protect/rejection.hpp>

namespace lift::protect {

namespace {

bool applies(const limit_rule& rule, std::string_view route) {
    if (rule.routes.empty()) {
        return true;
    }
    for (const auto& r : rule.routes) {
        if (r == route) {
            return true;
        }
    }
    return false;
}

// The bucket value of `rule` for the event, or empty when the rule does not apply to it.
std::string bucket_value(const limit_rule& rule, context& ctx) {
    switch (rule.key) {
        case limit_key::connection:
            return ctx.type() == event_type::connect ? std::string{} : ctx.connection_id();
        case limit_key::user:
            return ctx.identity().subject;
        case limit_key::tenant:
            return ctx.identity().tenant;
        case limit_key::route:
            return ctx.route_key();
        case limit_key::source_ip:
            return ctx.event().request_context.identity.source_ip;
    }
    return {};
}

}  // namespace

std::string_view to_string(limit_key k) noexcept {
    switch (k) {
        case limit_key::connection:
            return "connection";
        case limit_key::user:
            return "user";
        case limit_key::tenant:
            return "tenant";
        case limit_key::route:
            return "route";
        case limit_key::source_ip:
            return "source_ip";
    }
    return "unknown";
}

result<rate_limiter> rate_limiter::create(rate_limit_store& store, rate_limit_options options) {
    std::set<std::string, std::less<>> names;
    for (std::size_t i = 0; i < options.rules.size(); ++i) {
        auto& rule = options.rules[i];
        if (rule.name.empty()) {
            rule.name = std::string{to_string(rule.key)};
        }
        const std::string where = "rate limit rule " + std::to_string(i) + " ('" + rule.name + "')";
        if (to_string(rule.key) == "unknown") {
            return fail(errc::invalid_argument, where + ": unknown key kind");
        }
        if (!(rule.limit.rate_per_second > 0)) {
            return fail(errc::invalid_argument, where + ": rate_per_second must be > 0");
        }
        if (!(rule.limit.burst >= 1)) {
            return fail(errc::invalid_argument, where + ": burst must be >= 1");
        }
        if (rule.name.find('#') != std::string::npos) {
            return fail(errc::invalid_argument, where + ": name must not contain '#'");
        }
        if (!names.insert(rule.name).second) {
            return fail(errc::invalid_argument,
                        where + ": another rule has the same name; give the rules distinct names");
        }
        for (const auto& r : rule.routes) {
            if (r == "$disconnect") {
                return fail(errc::invalid_argument, where + ": $disconnect cannot be limited");
            }
            if (r.empty()) {
                return fail(errc::invalid_argument, where + ": empty route key");
            }
        }
    }
    if (options.connect_status < 400 || options.connect_status > 599) {
        return fail(errc::invalid_argument, "rate limit connect_status must be 400-599");
    }
    auto c = std::make_shared<config>();
    c->options = std::move(options);
    c->store = &store;
    return rate_limiter{std::move(c)};
}

rate_verdict rate_limiter::check(context& ctx) const {
    rate_verdict verdict;
    if (ctx.type() == event_type::disconnect) {
        return verdict;
    }
    const auto& opts = config_->options;
    const std::int64_t now = ctx.clock().now_ms();
    const std::int64_t remaining = ctx.remaining_ms();
    // Remote stores take their deadline on the system clock (the DynamoDB client's), not on
    // ctx.clock(), which tests replace.
    const std::int64_t deadline = remaining == INT64_MAX ? 0
                                                         : lift::system_clock{}.now_ms() +
                                                               std::max<std::int64_t>(remaining, 1);
    for (const auto& rule : opts.rules) {
        if (!applies(rule, ctx.route_key())) {
            continue;
        }
        const std::string value = bucket_value(rule, ctx);
        if (value.empty()) {
            continue;
        }
        auto d = config_->store->take(rule.name + "#" + value, rule.limit, now, deadline);
        if (!d) {
            ctx.log().warn("rate limit rule '" + rule.name + "': store failed (" +
                           d.error().message + "); failing " +
                           (opts.on_store_error == fail_mode::open ? "open" : "closed"));
            if (opts.on_store_error == fail_mode::open) {
                continue;
            }
            verdict.admitted = false;
            verdict.rule = rule.name;
            return verdict;
        }
        if (!d->admitted) {
            verdict.admitted = false;
            verdict.rule = rule.name;
            verdict.retry_after_ms = d->retry_after_ms;
            return verdict;
        }
    }
    return verdict;
}

lift::middleware rate_limiter::middleware() const {
    return [self = *this](context& ctx, const next_handler& next) -> result<reply> {
        const rate_verdict v = self.check(ctx);
        if (v.admitted) {
            return next(ctx);
        }
        ctx.log().info("rate limit '" + v.rule + "' exceeded on route " + ctx.route_key());
        const auto& opts = self.config_->options;
        if (ctx.type() == event_type::connect) {
            // Whole seconds, rounded up (RFC 9110 Retry-After); the frame on message routes
            // keeps AWS's shape and carries no hint.
            reply r = reject(ctx, opts.connect_status, {});
            r.with_header("Retry-After", std::to_string((v.retry_after_ms + 999) / 1000));
            return r;
        }
        return reject(ctx, 429, boost::json::object{{"message", opts.message}});
    };
}

}  // namespace lift::protect
