// Lambda REQUEST authorizer events and responses (aws-reference §3.3) and IAM-style policy
// evaluation for the gateway.
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <lift/core/ascii.hpp>
#include <lift/core/authorizer.hpp>
#include <lift/core/json.hpp>

namespace lift {

namespace {

namespace json = boost::json;

constexpr std::string_view action_invoke = "execute-api:Invoke";

// Member names (the only place the authorizer's wire names appear).
namespace key {
constexpr std::string_view type = "type";
constexpr std::string_view method_arn = "methodArn";
constexpr std::string_view principal_id = "principalId";
constexpr std::string_view policy_document = "policyDocument";
constexpr std::string_view version = "Version";
constexpr std::string_view statement = "Statement";
constexpr std::string_view action = "Action";
constexpr std::string_view effect = "Effect";
constexpr std::string_view resource = "Resource";
constexpr std::string_view context = "context";
constexpr std::string_view usage_identifier_key = "usageIdentifierKey";
constexpr std::string_view is_base64_encoded = "isBase64Encoded";
}  // namespace key

bool is_scalar(const json::value& v) noexcept {
    return v.is_string() || v.is_number() || v.is_bool();
}

// Glob match: `*` any run, `?` one character (iterative, linear backtracking).
bool glob(std::string_view pattern, std::string_view text, bool case_insensitive) noexcept {
    std::size_t p = 0;
    std::size_t t = 0;
    std::size_t star = std::string_view::npos;
    std::size_t mark = 0;
    const auto same = [case_insensitive](char a, char b) {
        return case_insensitive ? ascii::iequals(std::string_view{&a, 1}, std::string_view{&b, 1})
                                : a == b;
    };
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || same(pattern[p], text[t]))) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

// Splits an ARN into its first five fields and the resource part; false when there are
// fewer than six fields.
bool split_arn(std::string_view arn, std::string_view (&fields)[6]) noexcept {
    for (int i = 0; i < 5; ++i) {
        const auto colon = arn.find(':');
        if (colon == std::string_view::npos) {
            return false;
        }
        fields[i] = arn.substr(0, colon);
        arn.remove_prefix(colon + 1);
    }
    fields[5] = arn;
    return true;
}

// A string or a list of strings into `out`; false for anything else.
bool string_or_list(const json::value& v, std::vector<std::string>& out) {
    out.clear();
    if (const auto* s = v.if_string()) {
        out.emplace_back(s->data(), s->size());
        return true;
    }
    const auto* a = v.if_array();
    if (a == nullptr) {
        return false;
    }
    for (const auto& item : *a) {
        const auto* s = item.if_string();
        if (s == nullptr) {
            return false;
        }
        out.emplace_back(s->data(), s->size());
    }
    return true;
}

json::value string_or_list_to_json(const std::vector<std::string>& v) {
    if (v.size() == 1) {
        return json::value(v.front());
    }
    json::array a;
    for (const auto& s : v) {
        a.emplace_back(s);
    }
    return a;
}

std::string where(std::size_t index) {
    return "policyDocument.Statement[" + std::to_string(index) + "]";
}

result<policy_statement> statement_from_json(const json::value& v, std::size_t index) {
    const auto* o = v.if_object();
    if (o == nullptr) {
        return fail(errc::parse_error, where(index) + " must be an object");
    }
    policy_statement st;
    const auto* effect = o->if_contains(key::effect);
    const auto* effect_text = effect != nullptr ? effect->if_string() : nullptr;
    if (effect_text == nullptr) {
        return fail(errc::parse_error, where(index) + ".Effect is missing");
    }
    if (*effect_text == "Allow") {
        st.effect = policy_effect::allow;
    } else if (*effect_text == "Deny") {
        st.effect = policy_effect::deny;
    } else {
        return fail(errc::parse_error, where(index) + ".Effect must be Allow or Deny");
    }
    const auto* action = o->if_contains(key::action);
    if (action == nullptr || !string_or_list(*action, st.actions)) {
        return fail(errc::parse_error,
                    where(index) + ".Action must be a string or a list of strings");
    }
    const auto* resource = o->if_contains(key::resource);
    if (resource == nullptr || !string_or_list(*resource, st.resources)) {
        return fail(errc::parse_error,
                    where(index) + ".Resource must be a string or a list of strings");
    }
    return st;
}

}  // namespace

const std::string* authorizer_request::header(std::string_view name) const noexcept {
    return headers ? find_header(*headers, name) : nullptr;
}

const std::string* authorizer_request::query(std::string_view name) const noexcept {
    return find_query(query_string_parameters, multi_value_query_string_parameters, name);
}

authorizer_request make_authorizer_request(const websocket_event& connect, std::string method_arn) {
    authorizer_request r;
    r.method_arn = std::move(method_arn);
    r.headers = connect.headers;
    r.multi_value_headers = connect.multi_value_headers;
    r.query_string_parameters = connect.query_string_parameters;
    r.multi_value_query_string_parameters = connect.multi_value_query_string_parameters;
    r.stage_variables = connect.stage_variables;
    r.request_context = connect.request_context;
    r.request_context.authorizer.reset();
    return r;
}

result<authorizer_request> authorizer_request_from_json(const json::value& v) {
    // The CONNECT members map exactly as a proxy event's; `type` and `methodArn` land in the
    // event's `extra` and are taken out of it here.
    auto ev = event_from_json(v);
    if (!ev) {
        return ev.error();
    }
    authorizer_request r;
    if (const auto* t = ev->extra.if_contains(key::type)) {
        const auto* s = t->if_string();
        if (s == nullptr) {
            return fail(errc::parse_error, "member 'type' must be a string");
        }
        r.type.assign(s->data(), s->size());
        ev->extra.erase(key::type);
    }
    const auto* arn = ev->extra.if_contains(key::method_arn);
    const auto* arn_text = arn != nullptr ? arn->if_string() : nullptr;
    if (arn_text == nullptr) {
        return fail(errc::parse_error, "missing member 'methodArn' (a string)");
    }
    r.method_arn.assign(arn_text->data(), arn_text->size());
    ev->extra.erase(key::method_arn);
    r.headers = std::move(ev->headers);
    r.multi_value_headers = std::move(ev->multi_value_headers);
    r.query_string_parameters = std::move(ev->query_string_parameters);
    r.multi_value_query_string_parameters = std::move(ev->multi_value_query_string_parameters);
    r.stage_variables = std::move(ev->stage_variables);
    r.request_context = std::move(ev->request_context);
    r.extra = std::move(ev->extra);
    // A body or isBase64Encoded, if an odd caller sent them, are not authorizer members.
    if (ev->body) {
        r.extra.emplace("body", *ev->body);
    }
    return r;
}

result<authorizer_request> parse_authorizer_request(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) {
        return fail(errc::parse_error, "authorizer event is not valid JSON: " + ec.message());
    }
    return authorizer_request_from_json(v);
}

json::value to_json(const authorizer_request& r) {
    websocket_event ev;
    ev.headers = r.headers;
    ev.multi_value_headers = r.multi_value_headers;
    ev.query_string_parameters = r.query_string_parameters;
    ev.multi_value_query_string_parameters = r.multi_value_query_string_parameters;
    ev.stage_variables = r.stage_variables;
    ev.request_context = r.request_context;
    ev.extra = r.extra;
    json::value mapped = to_json(ev);
    json::object& members = mapped.as_object();
    members.erase(key::is_base64_encoded);  // not part of an authorizer event
    json::object out;
    out.reserve(members.size() + 2);
    out.emplace(key::type, r.type);
    out.emplace(key::method_arn, r.method_arn);
    for (auto& kv : members) {
        out.emplace(kv.key(), std::move(kv.value()));
    }
    return out;
}

std::string serialize(const authorizer_request& r) {
    return json::serialize(to_json(r));
}

result<void> validate_context(const json::object& context) {
    for (const auto& kv : context) {
        if (!is_scalar(kv.value())) {
            return fail(errc::invalid_argument,
                        "authorizer context value '" + std::string{kv.key()} +
                            "' must be a string, number or boolean (API Gateway refuses "
                            "objects, arrays and null)");
        }
    }
    return {};
}

result<authorizer_response> authorizer_response::allow(std::string principal_id,
                                                       std::string resource,
                                                       json::object context) {
    if (auto valid = validate_context(context); !valid) {
        return valid.error();
    }
    authorizer_response r;
    r.principal_id = std::move(principal_id);
    r.statements.push_back(policy_statement{.effect = policy_effect::allow,
                                            .actions = {std::string{action_invoke}},
                                            .resources = {std::move(resource)}});
    r.context = std::move(context);
    return r;
}

authorizer_response authorizer_response::deny(std::string principal_id, std::string resource) {
    authorizer_response r;
    r.principal_id = std::move(principal_id);
    r.statements.push_back(policy_statement{.effect = policy_effect::deny,
                                            .actions = {std::string{action_invoke}},
                                            .resources = {std::move(resource)}});
    return r;
}

error unauthorized() {
    return error{errc::unauthorized, "Unauthorized"};
}

result<authorizer_response> authorizer_response_from_json(const json::value& v) {
    const auto* o = v.if_object();
    if (o == nullptr) {
        return fail(errc::parse_error, "authorizer response must be a JSON object");
    }
    authorizer_response r;
    const auto* principal = o->if_contains(key::principal_id);
    if (principal == nullptr || principal->is_null()) {
        return fail(errc::parse_error, "authorizer response has no principalId");
    }
    if (const auto* s = principal->if_string()) {
        r.principal_id.assign(s->data(), s->size());
    } else if (is_scalar(*principal)) {
        r.principal_id = json::serialize(*principal);
    } else {
        return fail(errc::parse_error, "authorizer response principalId must be a string");
    }
    const auto* doc = o->if_contains(key::policy_document);
    const auto* doc_object = doc != nullptr ? doc->if_object() : nullptr;
    if (doc_object == nullptr) {
        return fail(errc::parse_error, "authorizer response has no policyDocument object");
    }
    if (const auto* version = doc_object->if_contains(key::version)) {
        if (const auto* s = version->if_string()) {
            r.policy_version.assign(s->data(), s->size());
        }
    }
    const auto* statements = doc_object->if_contains(key::statement);
    if (statements == nullptr) {
        return fail(errc::parse_error, "policyDocument has no Statement");
    }
    if (const auto* list = statements->if_array()) {
        for (std::size_t i = 0; i < list->size(); ++i) {
            auto st = statement_from_json((*list)[i], i);
            if (!st) {
                return st.error();
            }
            r.statements.push_back(std::move(*st));
        }
    } else {
        auto st = statement_from_json(*statements, 0);
        if (!st) {
            return st.error();
        }
        r.statements.push_back(std::move(*st));
    }
    if (const auto* context = o->if_contains(key::context); context && !context->is_null()) {
        const auto* members = context->if_object();
        if (members == nullptr) {
            return fail(errc::parse_error, "authorizer response context must be an object");
        }
        if (auto valid = validate_context(*members); !valid) {
            return fail(errc::parse_error, valid.error().message);
        }
        r.context = *members;
    }
    if (const auto* key_value = o->if_contains(key::usage_identifier_key)) {
        if (const auto* s = key_value->if_string()) {
            r.usage_identifier_key = std::string{s->data(), s->size()};
        }
    }
    return r;
}

result<authorizer_response> parse_authorizer_response(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) {
        return fail(errc::parse_error, "authorizer response is not valid JSON: " + ec.message());
    }
    return authorizer_response_from_json(v);
}

json::value to_json(const authorizer_response& r) {
    json::array statements;
    for (const auto& st : r.statements) {
        json::object s;
        s.emplace(key::action, string_or_list_to_json(st.actions));
        s.emplace(key::effect, st.effect == policy_effect::allow ? "Allow" : "Deny");
        s.emplace(key::resource, string_or_list_to_json(st.resources));
        statements.emplace_back(std::move(s));
    }
    json::object doc;
    doc.emplace(key::version, r.policy_version);
    doc.emplace(key::statement, std::move(statements));
    json::object out;
    out.emplace(key::principal_id, r.principal_id);
    out.emplace(key::policy_document, std::move(doc));
    if (!r.context.empty()) {
        out.emplace(key::context, r.context);
    }
    if (r.usage_identifier_key) {
        out.emplace(key::usage_identifier_key, *r.usage_identifier_key);
    }
    return out;
}

std::string serialize(const authorizer_response& r) {
    return json::serialize(to_json(r));
}

bool arn_matches(std::string_view pattern, std::string_view arn) noexcept {
    if (pattern == "*") {
        return true;
    }
    std::string_view p[6];
    std::string_view a[6];
    if (!split_arn(arn, a)) {
        return glob(pattern, arn, false);  // not ARN-shaped: a plain glob
    }
    if (!split_arn(pattern, p)) {
        return false;  // fewer fields than an ARN: IAM matches nothing with it
    }
    for (int i = 0; i < 6; ++i) {
        if (!glob(p[i], a[i], false)) {
            return false;
        }
    }
    return true;
}

policy_decision evaluate_policy(const authorizer_response& r,
                                std::string_view method_arn) noexcept {
    bool allowed = false;
    for (const auto& st : r.statements) {
        bool action = false;
        for (const auto& a : st.actions) {
            action = action || glob(a, action_invoke, true);
        }
        bool resource = false;
        for (const auto& res : st.resources) {
            resource = resource || arn_matches(res, method_arn);
        }
        if (!action || !resource) {
            continue;
        }
        if (st.effect == policy_effect::deny) {
            return policy_decision::explicitly_denied;
        }
        allowed = true;
    }
    return allowed ? policy_decision::allowed : policy_decision::not_allowed;
}

json::object authorizer_context(const authorizer_response& r) {
    json::object out;
    out.reserve(r.context.size() + 1);
    out.emplace(key::principal_id, r.principal_id);
    for (const auto& kv : r.context) {
        if (kv.key() != key::principal_id) {
            out.emplace(kv.key(), kv.value());
        }
    }
    return out;
}

result<identity_source> identity_source::parse(std::string_view text) {
    const auto invalid = [text] {
        return fail(errc::invalid_argument, "identity source '" + std::string{text} +
                                                "' is not route.request.header.<Name> or "
                                                "route.request.querystring.<Name>");
    };
    std::string_view rest = text;
    if (rest.rfind("route.request.", 0) == 0) {
        rest.remove_prefix(std::string_view{"route.request."}.size());
    } else if (rest.rfind("$request.", 0) == 0) {
        rest.remove_prefix(std::string_view{"$request."}.size());
    } else {
        return invalid();
    }
    identity_source s;
    if (rest.rfind("header.", 0) == 0) {
        s.where = location::header;
        rest.remove_prefix(std::string_view{"header."}.size());
    } else if (rest.rfind("querystring.", 0) == 0) {
        s.where = location::querystring;
        rest.remove_prefix(std::string_view{"querystring."}.size());
    } else {
        return invalid();
    }
    if (rest.empty()) {
        return invalid();
    }
    s.name = std::string{rest};
    return s;
}

bool identity_source::present_in(const websocket_event& connect) const noexcept {
    const std::string* value =
        where == location::header ? connect.header(name) : connect.query(name);
    return value != nullptr && !value->empty();
}

std::string identity_source::to_string() const {
    return std::string{where == location::header ? "route.request.header."
                                                 : "route.request.querystring."} +
           name;
}

}  // namespace lift
