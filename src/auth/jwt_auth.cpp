#include <charconv>

#include <lift/auth/jwt_auth.hpp>
#include <lift/core/ascii.hpp>

namespace lift::auth {

namespace {

std::vector<std::string_view> split_list(std::string_view s, std::string_view separators) {
    std::vector<std::string_view> out;
    while (!s.empty()) {
        const auto pos = s.find_first_of(separators);
        const auto item = ascii::trim_ows(s.substr(0, pos));
        if (!item.empty()) {
            out.push_back(item);
        }
        if (pos == std::string_view::npos) {
            break;
        }
        s.remove_prefix(pos + 1);
    }
    return out;
}

std::optional<std::string> bearer_token(const lift::websocket_event& ev) {
    const std::string* h = ev.header("Authorization");
    if (h == nullptr) {
        return std::nullopt;
    }
    const std::string_view v = ascii::trim_ows(*h);
    constexpr std::string_view scheme = "bearer ";
    if (v.size() <= scheme.size() || !lift::ascii::iequals(v.substr(0, scheme.size()), scheme)) {
        return std::nullopt;
    }
    const auto token = ascii::trim_ows(v.substr(scheme.size()));
    return token.empty() ? std::nullopt : std::optional<std::string>{std::string{token}};
}

std::optional<std::string> subprotocol_token(const lift::websocket_event& ev,
                                             const jwt_auth_options& options) {
    const std::string* h = ev.header("Sec-WebSocket-Protocol");
    if (h == nullptr) {
        return std::nullopt;
    }
    const auto items = split_list(*h, ",");
    for (std::size_t i = 0; i + 1 < items.size(); ++i) {
        if (items[i] == options.subprotocol_marker) {
            return std::string{items[i + 1]};
        }
    }
    return std::nullopt;
}

std::string describe_sources(const jwt_auth_options& options) {
    std::string out;
    for (const auto s : options.sources) {
        if (!out.empty()) {
            out += ", ";
        }
        switch (s) {
            case token_source::query:
                out += "query parameter '" + options.query_parameter + "'";
                break;
            case token_source::authorization_header:
                out += "Authorization header";
                break;
            case token_source::subprotocol:
                out += "Sec-WebSocket-Protocol";
                break;
        }
    }
    return out;
}

}  // namespace

std::optional<std::string> find_token(const lift::websocket_event& ev,
                                      const jwt_auth_options& options) {
    for (const auto source : options.sources) {
        std::optional<std::string> token;
        switch (source) {
            case token_source::query:
                if (const auto* q = ev.query(options.query_parameter);
                    q != nullptr && !q->empty()) {
                    token = *q;
                }
                break;
            case token_source::authorization_header:
                token = bearer_token(ev);
                break;
            case token_source::subprotocol:
                token = subprotocol_token(ev, options);
                break;
        }
        if (token) {
            return token;
        }
    }
    return std::nullopt;
}

lift::identity identity_from_claims(const boost::json::object& claims,
                                    const jwt_auth_options& options) {
    lift::identity id;
    if (const auto* sub = claims.if_contains("sub"); sub != nullptr && sub->is_string()) {
        id.subject = std::string{sub->get_string()};
    }
    if (!options.tenant_claim.empty()) {
        if (const auto* t = claims.if_contains(options.tenant_claim);
            t != nullptr && t->is_string()) {
            id.tenant = std::string{t->get_string()};
        }
    }
    if (!options.roles_claim.empty()) {
        if (const auto* r = claims.if_contains(options.roles_claim)) {
            if (r->is_string()) {
                for (const auto item : split_list(r->get_string(), " ,")) {
                    id.roles.emplace_back(item);
                }
            } else if (const auto* arr = r->if_array()) {
                for (const auto& item : *arr) {
                    if (item.is_string()) {
                        id.roles.emplace_back(item.get_string());
                    }
                }
            }
        }
    }
    for (const auto& name : options.claims) {
        if (const auto* v = claims.if_contains(name)) {
            id.claims.insert_or_assign(name, *v);
        }
    }
    return id;
}

lift::middleware jwt_auth(std::shared_ptr<const jwt_verifier> verifier, jwt_auth_options options) {
    return [verifier = std::move(verifier), options = std::move(options)](
               lift::context& ctx, const lift::next_handler& next) -> lift::result<lift::reply> {
        if (ctx.type() != lift::event_type::connect) {
            return next(ctx);
        }
        const auto token = find_token(ctx.event(), options);
        if (!token) {
            ctx.log().warn("jwt auth rejected: jwt: no token (looked in " +
                           describe_sources(options) + ")");
            return lift::reply::status(options.failure_status);
        }
        auto claims = verifier->verify(*token, ctx.clock().now_ms());
        if (!claims) {
            ctx.log().warn("jwt auth rejected: " + claims.error().message);
            return lift::reply::status(options.failure_status);
        }
        ctx.set_identity(identity_from_claims(*claims, options));
        // Which source the token came from decides whether the subprotocol must be echoed.
        const bool from_subprotocol = [&] {
            for (const auto s : options.sources) {
                jwt_auth_options one = options;
                one.sources = {s};
                if (find_token(ctx.event(), one)) {
                    return s == token_source::subprotocol;
                }
            }
            return false;
        }();
        auto res = next(ctx);
        if (from_subprotocol && res && res->is_success()) {
            bool chosen = false;
            for (const auto& [name, value] : res->headers) {
                chosen = chosen || lift::ascii::iequals(name, "Sec-WebSocket-Protocol");
            }
            if (!chosen) {
                res->with_header("Sec-WebSocket-Protocol", options.subprotocol_marker);
            }
        }
        return res;
    };
}

result<std::optional<lift::middleware>> jwt_auth_from_env(const lift::aws::environment& env) {
    const auto secret = env.get("LIFT_JWT_SECRET");
    const auto key_file = env.get("LIFT_JWT_PUBLIC_KEY_FILE");
    const bool has_secret = secret && !secret->empty();
    const bool has_file = key_file && !key_file->empty();
    if (!has_secret && !has_file) {
        return std::optional<lift::middleware>{};
    }
    jwt_options options;
    std::vector<jwt_key> keys;
    if (has_secret) {
        auto key = jwt_key::hmac(*secret);
        if (!key) {
            return lift::fail(errc::bad_key, "LIFT_JWT_SECRET: " + key.error().message);
        }
        keys.push_back(std::move(*key));
        options.algorithms.push_back(jwt_algorithm::hs256);
    }
    if (has_file) {
        auto key = jwt_key::from_pem_file(*key_file);
        if (!key) {
            return lift::fail(errc::bad_key, "LIFT_JWT_PUBLIC_KEY_FILE: " + key.error().message);
        }
        switch (key->kind()) {
            case key_kind::rsa:
                options.algorithms.insert(options.algorithms.end(),
                                          {jwt_algorithm::rs256, jwt_algorithm::rs384,
                                           jwt_algorithm::rs512, jwt_algorithm::ps256});
                break;
            case key_kind::ec_p256:
                options.algorithms.push_back(jwt_algorithm::es256);
                break;
            case key_kind::ec_p384:
                options.algorithms.push_back(jwt_algorithm::es384);
                break;
            case key_kind::hmac:
                break;
        }
        keys.push_back(std::move(*key));
    }
    if (const auto iss = env.get("LIFT_JWT_ISSUER"); iss && !iss->empty()) {
        options.issuer = *iss;
    }
    if (const auto aud = env.get("LIFT_JWT_AUDIENCE"); aud && !aud->empty()) {
        for (const auto item : split_list(*aud, ",")) {
            options.audiences.emplace_back(item);
        }
    }
    if (const auto leeway = env.get("LIFT_JWT_LEEWAY_SECONDS"); leeway && !leeway->empty()) {
        std::int64_t v = 0;
        const auto* end = leeway->data() + leeway->size();
        const auto [ptr, ec] = std::from_chars(leeway->data(), end, v);
        if (ec != std::errc{} || ptr != end || v < 0) {
            return lift::fail(errc::bad_configuration,
                              "LIFT_JWT_LEEWAY_SECONDS: not a non-negative integer");
        }
        options.leeway_seconds = v;
    }
    auto verifier = jwt_verifier::create(std::move(options), std::move(keys));
    if (!verifier) {
        return verifier.error();
    }
    jwt_auth_options auth;
    auth.sources = {token_source::query};
    return std::optional<lift::middleware>{
        jwt_auth(std::make_shared<const jwt_verifier>(std::move(*verifier)), std::move(auth))};
}

result<std::optional<lift::middleware>> jwt_auth_from_env() {
    const lift::aws::process_environment env;
    return jwt_auth_from_env(env);
}

}  // namespace lift::auth
