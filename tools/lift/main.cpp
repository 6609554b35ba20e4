// lift — developer tool for Lift applications.
//
//   lift event message --route-key sendmessage --body '{"action":"sendmessage"}'
//   lift route --routes join,leave '{"action":"join"}'
//   lift table create --name connections --endpoint http://127.0.0.1:8000
//   lift gateway --route '$default=dist/echo/bootstrap'
//   lift invoke --event event.json dist/echo/bootstrap
//   lift package --target example-chat --out dist/
#include <cstdio>
#include <exception>
#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"

int main(int argc, char** argv) {
    CLI::App cli{"lift: tools for Lift WebSocket applications on API Gateway and Lambda", "lift"};
    cli.footer(
        "Run a Lift application itself (e.g. build/bin/example-chat) to get the local gateway;\n"
        "`lift SUBCOMMAND --help` explains each subcommand.");
    cli.set_version_flag("--version", std::string{"lift 0.1.0"});
    cli.require_subcommand(1);
    std::map<const CLI::App*, lift::tool::command> commands;
    auto add = [&](lift::tool::command (*make)(CLI::App&)) {
        const std::size_t before = cli.get_subcommands({}).size();
        auto run = make(cli);
        commands.emplace(cli.get_subcommands({})[before], std::move(run));
    };
    add(&lift::tool::add_event_command);
    add(&lift::tool::add_route_command);
    add(&lift::tool::add_table_command);
    add(&lift::tool::add_gateway_command);
    add(&lift::tool::add_invoke_command);
    add(&lift::tool::add_package_command);
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    }
    try {
        for (const auto& [sub, run] : commands) {
            if (sub->parsed()) {
                return run();
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lift: %s\n", e.what());
        return 1;
    }
    return 0;
}
