#include <limits>

#include <boost/json/parse.hpp>

#include <lift/core/context.hpp>

namespace lift {

namespace {

error no_api() {
    return fail(errc::unavailable, "no management API configured");
}

void append_roles(const boost::json::value& v, std::vector<std::string>& roles) {
    if (const auto* s = v.if_string()) {
        // Authorizer context values must be scalars, so roles usually arrive as "a,b,c".
        std::string_view rest{s->data(), s->size()};
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            auto item = rest.substr(0, comma);
            while (!item.empty() && item.front() == ' ') {
                item.remove_prefix(1);
            }
            while (!item.empty() && item.back() == ' ') {
                item.remove_suffix(1);
            }
            if (!item.empty()) {
                roles.emplace_back(item);
            }
            if (comma == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(comma + 1);
        }
    } else if (const auto* a = v.if_array()) {
        for (const auto& item : *a) {
            if (const auto* r = item.if_string()) {
                roles.emplace_back(r->data(), r->size());
            }
        }
    }
}

// principalId → subject, tenant/tenantId → tenant, roles → roles; the other context keys
// become claims (integrationLatency is API Gateway bookkeeping, not a claim).
identity identity_from_authorizer(const boost::json::object& auth) {
    identity id;
    for (const auto& kv : auth) {
        const std::string_view k = kv.key();
        const auto& v = kv.value();
        if (k == "principalId") {
            if (const auto* s = v.if_string()) {
                id.subject.assign(s->data(), s->size());
            }
        } else if (k == "tenant" || k == "tenantId") {
            if (const auto* s = v.if_string(); s && id.tenant.empty()) {
                id.tenant.assign(s->data(), s->size());
            }
        } else if (k == "roles") {
            append_roles(v, id.roles);
        } else if (k != "integrationLatency") {
            id.claims.emplace(k, v);
        }
    }
    return id;
}

}  // namespace

context::context(const websocket_event& ev,
                 const context_services& services,
                 std::int64_t deadline_ms)
    : event_(&ev),
      services_(services),
      deadline_ms_(deadline_ms),
      log_(
          services.sink != nullptr ? *services.sink : static_cast<log_sink&>(null_sink_),
          services.sink != nullptr ? services.level : log_level::off,
          log_fields{ev.request_context.request_id, ev.connection_id(), ev.route_key(),
                     services.invocation != nullptr ? services.invocation->trace_id : std::string{},
                     services.function_name, services.cold_start},
          services.log_buffer) {}

result<void> context::metered_api::post_to_connection(std::string_view id, std::string_view data) {
    return ctx_.services_.api->post_to_connection(id, data);
}

result<lift::connection_info> context::metered_api::get_connection(std::string_view id) {
    return ctx_.services_.api->get_connection(id);
}

result<void> context::metered_api::delete_connection(std::string_view id) {
    return ctx_.services_.api->delete_connection(id);
}

std::vector<result<void>> context::metered_api::post_many(std::span<const std::string> ids,
                                                          std::string_view data) {
    auto results = ctx_.services_.api->post_many(ids, data);
    record_broadcast(ctx_.metrics(), results);
    return results;
}

const boost::json::value* context::json_body() {
    if (!body_parsed_) {
        body_parsed_ = true;
        if (event_->body) {
            boost::system::error_code ec;
            auto v = boost::json::parse(*event_->body, ec);
            if (!ec) {
                body_ = std::move(v);
            }
        }
    }
    return body_ ? &*body_ : nullptr;
}

void context::set_json_body(boost::json::value v) {
    body_ = std::move(v);
    body_parsed_ = true;
}

const boost::json::string* context::body_string(std::string_view name) {
    const auto* body = json_body();
    if (body == nullptr) {
        return nullptr;
    }
    const auto* o = body->if_object();
    if (o == nullptr) {
        return nullptr;
    }
    const auto* v = o->if_contains(name);
    return v != nullptr ? v->if_string() : nullptr;
}

lift::identity& context::identity() {
    if (identity_) {
        return *identity_;
    }
    const auto& auth = event_->request_context.authorizer;
    if (auth) {
        identity_ = identity_from_authorizer(*auth);
    } else if (type() != event_type::connect && services_.store != nullptr) {
        if (identity_cache_ != nullptr) {
            if (auto hit = identity_cache_->find(connection_id(), clock().now_ms())) {
                identity_ = std::move(*hit);
                return *identity_;
            }
        }
        auto rec = record();
        if (!rec) {
            log_.warn("identity: cannot load connection record: " + rec.error().what());
            identity_.emplace();
        } else if (*rec) {
            identity_ = (*rec)->identity;
            // Only a stored record is cached: a missing one may be saved a moment later.
            if (identity_cache_ != nullptr && type() == event_type::message) {
                identity_cache_->put(connection_id(), *identity_, clock().now_ms());
            }
        } else {
            identity_.emplace();
        }
    } else {
        identity_.emplace();
    }
    return *identity_;
}

void context::set_identity(lift::identity id) {
    identity_ = std::move(id);
}

result<std::optional<connection_record>> context::record() {
    if (record_) {
        return *record_;
    }
    if (services_.store == nullptr) {
        return fail(errc::unavailable, "no connection store configured");
    }
    auto loaded = services_.store->get(connection_id());
    if (!loaded) {
        return loaded.error();  // not cached: a later call may succeed
    }
    if (*loaded) {
        // Stored values fill in what this request has not set itself.
        for (const auto& [k, v] : (*loaded)->metadata) {
            metadata_.emplace(k, v);
        }
    }
    record_ = std::move(*loaded);
    return *record_;
}

result<void> context::send(std::string_view data) {
    if (services_.api == nullptr) {
        return no_api();
    }
    return services_.api->post_to_connection(connection_id(), data);
}

result<void> context::send_to(std::string_view connection_id, std::string_view data) {
    if (services_.api == nullptr) {
        return no_api();
    }
    return services_.api->post_to_connection(connection_id, data);
}

result<void> context::disconnect(std::string_view connection_id) {
    if (services_.api == nullptr) {
        return no_api();
    }
    return services_.api->delete_connection(connection_id);
}

result<lift::connection_info> context::connection_info(std::string_view connection_id) {
    if (services_.api == nullptr) {
        return no_api();
    }
    return services_.api->get_connection(connection_id);
}

const lift::clock& context::clock() const noexcept {
    if (services_.clock != nullptr) {
        return *services_.clock;
    }
    return system_clock_;
}

std::int64_t context::remaining_ms() const noexcept {
    if (deadline_ms_ == 0) {
        return std::numeric_limits<std::int64_t>::max();
    }
    return deadline_ms_ - clock().now_ms();
}

}  // namespace lift
