// Reads a SAM/CloudFormation template into an api_config (see template.hpp). The resolver only
// evaluates the properties the gateway needs; an unservable template is reported through a
// private exception caught at the two public entry points (the resolution is recursive and
// every level can fail).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <lift/gateway/template.hpp>

#include "yaml.hpp"

namespace lift::gateway {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr int max_resolve_depth = 64;

struct unservable {
    std::string message;
};

[[noreturn]] void reject(std::string message) {
    throw unservable{std::move(message)};
}

std::string kind_of(const json::value& v) {
    switch (v.kind()) {
        case json::kind::object:
            return "a mapping";
        case json::kind::array:
            return "a list";
        case json::kind::null:
            return "null";
        default:
            return "a scalar";
    }
}

bool is_provided_runtime(const std::string& r) {
    return r == "provided" || r == "provided.al2" || r == "provided.al2023";
}

bool is_node_runtime(const std::string& r) {
    return r.rfind("nodejs", 0) == 0;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
        if (p == std::string::npos) {
            return out;
        }
        start = p + 1;
    }
}

// "dir/./" → "dir"; keeps the path absolute.
std::string clean_path(const fs::path& p) {
    fs::path n = p.lexically_normal();
    if (!n.has_filename() && n.has_parent_path() && n != n.root_path()) {
        n = n.parent_path();
    }
    return n.string();
}

class resolver {
public:
    resolver(const json::object& root, const template_options& options)
        : root_(root),
          options_(options) {
        if (const auto* r = root.if_contains("Resources"); r && r->is_object()) {
            resources_ = &r->as_object();
        }
        if (const auto* p = root.if_contains("Parameters"); p && p->is_object()) {
            parameters_ = &p->as_object();
        }
        if (const auto* c = root.if_contains("Conditions"); c && c->is_object()) {
            conditions_ = &c->as_object();
        }
        if (const auto* m = root.if_contains("Mappings"); m && m->is_object()) {
            mappings_ = &m->as_object();
        }
    }

    const json::object* resources() const { return resources_; }

    const json::object& resource(const std::string& id) const {
        return resources_->at(id).as_object();
    }

    std::string type_of(const std::string& id) const {
        const auto* t = resource(id).if_contains("Type");
        return t && t->is_string() ? std::string(t->as_string()) : std::string();
    }

    const json::object& properties(const std::string& id) const {
        static const json::object empty;
        const auto* p = resource(id).if_contains("Properties");
        return p && p->is_object() ? p->as_object() : empty;
    }

    // Whether the resource exists in this deployment (its `Condition`, if any, is true).
    bool is_active(const std::string& id) {
        const auto* c = resource(id).if_contains("Condition");
        if (!c) {
            return true;
        }
        if (!c->is_string()) {
            reject(fmt::format("resource {}: Condition must be a condition name", id));
        }
        return condition(std::string(c->as_string()), id);
    }

    // Resolves every intrinsic in `v`; nullopt is AWS::NoValue. `where` names the resource.
    std::optional<json::value> resolve(const json::value& v, const std::string& where) {
        if (++depth_ > max_resolve_depth) {
            reject(
                fmt::format("resource {}: references nest too deeply (a reference cycle?)", where));
        }

        struct leave {
            int& d;

            ~leave() { --d; }
        } guard{depth_};

        if (v.is_array()) {
            json::array out;
            for (const auto& e : v.as_array()) {
                if (auto r = resolve(e, where)) {
                    out.push_back(std::move(*r));
                }
            }
            return json::value(std::move(out));
        }
        if (!v.is_object()) {
            return v;
        }
        const auto& o = v.as_object();
        if (o.size() == 1) {
            const auto& [key, arg] = *o.begin();
            const std::string k(key);
            if (k == "Ref") {
                return ref(string_arg(arg, "Ref", where), where);
            }
            if (k.rfind("Fn::", 0) == 0) {
                return intrinsic(k, arg, where);
            }
        }
        json::object out;
        for (const auto& [key, member] : o) {
            if (auto r = resolve(member, where)) {
                out[key] = std::move(*r);
            }
        }
        return json::value(std::move(out));
    }

    // Resolves `v` to a string (numbers and booleans as text).
    std::string resolve_string(const json::value& v,
                               const std::string& where,
                               const std::string& what) {
        auto r = resolve(v, where);
        if (!r) {
            reject(fmt::format("resource {}: {} is AWS::NoValue", where, what));
        }
        return to_text(*r, where, what);
    }

    std::string to_text(const json::value& v,
                        const std::string& where,
                        const std::string& what) const {
        switch (v.kind()) {
            case json::kind::string:
                return std::string(v.as_string());
            case json::kind::int64:
                return std::to_string(v.as_int64());
            case json::kind::uint64:
                return std::to_string(v.as_uint64());
            case json::kind::double_:
                return fmt::format("{}", v.as_double());
            case json::kind::bool_:
                return v.as_bool() ? "true" : "false";
            default:
                reject(fmt::format("resource {}: {} must be a string, got {}", where, what,
                                   kind_of(v)));
        }
    }

    // What `Ref` of a resource gives locally: its name property, else its logical id.
    std::string physical_name(const std::string& id) {
        static const std::map<std::string, std::string> name_property = {
            {"AWS::Serverless::Function", "FunctionName"},
            {"AWS::Lambda::Function", "FunctionName"},
            {"AWS::DynamoDB::Table", "TableName"},
            {"AWS::Serverless::SimpleTable", "TableName"},
            {"AWS::SQS::Queue", "QueueName"},
            {"AWS::SNS::Topic", "TopicName"},
            {"AWS::S3::Bucket", "BucketName"},
            {"AWS::IAM::Role", "RoleName"},
        };
        const auto it = name_property.find(type_of(id));
        if (it != name_property.end()) {
            if (const auto* n = properties(id).if_contains(it->second)) {
                return resolve_string(*n, id, it->second);
            }
        }
        return id;
    }

    std::string function_arn(const std::string& id) {
        return fmt::format("arn:aws:lambda:{}:{}:function:{}", options_.region, options_.account_id,
                           physical_name(id));
    }

private:
    const json::object& root_;
    const template_options& options_;
    const json::object* resources_ = nullptr;
    const json::object* parameters_ = nullptr;
    const json::object* conditions_ = nullptr;
    const json::object* mappings_ = nullptr;
    std::map<std::string, bool> condition_cache_;
    std::set<std::string> evaluating_;
    int depth_ = 0;

    bool has_resource(const std::string& id) const {
        return resources_ && resources_->contains(id) && resources_->at(id).is_object();
    }

    std::string string_arg(const json::value& arg, const char* fn, const std::string& where) {
        if (!arg.is_string()) {
            reject(fmt::format("resource {}: {} needs a name, got {}", where, fn, kind_of(arg)));
        }
        return std::string(arg.as_string());
    }

    std::optional<json::value> ref(const std::string& name, const std::string& where) {
        if (name == "AWS::NoValue") {
            return std::nullopt;
        }
        if (name == "AWS::Region") {
            return json::value(options_.region);
        }
        if (name == "AWS::AccountId") {
            return json::value(options_.account_id);
        }
        if (name == "AWS::StackName") {
            return json::value(options_.stack_name);
        }
        if (name == "AWS::StackId") {
            return json::value(fmt::format("arn:aws:cloudformation:{}:{}:stack/{}/local",
                                           options_.region, options_.account_id,
                                           options_.stack_name));
        }
        if (name == "AWS::Partition") {
            return json::value("aws");
        }
        if (name == "AWS::URLSuffix") {
            return json::value("amazonaws.com");
        }
        if (name == "AWS::NotificationARNs") {
            return json::value(json::array{});
        }
        if (parameters_ && parameters_->contains(name)) {
            return parameter(name, where);
        }
        if (has_resource(name)) {
            return json::value(physical_name(name));
        }
        reject(
            fmt::format("resource {}: Ref to '{}', which is neither a parameter nor a "
                        "resource of the template",
                        where, name));
    }

    json::value parameter(const std::string& name, const std::string& where) {
        const auto& decl = parameters_->at(name);
        std::string type = "String";
        if (decl.is_object()) {
            if (const auto* t = decl.as_object().if_contains("Type"); t && t->is_string()) {
                type = std::string(t->as_string());
            }
        }
        std::string value;
        if (const auto it = options_.parameters.find(name); it != options_.parameters.end()) {
            value = it->second;
        } else if (const auto* d =
                       decl.is_object() ? decl.as_object().if_contains("Default") : nullptr) {
            if (d->is_array()) {  // a list Default: keep it a list
                return *d;
            }
            value = to_text(*d, where, fmt::format("Default of parameter {}", name));
        } else {
            reject(
                fmt::format("resource {}: parameter {} has no Default and no value was given "
                            "(pass it as a parameter override)",
                            where, name));
        }
        if (type == "CommaDelimitedList" || type.rfind("List<", 0) == 0) {
            json::array list;
            for (auto& item : split(value, ',')) {
                const auto b = item.find_first_not_of(' ');
                const auto e = item.find_last_not_of(' ');
                list.emplace_back(b == std::string::npos ? "" : item.substr(b, e - b + 1));
            }
            return list;
        }
        return json::value(value);
    }

    std::string get_att(const std::string& id, const std::string& attr, const std::string& where) {
        if (!has_resource(id)) {
            reject(
                fmt::format("resource {}: Fn::GetAtt of '{}', which is not a resource of "
                            "the template",
                            where, id));
        }
        const std::string type = type_of(id);
        if (type == "AWS::Serverless::Function" || type == "AWS::Lambda::Function") {
            if (attr == "Arn") {
                return function_arn(id);
            }
        } else if (type == "AWS::DynamoDB::Table" || type == "AWS::Serverless::SimpleTable") {
            if (attr == "Arn") {
                return fmt::format("arn:aws:dynamodb:{}:{}:table/{}", options_.region,
                                   options_.account_id, physical_name(id));
            }
        } else if (type == "AWS::ApiGatewayV2::Api") {
            if (attr == "ApiId") {
                return physical_name(id);
            }
            if (attr == "ApiEndpoint") {
                return fmt::format("wss://{}.execute-api.{}.amazonaws.com", physical_name(id),
                                   options_.region);
            }
        } else if (attr == "Arn" && type.rfind("AWS::", 0) == 0) {
            const auto service = split(type, ':').at(2);
            std::string lower;
            for (const char c : service) {
                lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            return fmt::format("arn:aws:{}:{}:{}:{}", lower, options_.region, options_.account_id,
                               physical_name(id));
        }
        reject(fmt::format("resource {}: Fn::GetAtt {}.{} ({}) is not supported locally", where, id,
                           attr, type));
    }

    std::string sub(const std::string& text, const json::object* vars, const std::string& where) {
        std::string out;
        std::size_t i = 0;
        while (i < text.size()) {
            const auto open = text.find("${", i);
            if (open == std::string::npos) {
                out += text.substr(i);
                break;
            }
            out += text.substr(i, open - i);
            const auto close = text.find('}', open);
            if (close == std::string::npos) {
                reject(fmt::format("resource {}: Fn::Sub string has an unclosed '${{': {}", where,
                                   text));
            }
            const std::string name = text.substr(open + 2, close - open - 2);
            if (!name.empty() && name[0] == '!') {  // ${!Literal} is the text ${Literal}
                out += "${" + name.substr(1) + "}";
            } else if (vars && vars->contains(name)) {
                out += resolve_string(vars->at(name), where, "Fn::Sub variable " + name);
            } else if (const auto dot = name.find('.'); dot != std::string::npos) {
                out += get_att(name.substr(0, dot), name.substr(dot + 1), where);
            } else {
                const auto r = ref(name, where);
                out += r ? to_text(*r, where, "${" + name + "}") : std::string();
            }
            i = close + 1;
        }
        return out;
    }

    const json::array& list_arg(const json::value& arg,
                                const std::string& fn,
                                std::size_t n,
                                const std::string& where) {
        if (!arg.is_array() || arg.as_array().size() != n) {
            reject(fmt::format("resource {}: {} needs a list of {} items", where, fn, n));
        }
        return arg.as_array();
    }

    json::array resolve_list(const json::value& v,
                             const std::string& where,
                             const std::string& what) {
        auto r = resolve(v, where);
        if (!r || !r->is_array()) {
            reject(fmt::format("resource {}: {} must be a list", where, what));
        }
        return std::move(r->as_array());
    }

    std::optional<json::value> intrinsic(const std::string& fn,
                                         const json::value& arg,
                                         const std::string& where) {
        if (fn == "Fn::GetAtt") {
            std::vector<std::string> parts;
            if (arg.is_string()) {
                const std::string s(arg.as_string());
                const auto dot = s.find('.');
                if (dot == std::string::npos) {
                    reject(fmt::format("resource {}: Fn::GetAtt needs Resource.Attribute", where));
                }
                parts = {s.substr(0, dot), s.substr(dot + 1)};
            } else {
                const auto& a = list_arg(arg, fn, 2, where);
                parts = {resolve_string(a[0], where, "Fn::GetAtt resource"),
                         resolve_string(a[1], where, "Fn::GetAtt attribute")};
            }
            return json::value(get_att(parts[0], parts[1], where));
        }
        if (fn == "Fn::Sub") {
            if (arg.is_string()) {
                return json::value(sub(std::string(arg.as_string()), nullptr, where));
            }
            const auto& a = list_arg(arg, fn, 2, where);
            if (!a[0].is_string() || !a[1].is_object()) {
                reject(fmt::format("resource {}: Fn::Sub needs [string, {{variables}}]", where));
            }
            return json::value(sub(std::string(a[0].as_string()), &a[1].as_object(), where));
        }
        if (fn == "Fn::Join") {
            const auto& a = list_arg(arg, fn, 2, where);
            const std::string sep = resolve_string(a[0], where, "Fn::Join delimiter");
            std::string out;
            bool first = true;
            for (const auto& item : resolve_list(a[1], where, "the Fn::Join list")) {
                out += first ? "" : sep;
                out += to_text(item, where, "a Fn::Join item");
                first = false;
            }
            return json::value(out);
        }
        if (fn == "Fn::Select") {
            const auto& a = list_arg(arg, fn, 2, where);
            const auto index = resolve_string(a[0], where, "Fn::Select index");
            const auto list = resolve_list(a[1], where, "the Fn::Select list");
            std::size_t n = 0;
            try {
                n = std::stoul(index);
            } catch (const std::exception&) {
                reject(fmt::format("resource {}: Fn::Select index '{}' is not a number", where,
                                   index));
            }
            if (n >= list.size()) {
                reject(fmt::format("resource {}: Fn::Select index {} is out of range", where, n));
            }
            return list[n];
        }
        if (fn == "Fn::Split") {
            const auto& a = list_arg(arg, fn, 2, where);
            const auto sep = resolve_string(a[0], where, "Fn::Split delimiter");
            const auto text = resolve_string(a[1], where, "Fn::Split string");
            json::array out;
            if (sep.empty()) {
                out.emplace_back(text);
            } else {
                std::size_t start = 0;
                for (auto p = text.find(sep); p != std::string::npos; p = text.find(sep, start)) {
                    out.emplace_back(text.substr(start, p - start));
                    start = p + sep.size();
                }
                out.emplace_back(text.substr(start));
            }
            return json::value(std::move(out));
        }
        if (fn == "Fn::If") {
            const auto& a = list_arg(arg, fn, 3, where);
            const auto name = string_arg(a[0], "Fn::If", where);
            return resolve(condition(name, where) ? a[1] : a[2], where);
        }
        if (fn == "Fn::FindInMap") {
            const auto& a = list_arg(arg, fn, 3, where);
            const auto map = resolve_string(a[0], where, "Fn::FindInMap map");
            const auto top = resolve_string(a[1], where, "Fn::FindInMap key");
            const auto second = resolve_string(a[2], where, "Fn::FindInMap key");
            const json::value* v = nullptr;
            if (mappings_ && mappings_->contains(map) && mappings_->at(map).is_object()) {
                const auto& m = mappings_->at(map).as_object();
                if (m.contains(top) && m.at(top).is_object()) {
                    v = m.at(top).as_object().if_contains(second);
                }
            }
            if (!v) {
                reject(fmt::format("resource {}: Fn::FindInMap {}/{}/{} is not in Mappings", where,
                                   map, top, second));
            }
            return resolve(*v, where);
        }
        reject(fmt::format("resource {}: intrinsic function {} is not supported by lift gateway",
                           where, fn));
    }

    bool condition(const std::string& name, const std::string& where) {
        if (const auto it = condition_cache_.find(name); it != condition_cache_.end()) {
            return it->second;
        }
        if (!conditions_ || !conditions_->contains(name)) {
            reject(fmt::format("resource {}: condition {} is not in Conditions", where, name));
        }
        if (!evaluating_.insert(name).second) {
            reject(fmt::format("condition {} refers to itself", name));
        }
        const bool v = condition_expr(conditions_->at(name), name);
        evaluating_.erase(name);
        condition_cache_[name] = v;
        return v;
    }

    bool condition_expr(const json::value& e, const std::string& where) {
        if (e.is_object() && e.as_object().size() == 1) {
            const auto& [key, arg] = *e.as_object().begin();
            const std::string k(key);
            if (k == "Condition") {
                return condition(string_arg(arg, "Condition", where), where);
            }
            if (k == "Fn::Equals") {
                const auto& a = list_arg(arg, k, 2, where);
                auto l = resolve(a[0], where);
                auto r = resolve(a[1], where);
                return l && r &&
                       to_text(*l, where, "Fn::Equals") == to_text(*r, where, "Fn::Equals");
            }
            if (k == "Fn::Not") {
                return !condition_expr(list_arg(arg, k, 1, where)[0], where);
            }
            if ((k == "Fn::And" || k == "Fn::Or") && arg.is_array()) {
                const bool is_and = k == "Fn::And";
                for (const auto& c : arg.as_array()) {
                    if (condition_expr(c, where) != is_and) {
                        return !is_and;
                    }
                }
                return is_and;
            }
        }
        reject(fmt::format("condition {}: unsupported condition expression", where));
    }
};

// The function name in an integration URI (`arn:aws:apigateway:R:lambda:path/2015-03-31/
// functions/<function arn>/invocations`, or a function ARN), or empty.
std::string function_name_from_uri(const std::string& uri) {
    std::string arn = uri;
    const std::string marker = ":lambda:path/2015-03-31/functions/";
    const std::string suffix = "/invocations";
    if (const auto m = uri.find(marker);
        uri.rfind("arn:", 0) == 0 && m != std::string::npos && uri.size() >= suffix.size() &&
        uri.compare(uri.size() - suffix.size(), suffix.size(), suffix) == 0) {
        arn = uri.substr(m + marker.size(), uri.size() - suffix.size() - (m + marker.size()));
    }
    const auto parts = split(arn, ':');
    if (parts.size() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function") {
        return parts[6];
    }
    return {};
}

int int_property(resolver& r,
                 const json::object& props,
                 const char* key,
                 int fallback,
                 int lo,
                 int hi,
                 const std::string& id) {
    const auto* v = props.if_contains(key);
    if (!v) {
        return fallback;
    }
    const std::string text = r.resolve_string(*v, id, key);
    int n = 0;
    try {
        std::size_t used = 0;
        n = std::stoi(text, &used);
        if (used != text.size()) {
            throw std::invalid_argument(text);
        }
    } catch (const std::exception&) {
        reject(fmt::format("resource {}: {} '{}' is not a whole number", id, key, text));
    }
    if (n < lo || n > hi) {
        reject(fmt::format("resource {}: {} {} is out of range ({}..{})", id, key, n, lo, hi));
    }
    return n;
}

// Merges SAM Globals.Function under a function's Properties (maps merge, the function wins).
json::object merge_globals(const json::object& globals, const json::object& props) {
    json::object out = globals;
    for (const auto& [key, value] : props) {
        auto* g = out.if_contains(key);
        if (g && g->is_object() && value.is_object()) {
            bool intrinsic = value.as_object().size() == 1 &&
                             (value.as_object().begin()->key() == "Ref" ||
                              value.as_object().begin()->key().starts_with("Fn::"));
            if (!intrinsic) {
                *g = merge_globals(g->as_object(), value.as_object());
                continue;
            }
        }
        out[key] = value;
    }
    return out;
}

function_config make_function(resolver& r,
                              const std::string& id,
                              const json::object& root,
                              const fs::path& base,
                              const template_options& options) {
    const std::string type = r.type_of(id);
    json::object props = r.properties(id);
    if (type == "AWS::Serverless::Function") {
        const auto* g = root.if_contains("Globals");
        if (g && g->is_object()) {
            if (const auto* f = g->as_object().if_contains("Function"); f && f->is_object()) {
                props = merge_globals(f->as_object(), props);
            }
        }
    }
    function_config fn;
    fn.name = r.physical_name(id);
    if (const auto* p = props.if_contains("PackageType");
        p && r.resolve_string(*p, id, "PackageType") == "Image") {
        reject(
            fmt::format("resource {}: container image functions (PackageType: Image) are not "
                        "supported",
                        id));
    }
    const auto* runtime = props.if_contains("Runtime");
    if (!runtime) {
        reject(fmt::format("resource {}: function has no Runtime", id));
    }
    fn.runtime = r.resolve_string(*runtime, id, "Runtime");
    const bool provided = is_provided_runtime(fn.runtime);
    if (!provided && !is_node_runtime(fn.runtime)) {
        reject(
            fmt::format("resource {}: runtime {} cannot be run by lift gateway (it runs "
                        "provided.al2023, provided.al2, provided and nodejs* functions)",
                        id, fn.runtime));
    }
    if (const auto* h = props.if_contains("Handler")) {
        fn.handler = r.resolve_string(*h, id, "Handler");
    } else if (!provided) {
        reject(fmt::format("resource {}: a {} function needs a Handler", id, fn.runtime));
    }

    fs::path code;  // the executable (provided) or the code directory (nodejs)
    if (const auto it = options.code_overrides.find(id); it != options.code_overrides.end()) {
        code = fs::path(it->second);
    } else {
        const char* key = type == "AWS::Serverless::Function" ? "CodeUri" : "Code";
        const auto* c = props.if_contains(key);
        if (!c) {
            if (props.contains("InlineCode")) {
                reject(fmt::format("resource {}: InlineCode is not supported; use CodeUri", id));
            }
            reject(fmt::format("resource {}: function has no {}", id, key));
        }
        const auto v = r.resolve(*c, id);
        if (!v || !v->is_string()) {
            std::string what = "not a local path";
            if (v && v->is_object() && v->as_object().contains("ZipFile")) {
                what = "inline code (ZipFile)";
            } else if (v && v->is_object()) {
                what = "an S3 location";
            }
            reject(
                fmt::format("resource {}: {} is {}; build the function locally and pass its "
                            "path as a code override",
                            id, key, what));
        }
        const std::string uri(v->as_string());
        if (uri.rfind("s3://", 0) == 0 ||
            (uri.size() >= 4 && uri.substr(uri.size() - 4) == ".zip")) {
            reject(
                fmt::format("resource {}: {} '{}' is not a directory of the template; pass the "
                            "built function's path as a code override",
                            id, key, uri));
        }
        code = base / uri;
        if (provided) {
            code /= "bootstrap";
        }
    }
    if (provided) {
        fn.command = {clean_path(code)};
        fn.task_root = clean_path(fs::path(fn.command[0]).parent_path());
    } else {
        fn.task_root = clean_path(code);
    }
    if (const auto* env = props.if_contains("Environment")) {
        const auto e = r.resolve(*env, id);
        if (e && e->is_object()) {
            if (const auto* vars = e->as_object().if_contains("Variables")) {
                if (!vars->is_object()) {
                    reject(fmt::format("resource {}: Environment.Variables must be a mapping", id));
                }
                for (const auto& [k, val] : vars->as_object()) {
                    fn.environment[std::string(k)] =
                        r.to_text(val, id, fmt::format("environment variable {}", std::string(k)));
                }
            }
        }
    }
    fn.timeout_seconds = int_property(r, props, "Timeout", 3, 1, 900, id);
    fn.memory_mb = int_property(r, props, "MemorySize", 128, 128, 10240, id);
    if (props.contains("ReservedConcurrentExecutions")) {
        const int reserved =
            int_property(r, props, "ReservedConcurrentExecutions", 0, 0, 100000, id);
        if (reserved == 0) {
            reject(
                fmt::format("resource {}: ReservedConcurrentExecutions 0 means the function "
                            "can never run",
                            id));
        }
        fn.max_concurrency = std::min(reserved, fn.max_concurrency);
    }
    return fn;
}

api_config build(const json::value& doc, const fs::path& base, const template_options& options) {
    if (!doc.is_object()) {
        reject("the template is not a mapping");
    }
    const auto& root = doc.as_object();
    resolver r(root, options);
    if (!r.resources()) {
        reject("the template has no Resources mapping");
    }
    auto note = [&](const std::string& text) {
        if (options.on_note) {
            options.on_note(text);
        }
    };

    // Active resources by type, in template order.
    std::map<std::string, std::vector<std::string>> by_type;
    for (const auto& [key, value] : *r.resources()) {
        const std::string id(key);
        if (!value.is_object()) {
            reject(fmt::format("resource {}: not a mapping", id));
        }
        if (r.is_active(id)) {
            by_type[r.type_of(id)].push_back(id);
        }
    }
    auto of_type = [&](const std::string& t) -> const std::vector<std::string>& {
        return by_type[t];
    };

    std::vector<std::string> websocket_apis;
    for (const auto& id : of_type("AWS::ApiGatewayV2::Api")) {
        const auto* p = r.properties(id).if_contains("ProtocolType");
        const std::string protocol = p ? r.resolve_string(*p, id, "ProtocolType") : "";
        if (protocol == "WEBSOCKET") {
            websocket_apis.push_back(id);
        } else {
            note(
                fmt::format("{}: {} API ignored (lift gateway serves WebSocket APIs), with its "
                            "routes",
                            id, protocol.empty() ? "non-WebSocket" : protocol));
        }
    }
    for (const char* t : {"AWS::Serverless::Api", "AWS::Serverless::HttpApi"}) {
        for (const auto& id : of_type(t)) {
            note(fmt::format("{}: {} ignored (not a WebSocket API)", id, t));
        }
    }
    std::string api_id;
    if (!options.api.empty()) {
        if (!r.resources()->contains(options.api)) {
            reject(fmt::format("resource {}: no such resource in the template", options.api));
        }
        if (std::find(websocket_apis.begin(), websocket_apis.end(), options.api) ==
            websocket_apis.end()) {
            reject(
                fmt::format("resource {}: not an AWS::ApiGatewayV2::Api with ProtocolType "
                            "WEBSOCKET",
                            options.api));
        }
        api_id = options.api;
    } else if (websocket_apis.empty()) {
        reject("no AWS::ApiGatewayV2::Api with ProtocolType: WEBSOCKET in the template");
    } else if (websocket_apis.size() > 1) {
        std::string ids;
        for (const auto& id : websocket_apis) {
            ids += (ids.empty() ? "" : ", ") + id;
        }
        reject(fmt::format("the template has {} WebSocket APIs ({}); choose one by logical id",
                           websocket_apis.size(), ids));
    }
    if (api_id.empty()) {
        api_id = websocket_apis.front();
    }

    api_config api;
    const auto& api_props = r.properties(api_id);
    api.name = api_props.contains("Name") ? r.resolve_string(api_props.at("Name"), api_id, "Name")
                                          : api_id;
    const auto* rse = api_props.if_contains("RouteSelectionExpression");
    if (!rse) {
        reject(
            fmt::format("resource {}: a WebSocket API needs a RouteSelectionExpression", api_id));
    }
    api.route_selection_expression = r.resolve_string(*rse, api_id, "RouteSelectionExpression");
    const std::string api_ref = r.physical_name(api_id);

    auto belongs_to_api = [&](const std::string& id) {
        const auto* a = r.properties(id).if_contains("ApiId");
        if (!a) {
            reject(fmt::format("resource {}: no ApiId", id));
        }
        return r.resolve_string(*a, id, "ApiId") == api_ref;
    };

    // Functions by the name `Ref`/ARNs use.
    std::map<std::string, std::string> function_ids;
    for (const char* t : {"AWS::Serverless::Function", "AWS::Lambda::Function"}) {
        for (const auto& id : of_type(t)) {
            function_ids[r.physical_name(id)] = id;
        }
    }

    std::map<std::string, std::size_t> route_index;  // route logical id → index in api.routes
    std::vector<std::string> used_functions;
    for (const auto& id : of_type("AWS::ApiGatewayV2::Route")) {
        if (!belongs_to_api(id)) {
            note(fmt::format("{}: route of another API, ignored", id));
            continue;
        }
        const auto& props = r.properties(id);
        const auto* key = props.if_contains("RouteKey");
        if (!key) {
            reject(fmt::format("resource {}: route has no RouteKey", id));
        }
        route_binding route;
        route.route_key = r.resolve_string(*key, id, "RouteKey");
        const auto* target = props.if_contains("Target");
        if (!target) {
            reject(
                fmt::format("resource {}: route {} has no Target (lift gateway serves routes "
                            "integrated with a Lambda function)",
                            id, route.route_key));
        }
        const std::string t = r.resolve_string(*target, id, "Target");
        const std::string prefix = "integrations/";
        if (t.rfind(prefix, 0) != 0) {
            reject(
                fmt::format("resource {}: Target '{}' is not integrations/<IntegrationId>", id, t));
        }
        const std::string integration_ref = t.substr(prefix.size());
        std::string integration;
        for (const auto& iid : of_type("AWS::ApiGatewayV2::Integration")) {
            if (r.physical_name(iid) == integration_ref) {
                integration = iid;
            }
        }
        if (integration.empty()) {
            reject(
                fmt::format("resource {}: Target '{}' is not an "
                            "AWS::ApiGatewayV2::Integration of the template",
                            id, t));
        }
        const auto& iprops = r.properties(integration);
        const auto* itype = iprops.if_contains("IntegrationType");
        const std::string integration_type =
            itype ? r.resolve_string(*itype, integration, "IntegrationType") : "";
        if (integration_type != "AWS_PROXY") {
            reject(
                fmt::format("resource {}: IntegrationType {} is not supported (lift gateway "
                            "runs AWS_PROXY integrations with Lambda functions)",
                            integration, integration_type.empty() ? "(none)" : integration_type));
        }
        const auto* uri = iprops.if_contains("IntegrationUri");
        if (!uri) {
            reject(fmt::format("resource {}: integration has no IntegrationUri", integration));
        }
        const std::string uri_text = r.resolve_string(*uri, integration, "IntegrationUri");
        const auto fname = function_name_from_uri(uri_text);
        const auto fit = function_ids.find(fname);
        if (fname.empty() || fit == function_ids.end()) {
            reject(
                fmt::format("resource {}: IntegrationUri '{}' does not point at a Lambda "
                            "function of this template",
                            integration, uri_text));
        }
        route.function = fname;
        const auto* auth_type = props.if_contains("AuthorizationType");
        const std::string authorization =
            auth_type ? r.resolve_string(*auth_type, id, "AuthorizationType") : "NONE";
        const auto* auth_id = props.if_contains("AuthorizerId");
        if (authorization == "CUSTOM") {
            if (route.route_key != "$connect") {
                reject(
                    fmt::format("resource {}: AuthorizationType CUSTOM is only allowed on the "
                                "$connect route",
                                id));
            }
            if (!auth_id) {
                reject(
                    fmt::format("resource {}: AuthorizationType CUSTOM needs an AuthorizerId", id));
            }
            const std::string ref = r.resolve_string(*auth_id, id, "AuthorizerId");
            std::string authorizer;
            for (const auto& aid : of_type("AWS::ApiGatewayV2::Authorizer")) {
                if (r.physical_name(aid) == ref) {
                    authorizer = aid;
                }
            }
            if (authorizer.empty()) {
                reject(
                    fmt::format("resource {}: AuthorizerId '{}' is not an "
                                "AWS::ApiGatewayV2::Authorizer of the template",
                                id, ref));
            }
            const auto& aprops = r.properties(authorizer);
            const auto* atype = aprops.if_contains("AuthorizerType");
            const std::string authorizer_type =
                atype ? r.resolve_string(*atype, authorizer, "AuthorizerType") : "";
            if (authorizer_type != "REQUEST") {
                reject(
                    fmt::format("resource {}: AuthorizerType {} is not supported (WebSocket "
                                "APIs use REQUEST Lambda authorizers)",
                                authorizer, authorizer_type.empty() ? "(none)" : authorizer_type));
            }
            const auto* auri = aprops.if_contains("AuthorizerUri");
            if (!auri) {
                reject(fmt::format("resource {}: authorizer has no AuthorizerUri", authorizer));
            }
            const std::string auri_text = r.resolve_string(*auri, authorizer, "AuthorizerUri");
            const auto afname = function_name_from_uri(auri_text);
            const auto afit = function_ids.find(afname);
            if (afname.empty() || afit == function_ids.end()) {
                reject(
                    fmt::format("resource {}: AuthorizerUri '{}' does not point at a Lambda "
                                "function of this template",
                                authorizer, auri_text));
            }
            authorizer_binding binding;
            binding.function = afname;
            binding.name = aprops.contains("Name")
                               ? r.resolve_string(aprops.at("Name"), authorizer, "Name")
                               : authorizer;
            if (const auto* sources = aprops.if_contains("IdentitySource")) {
                const auto resolved = r.resolve(*sources, authorizer);
                if (resolved && resolved->is_array()) {
                    for (const auto& src : resolved->as_array()) {
                        binding.identity_sources.push_back(
                            r.to_text(src, authorizer, "IdentitySource"));
                    }
                } else if (resolved) {
                    // CloudFormation also takes one comma-separated string.
                    for (auto part :
                         split(r.to_text(*resolved, authorizer, "IdentitySource"), ',')) {
                        part.erase(0, part.find_first_not_of(' '));
                        part.erase(part.find_last_not_of(' ') + 1);
                        if (!part.empty()) {
                            binding.identity_sources.push_back(std::move(part));
                        }
                    }
                }
            }
            for (const auto& src : binding.identity_sources) {
                if (src.rfind("route.request.header.", 0) != 0 &&
                    src.rfind("route.request.querystring.", 0) != 0) {
                    reject(
                        fmt::format("resource {}: IdentitySource '{}' is not supported "
                                    "(route.request.header.<Name> or "
                                    "route.request.querystring.<Name>)",
                                    authorizer, src));
                }
            }
            if (std::find(used_functions.begin(), used_functions.end(), afit->second) ==
                used_functions.end()) {
                used_functions.push_back(afit->second);
            }
            api.authorizer = std::move(binding);
        } else if (auth_id) {
            note(fmt::format("{}: AuthorizerId without AuthorizationType CUSTOM, ignored", id));
        } else if (authorization != "NONE") {
            note(
                fmt::format("{}: AuthorizationType {} is not enforced locally", id, authorization));
        }
        for (const auto& existing : api.routes) {
            if (existing.route_key == route.route_key) {
                reject(fmt::format("resource {}: a second route for {}", id, route.route_key));
            }
        }
        if (std::find(used_functions.begin(), used_functions.end(), fit->second) ==
            used_functions.end()) {
            used_functions.push_back(fit->second);
        }
        route_index[r.physical_name(id)] = api.routes.size();
        api.routes.push_back(std::move(route));
    }
    if (api.routes.empty()) {
        reject(fmt::format("resource {}: the WebSocket API has no routes", api_id));
    }
    for (const auto& id : of_type("AWS::ApiGatewayV2::RouteResponse")) {
        if (!belongs_to_api(id)) {
            continue;
        }
        const auto* rid = r.properties(id).if_contains("RouteId");
        if (!rid) {
            reject(fmt::format("resource {}: route response has no RouteId", id));
        }
        const auto route = r.resolve_string(*rid, id, "RouteId");
        const auto it = route_index.find(route);
        if (it == route_index.end()) {
            reject(
                fmt::format("resource {}: RouteId '{}' is not a route of {}", id, route, api_id));
        }
        api.routes[it->second].two_way = true;
    }
    // Functions in template order.
    for (const auto& [key, value] : *r.resources()) {
        const std::string id(key);
        if (std::find(used_functions.begin(), used_functions.end(), id) != used_functions.end()) {
            api.functions.push_back(make_function(r, id, root, base, options));
        }
    }
    return api;
}

result<json::value> parse_json(std::string_view text, const std::string& source) {
    json::stream_parser p;
    boost::system::error_code ec;
    const std::size_t used = p.write(text.data(), text.size(), ec);
    if (!ec) {
        p.finish(ec);
    }
    if (ec) {
        std::size_t line = 1;
        std::size_t col = 1;
        for (std::size_t i = 0; i < used && i < text.size(); ++i) {
            if (text[i] == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
        return fail(errc::parse_error,
                    fmt::format("{}:{}:{}: invalid JSON: {}", source, line, col, ec.message()));
    }
    return p.release();
}

}  // namespace

result<api_config> load_template_text(std::string_view text,
                                      const std::string& base_dir,
                                      const template_options& options,
                                      const std::string& source) {
    const auto first = text.find_first_not_of(" \t\r\n");
    result<json::value> doc = (first != std::string_view::npos && text[first] == '{')
                                  ? parse_json(text, source)
                                  : detail::parse_yaml(text);
    if (!doc) {
        if (first != std::string_view::npos && text[first] == '{') {
            return doc.error();
        }
        return fail(errc::parse_error, fmt::format("{}:{}", source, doc.error().message));
    }
    std::error_code fs_ec;
    fs::path base = fs::absolute(base_dir.empty() ? fs::path(".") : fs::path(base_dir), fs_ec);
    if (fs_ec) {
        base = base_dir;
    }
    try {
        return build(*doc, base, options);
    } catch (const unservable& e) {
        return fail(errc::invalid_argument, fmt::format("{}: {}", source, e.message));
    }
}

result<api_config> load_template(const std::string& path, const template_options& options) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail(errc::not_found, fmt::format("cannot read template {}", path));
    }
    std::ostringstream text;
    text << in.rdbuf();
    const fs::path dir = fs::path(path).parent_path();
    return load_template_text(text.str(), dir.empty() ? "." : dir.string(), options, path);
}

}  // namespace lift::gateway
