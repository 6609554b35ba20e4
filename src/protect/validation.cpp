#include <lift/protect/rejection.hpp>
#include <lift/protect/validation.hpp>

namespace lift::protect {

request_validator& request_validator::set(std::string route_key, route_rules rules) {
    routes_.insert_or_assign(std::move(route_key), std::move(rules));
    return *this;
}

result<void> request_validator::add(std::string route_key,
                                    std::string_view schema_json,
                                    std::size_t max_body_bytes) {
    auto schema = json_schema::compile(schema_json);
    if (!schema) {
        return fail(schema.error().code, "route '" + route_key + "': " + schema.error().message);
    }
    set(std::move(route_key), route_rules{std::move(*schema), max_body_bytes});
    return {};
}

std::optional<validation_failure> request_validator::check(context& ctx) const {
    if (ctx.type() != event_type::message) {
        return std::nullopt;
    }
    const auto it = routes_.find(ctx.route_key());
    const route_rules* rules = it == routes_.end() ? nullptr : &it->second;
    const std::size_t limit = rules != nullptr && rules->max_body_bytes != 0
                                  ? rules->max_body_bytes
                                  : default_max_body_bytes_;
    const std::size_t size = ctx.event().body ? ctx.event().body->size() : 0;
    if (limit != 0 && size > limit) {
        return validation_failure{
            413, "Request body too large", "",
            "body has " + std::to_string(size) + " bytes, the limit is " + std::to_string(limit),
            limit};
    }
    if (rules == nullptr || !rules->schema) {
        return std::nullopt;
    }
    const boost::json::value* body = ctx.json_body();
    if (body == nullptr) {
        return validation_failure{400, "Invalid request body", "", "body is not valid JSON"};
    }
    if (auto bad = rules->schema->validate(*body)) {
        return validation_failure{400, "Invalid request body", std::move(bad->path),
                                  std::move(bad->reason)};
    }
    return std::nullopt;
}

lift::middleware request_validator::middleware() const {
    return [self = *this](context& ctx, const next_handler& next) -> result<reply> {
        auto failure = self.check(ctx);
        if (!failure) {
            return next(ctx);
        }
        ctx.log().info("validation failed on route " + ctx.route_key() + ": " +
                       (failure->path.empty() ? std::string{} : failure->path + " ") +
                       failure->reason);
        boost::json::object frame{{"message", failure->message}};
        if (failure->status == 413) {
            frame["limit"] = failure->limit;
        } else {
            frame["path"] = failure->path;
        }
        frame["reason"] = failure->reason;
        return reject(ctx, failure->status, std::move(frame));
    };
}

}  // namespace lift::protect
