// Lambda REQUEST authorizers written with Lift: the Lambda loop with a raw handler, or one
// event from a file/stdin for a local check.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <lift/runtime/authorizer.hpp>

namespace lift::runtime {

raw_outcome handle_authorizer_event(const authorizer_function& fn,
                                    std::string_view event,
                                    const logger& log) {
    auto request = parse_authorizer_request(event);
    if (!request) {
        log.error("event is not a Lambda REQUEST authorizer event: " + request.error().message);
        return raw_outcome::error(
            error_types::invalid_event,
            "event is not a Lambda REQUEST authorizer event: " + request.error().message);
    }
    result<authorizer_response> response = fail(errc::internal, "not run");
    try {
        response = fn(*request);
    } catch (const std::exception& e) {
        response = fail(errc::handler_failed, std::string{"exception: "} + e.what());
    } catch (...) {
        response = fail(errc::handler_failed, "unknown exception");
    }
    if (!response) {
        if (response.error().code == errc::unauthorized) {
            log.info("authorizer: Unauthorized");
            return raw_outcome::error(unauthorized_error_type, "Unauthorized");
        }
        log.error("authorizer failed: " + response.error().message);
        return raw_outcome::error(error_types::handler_failed, response.error().message);
    }
    if (auto valid = validate_context(response->context); !valid) {
        log.error("authorizer returned an invalid response: " + valid.error().message);
        return raw_outcome::error(error_types::handler_failed, valid.error().message);
    }
    return raw_outcome::ok(serialize(*response));
}

int run_authorizer_lambda(const authorizer_function& fn,
                          const aws::environment& env,
                          const lambda_options& options) {
    const raw_handler handler = [&fn](std::string_view event, const invocation_info&,
                                      const logger& log) {
        return handle_authorizer_event(fn, event, log);
    };
    return run_lambda_raw(handler, env, options);
}

}  // namespace lift::runtime

namespace lift {

namespace {

// Local runs print the answer on stdout; log lines go to stderr.
class stderr_sink final : public log_sink {
public:
    void write(std::string_view line) override {
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fputc('\n', stderr);
    }
};

}  // namespace

int run_authorizer(const authorizer_function& fn, int argc, char** argv) {
    if (const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API"); api != nullptr && *api != '\0') {
        const aws::process_environment env;
        return runtime::run_authorizer_lambda(fn, env);
    }
    CLI::App cli{"A Lift Lambda REQUEST authorizer", argc > 0 ? argv[0] : "authorizer"};
    cli.footer(
        "With AWS_LAMBDA_RUNTIME_API set the program runs as a Lambda bootstrap. Otherwise it "
        "answers one authorizer event (JSON) read from --event FILE or stdin and prints the "
        "response, or the Lambda error JSON (exit status 1).");
    std::string event_file;
    cli.add_option("--event", event_file, "File holding the REQUEST event (default: stdin)");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    }
    std::string event;
    if (event_file.empty() || event_file == "-") {
        event.assign(std::istreambuf_iterator<char>{std::cin}, std::istreambuf_iterator<char>{});
    } else {
        std::ifstream in{event_file, std::ios::binary};
        if (!in) {
            std::fprintf(stderr, "authorizer: cannot read %s\n", event_file.c_str());
            return 2;
        }
        event.assign(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
    }
    stderr_sink sink;
    const logger log{sink, log_level_from_env(log_level::info)};
    const auto out = runtime::handle_authorizer_event(fn, event, log);
    if (out.response) {
        std::fwrite(out.response->data(), 1, out.response->size(), stdout);
        std::fputc('\n', stdout);
        return 0;
    }
    boost::json::object error;
    error["errorMessage"] = out.error_message;
    error["errorType"] = out.error_type;
    const std::string text = boost::json::serialize(error);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    return 1;
}

}  // namespace lift
