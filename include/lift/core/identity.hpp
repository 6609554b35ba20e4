/// @file identity.hpp
/// Who the user behind a connection is (subject, tenant, roles, selected claims). Set on
/// `$connect` by authentication middleware, saved with the connection, and available on every
/// later event of that connection.
///
///     ctx.identity().subject = "alice";
///     if (ctx.identity().has_role("admin")) ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace lift {

/// The authenticated identity of a connection; empty when the connection is anonymous.
struct identity {
    std::string subject;             ///< user id (JWT `sub`, authorizer `principalId`)
    std::string tenant;              ///< tenant/organisation id, may be empty
    std::vector<std::string> roles;  ///< roles or groups
    boost::json::object claims;      ///< selected extra claims

    /// True when nothing is set.
    bool empty() const noexcept {
        return subject.empty() && tenant.empty() && roles.empty() && claims.empty();
    }

    /// True when `role` is among `roles`.
    bool has_role(std::string_view role) const noexcept {
        for (const auto& r : roles) {
            if (r == role) {
                return true;
            }
        }
        return false;
    }
};

/// JSON form used in stores: {"subject","tenant","roles","claims"}; empty members omitted.
boost::json::object to_json(const identity& id);

/// Reads the JSON form; unknown members are ignored, wrong types read as empty.
identity identity_from_json(const boost::json::object& o);

}  // namespace lift
