// `lift route`: which route API Gateway would pick for a message body.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <lift/core/route_selection.hpp>

#include "commands.hpp"

namespace lift::tool {

namespace {

struct route_args {
    std::string expression{route_selection_expression::default_text};
    std::vector<std::string> routes;
    bool has_default = true;
    std::string body;
};

int select_route(const route_args& a) {
    auto expr = route_selection_expression::parse(a.expression);
    if (!expr) {
        std::fprintf(stderr, "lift route: %s\n", expr.error().message.c_str());
        return 2;
    }
    const auto value = expr->evaluate(std::string_view{a.body});
    if (!value) {
        fmt::print("expression: (body is not JSON)\n");
    } else {
        fmt::print("expression: \"{}\"\n", *value);
    }
    const bool custom = value && !value->empty() && (*value)[0] != '$';
    if (custom && (a.routes.empty() ||
                   std::find(a.routes.begin(), a.routes.end(), *value) != a.routes.end())) {
        fmt::print("route: {}\n", *value);
        return 0;
    }
    if (a.has_default) {
        fmt::print("route: $default\n");
        return 0;
    }
    fmt::print(
        "route: none: API Gateway answers "
        "{{\"message\": \"Forbidden\", \"connectionId\":\"…\", \"requestId\":\"…\"}}\n");
    return 0;
}

}  // namespace

command add_route_command(CLI::App& parent) {
    auto args = std::make_shared<route_args>();
    auto* sub = parent.add_subcommand(
        "route", "Evaluate a route selection expression against a message body");
    sub->add_option("body", args->body, "the message body (text frame)")->required();
    sub->add_option("-e,--expression", args->expression, "route selection expression")
        ->capture_default_str();
    sub->add_option("-r,--routes", args->routes,
                    "custom route keys that exist (comma-separated); default: any")
        ->delimiter(',');
    sub->add_flag("!--no-default", args->has_default, "the API has no $default route");
    return [args] {
        return select_route(*args);
    };
}

}  // namespace lift::tool
