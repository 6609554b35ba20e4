// Local DynamoDB servers for tests: moto_server (pyenv python3 on PATH) and dynalite (npm, in
// tests/interop/node_modules), each started as a child process on a free loopback port and
// stopped by its pid.
//
//     std::string why;
//     auto moto = lift::test::start_moto_server(why);   // nullptr + why on failure
//     ASSERT_TRUE(moto) << why;
//     use(moto->endpoint());                            // "http://127.0.0.1:PORT"
//
// A missing server is a failure (the message says how to install it), never a skip.
// Overrides: LIFT_MOTO_SERVER (path of moto_server), LIFT_DYNALITE_CLI (path of dynalite's
// cli.js), LIFT_NODE (node executable). Not thread-safe; use from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

namespace lift::test {

// A server child process listening on 127.0.0.1:port. The destructor sends SIGTERM, waits up
// to 5 s, then SIGKILLs and reaps it. Its stdout/stderr go to a temporary log file.
class server_process {
public:
    // Starts `argv` (every "{port}" in it replaced by a free port) and waits until the port
    // accepts TCP connections, at most `ready_timeout`. On failure returns nullptr and puts
    // the reason (with the tail of the log) in `error`.
    static std::unique_ptr<server_process> start(
        std::string name,
        std::vector<std::string> argv,
        std::string& error,
        std::chrono::milliseconds ready_timeout = std::chrono::seconds{20});

    ~server_process();
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;

    const std::string& name() const noexcept { return name_; }

    std::uint16_t port() const noexcept { return port_; }

    pid_t pid() const noexcept { return pid_; }

    // "http://127.0.0.1:PORT"
    std::string endpoint() const;

    // Last `max_bytes` of the server's log, for failure messages.
    std::string log_tail(std::size_t max_bytes = 2000) const;

private:
    server_process(std::string name, pid_t pid, std::uint16_t port, std::string log_path);

    std::string name_;
    pid_t pid_;
    std::uint16_t port_;
    std::string log_path_;
};

// A port that was free on 127.0.0.1 a moment ago (bind port 0, read it, close); 0 on error.
std::uint16_t pick_free_port();

// Finds an executable on PATH (or returns `name` if it contains a '/' and is executable);
// empty when not found.
std::string find_executable(const std::string& name);

// moto_server -H 127.0.0.1 -p PORT
std::unique_ptr<server_process> start_moto_server(std::string& error);

// node tests/interop/node_modules/dynalite/cli.js --host 127.0.0.1 --port PORT
// `create_table_ms`: how long tables stay CREATING (dynalite's --createTableMs).
std::unique_ptr<server_process> start_dynalite(std::string& error, int create_table_ms = 500);

}  // namespace lift::test
