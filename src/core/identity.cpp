#include <boost/json/array.hpp>

#include <lift/core/identity.hpp>

namespace lift {

boost::json::object to_json(const identity& id) {
    boost::json::object o;
    if (!id.subject.empty()) {
        o.emplace("subject", id.subject);
    }
    if (!id.tenant.empty()) {
        o.emplace("tenant", id.tenant);
    }
    if (!id.roles.empty()) {
        boost::json::array roles;
        roles.reserve(id.roles.size());
        for (const auto& r : id.roles) {
            roles.emplace_back(r);
        }
        o.emplace("roles", std::move(roles));
    }
    if (!id.claims.empty()) {
        o.emplace("claims", id.claims);
    }
    return o;
}

identity identity_from_json(const boost::json::object& o) {
    identity id;
    if (const auto* v = o.if_contains("subject"); v && v->is_string()) {
        id.subject = v->get_string();
    }
    if (const auto* v = o.if_contains("tenant"); v && v->is_string()) {
        id.tenant = v->get_string();
    }
    if (const auto* v = o.if_contains("roles"); v && v->is_array()) {
        for (const auto& r : v->get_array()) {
            if (r.is_string()) {
                id.roles.emplace_back(r.get_string());
            }
        }
    }
    if (const auto* v = o.if_contains("claims"); v && v->is_object()) {
        id.claims = boost::json::object(v->get_object(), boost::json::storage_ptr{});
    }
    return id;
}

}  // namespace lift
