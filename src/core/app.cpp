#include <chrono>
#include <cstdlib>
#include <exception>
#include <memory>
#include <stdexcept>
#include <typeinfo>

#include <boost/json/serialize.hpp>

#include <lift/core/app.hpp>
#include <lift/core/metrics.hpp>
#include <lift/core/protocol.hpp>
#include <lift/core/redact.hpp>

#include <cxxabi.h>

namespace lift {

namespace {

bool is_lifecycle_or_default(std::string_view key) noexcept {
    return key == protocol::connect_route || key == protocol::disconnect_route ||
           key == protocol::default_route;
}

// The readable name of the exception type `e` (e.g. "std::runtime_error").
std::string type_name(const std::exception& e) {
    const char* mangled = typeid(e).name();
    int status = 0;
    const std::unique_ptr<char, void (*)(void*)> demangled{
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free};
    return status == 0 && demangled ? std::string{demangled.get()} : std::string{mangled};
}

// `errorType` of a failure: the exception's origin for a throw, else the error code's name.
std::string error_type_of(const context& ctx, const error& e) {
    if (!ctx.exception_type().empty()) {
        return "Exception";
    }
    if (&e.code.category() == &core_category()) {
        switch (static_cast<errc>(e.code.value())) {
            case errc::invalid_argument:
                return "InvalidArgument";
            case errc::parse_error:
                return "ParseError";
            case errc::not_found:
                return "NotFound";
            case errc::gone:
                return "Gone";
            case errc::payload_too_large:
                return "PayloadTooLarge";
            case errc::limit_exceeded:
                return "LimitExceeded";
            case errc::forbidden:
                return "Forbidden";
            case errc::timeout:
                return "Timeout";
            case errc::handler_failed:
                return "HandlerFailed";
            case errc::no_route:
                return "NoRoute";
            case errc::unavailable:
                return "Unavailable";
            case errc::internal:
                return "Internal";
            case errc::unauthorized:
                return "Unauthorized";
        }
    }
    std::string name = e.code.category().name();
    name += ':';
    name += std::to_string(e.code.value());
    return name;
}

// The innermost step: the route handler (or the implicit 200 of a missing $connect /
// $disconnect route), with exceptions turned into results so middleware sees them.
result<reply> call_handler(const route* r, context& ctx) {
    if (r == nullptr) {
        return reply::ok();
    }
    try {
        return r->handler(ctx);
    } catch (const std::exception& e) {
        ctx.set_exception_type(type_name(e));
        return fail(errc::handler_failed, e.what());
    } catch (...) {
        ctx.set_exception_type("unknown");
        return fail(errc::handler_failed, "unknown exception");
    }
}

// The middleware chain for one call. `next` closures capture only {chain*, index} (16 bytes),
// which fits std::function's small buffer in libstdc++, so running the chain does not allocate.
struct chain {
    const std::vector<middleware>* steps;
    const route* target;
};

result<reply> run_from(const chain* c, std::size_t index, context& ctx) {
    if (index == c->steps->size()) {
        return call_handler(c->target, ctx);
    }
    const next_handler next = [c, index](context& inner) {
        return run_from(c, index + 1, inner);
    };
    return (*c->steps)[index](ctx, next);
}

}  // namespace

app::app() : identities_(std::make_unique<lift::identity_cache>()) {
    auto parsed = route_selection_expression::parse(route_selection_expression::default_text);
    selection_ = std::move(parsed).value();
}

app& app::add_route(std::string key, handler fn, route_options options) {
    if (key.empty()) {
        throw std::invalid_argument("route key must not be empty");
    }
    if (key.front() == '$' && !is_lifecycle_or_default(key)) {
        throw std::invalid_argument("route key '" + key +
                                    "': custom route keys must not start with '$'");
    }
    if (!fn) {
        throw std::invalid_argument("route '" + key + "': handler is empty");
    }
    route r{key, std::move(fn), options};
    routes_.insert_or_assign(std::move(key), std::move(r));
    return *this;
}

app& app::use(middleware mw) {
    if (!mw) {
        throw std::invalid_argument("middleware is empty");
    }
    middleware_.push_back(std::move(mw));
    return *this;
}

app& app::use_store(std::unique_ptr<connection_store> store) {
    store_ = std::move(store);
    return *this;
}

app& app::identity_cache_options(lift::identity_cache_options options) {
    identities_->configure(options);
    return *this;
}

app& app::route_selection(std::string_view expression) {
    auto parsed = route_selection_expression::parse(expression);
    if (!parsed) {
        throw std::invalid_argument(parsed.error().message);
    }
    selection_ = std::move(*parsed);
    return *this;
}

const route* app::find(std::string_view key) const noexcept {
    const auto it = routes_.find(key);
    return it != routes_.end() ? &it->second : nullptr;
}

std::vector<std::string> app::route_keys() const {
    std::vector<std::string> keys;
    keys.reserve(routes_.size());
    for (const auto& [key, r] : routes_) {
        keys.push_back(key);
    }
    return keys;
}

result<reply> app::run_chain(context& ctx, const route* r) const {
    const chain c{&middleware_, r};
    // Middleware is outside the handler's try block; a throwing middleware is reported the same
    // way, so nothing escapes `handle`.
    try {
        return run_from(&c, 0, ctx);
    } catch (const std::exception& e) {
        ctx.set_exception_type(type_name(e));
        return fail(errc::handler_failed, e.what());
    } catch (...) {
        ctx.set_exception_type("unknown");
        return fail(errc::handler_failed, "unknown exception");
    }
}

// Saves the record of a connection whose $connect succeeded. A failure is returned to the
// caller, which fails the handshake (502 on API Gateway): a connection the app cannot find
// later is worse than a client that retries.
result<void> app::after_connect(context& ctx) const {
    const auto& rc = ctx.event().request_context;
    connection_record rec;
    rec.connection_id = rc.connection_id;
    rec.connected_at = rc.connected_at != 0 ? rc.connected_at : ctx.clock().now_ms();
    rec.expires_at = record_ttl_seconds_ > 0 ? rec.connected_at / 1000 + record_ttl_seconds_ : 0;
    rec.source_ip = rc.identity.source_ip;
    rec.user_agent = rc.identity.user_agent.value_or("");
    rec.stage = rc.stage;
    rec.domain_name = rc.domain_name;
    rec.identity = ctx.identity();
    rec.metadata = ctx.metadata();
    auto saved = store_->save(rec);
    if (!saved) {
        return fail(saved.error().code,
                    "$connect: cannot save connection record: " + saved.error().message);
    }
    return {};
}

result<reply> app::handle(context& ctx) const {
    if (ctx.identities() == nullptr) {
        ctx.use_identity_cache(identities_.get());
    }
    const auto start = std::chrono::steady_clock::now();
    if (ctx.log().captures(log_level::debug)) {
        ctx.log().debug(
            "event",
            {{"event", log_value::raw_json(boost::json::serialize(event_summary(ctx.event())))}});
    }
    result<reply> res = dispatch(ctx);
    const double latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::string error_type;
    if (!res) {
        error_type = error_type_of(ctx, res.error());
        ctx.log().error("invocation failed", {{"errorType", error_type},
                                              {"errorMessage", res.error().message},
                                              {"exceptionType", ctx.exception_type()}});
    }
    if (standard_metrics_) {
        auto& m = ctx.metrics();
        const std::string& route = ctx.route_key();
        std::vector<metric_dimension> by_route;
        if (!route.empty()) {
            by_route.push_back({"route", route});
        }
        switch (ctx.type()) {
            case event_type::connect:
                if (res && res->is_success()) {
                    m.add(standard_metrics::connections_opened, 1);
                }
                break;
            case event_type::disconnect:
                m.add(standard_metrics::connections_closed, 1);
                break;
            case event_type::message:
                m.add(standard_metrics::messages, 1, metric_unit::count, by_route);
                m.add(standard_metrics::message_bytes,
                      static_cast<double>(ctx.event().body ? ctx.event().body->size() : 0),
                      metric_unit::bytes, by_route);
                break;
        }
        m.add(standard_metrics::handler_latency, latency_ms, metric_unit::milliseconds,
              std::move(by_route));
        if (!res) {
            m.add(standard_metrics::errors, 1, metric_unit::count, {{"errorType", error_type}});
        }
    }
    if (!res && recover_ && ctx.type() == event_type::connect) {
        return reply::status(500);  // no body: nothing about the failure reaches the client
    }
    return res;
}

result<reply> app::dispatch(context& ctx) const {
    switch (ctx.type()) {
        case event_type::connect: {
            auto res = run_chain(ctx, find(protocol::connect_route));
            if (res && res->is_success() && record_connections_ && store_) {
                if (auto saved = after_connect(ctx); !saved) {
                    return saved.error();
                }
            }
            return res;
        }
        case event_type::disconnect: {
            auto res = run_chain(ctx, find(protocol::disconnect_route));
            if (auto* cache = ctx.identities(); cache != nullptr) {
                cache->erase(ctx.connection_id());
            }
            if (record_connections_ && store_) {
                // Best effort: the connection is gone either way and the record expires.
                if (auto removed = store_->remove(ctx.connection_id()); !removed) {
                    ctx.log().warn("$disconnect: cannot remove connection record: " +
                                   removed.error().what());
                }
            }
            return res;
        }
        case event_type::message:
            break;
    }
    const route* r = find(ctx.route_key());
    if (r == nullptr) {
        return fail(errc::no_route, "no route for key '" + ctx.route_key() + "'");
    }
    return run_chain(ctx, r);
}

}  // namespace lift
