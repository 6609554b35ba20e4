#include "aws_servers.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

#ifndef LIFT_TEST_SOURCE_DIR
#error "LIFT_TEST_SOURCE_DIR must be defined (the repository root)"
#endif

namespace lift::test {

namespace {

bool is_executable(const std::string& path) {
    struct stat st {};

    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

bool is_file(const std::string& path) {
    struct stat st {};

    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string{v} : fallback;
}

bool port_accepts(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) {
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return "was killed by signal " + std::to_string(WTERMSIG(status));
    }
    return "stopped";
}

// Waits for `pid` to exit, at most `bound`; true when reaped.
bool reap_within(pid_t pid, std::chrono::milliseconds bound) {
    const auto until = std::chrono::steady_clock::now() + bound;
    for (int i = 0; i < 10'000; ++i) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= until) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return false;
}

}  // namespace

std::uint16_t pick_free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return 0;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    std::uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    ::close(fd);
    return port;
}

std::string find_executable(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        return is_executable(name) ? name : std::string{};
    }
    const char* path = std::getenv("PATH");
    std::stringstream dirs{path ? path : ""};
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const auto candidate = (dir.empty() ? std::string{"."} : dir) + "/" + name;
        if (is_executable(candidate)) {
            return candidate;
        }
    }
    return {};
}

server_process::server_process(std::string name, pid_t pid, std::uint16_t port, std::string log)
    : name_(std::move(name)),
      pid_(pid),
      port_(port),
      log_path_(std::move(log)) {}

std::unique_ptr<server_process> server_process::start(std::string name,
                                                      std::vector<std::string> argv,
                                                      std::string& error,
                                                      std::chrono::milliseconds ready_timeout) {
    const std::uint16_t port = pick_free_port();
    if (port == 0) {
        error = name + ": could not find a free port on 127.0.0.1";
        return nullptr;
    }
    for (auto& a : argv) {
        for (auto pos = a.find("{port}"); pos != std::string::npos; pos = a.find("{port}")) {
            a.replace(pos, 6, std::to_string(port));
        }
    }
    char log_template[] = "/tmp/lift-test-server-XXXXXX";
    const int log_fd = ::mkstemp(log_template);
    if (log_fd < 0) {
        error = name + ": mkstemp failed: " + std::strerror(errno);
        return nullptr;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, log_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, log_fd, 2);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (auto& a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(log_fd);
    if (rc != 0) {
        error = name + ": cannot start " + argv[0] + ": " + std::strerror(rc);
        return nullptr;
    }
    // From here the destructor owns the child.
    std::unique_ptr<server_process> p{new server_process(std::move(name), pid, port, log_template)};
    const auto until = std::chrono::steady_clock::now() + ready_timeout;
    for (int i = 0; i < 100'000; ++i) {
        if (port_accepts(port)) {
            return p;
        }
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            p->pid_ = 0;  // already reaped
            error = p->name_ + " " + describe_status(status) + " before accepting on port " +
                    std::to_string(port) + "; log:\n" + p->log_tail();
            return nullptr;
        }
        if (std::chrono::steady_clock::now() >= until) {
            error = p->name_ + " did not accept on 127.0.0.1:" + std::to_string(port) + " within " +
                    std::to_string(ready_timeout.count()) + " ms; log:\n" + p->log_tail();
            return nullptr;  // the destructor stops it
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    error = p->name_ + ": readiness loop exhausted";
    return nullptr;
}

server_process::~server_process() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        if (!reap_within(pid_, std::chrono::seconds{5})) {
            ::kill(pid_, SIGKILL);
            reap_within(pid_, std::chrono::seconds{5});
        }
    }
    if (!log_path_.empty()) {
        ::unlink(log_path_.c_str());
    }
}

std::string server_process::endpoint() const {
    return "http://127.0.0.1:" + std::to_string(port_);
}

std::string server_process::log_tail(std::size_t max_bytes) const {
    std::ifstream in{log_path_, std::ios::binary};
    std::stringstream ss;
    ss << in.rdbuf();
    auto s = ss.str();
    return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

std::unique_ptr<server_process> start_moto_server(std::string& error) {
    const auto exe = find_executable(env_or("LIFT_MOTO_SERVER", "moto_server"));
    if (exe.empty()) {
        error =
            "moto_server not found on PATH (set LIFT_MOTO_SERVER, or put the pyenv python3 with "
            "`pip install 'moto[server]'` first on PATH)";
        return nullptr;
    }
    return server_process::start("moto_server", {exe, "-H", "127.0.0.1", "-p", "{port}"}, error);
}

std::unique_ptr<server_process> start_dynalite(std::string& error, int create_table_ms) {
    const auto node = find_executable(env_or("LIFT_NODE", "node"));
    if (node.empty()) {
        error = "node not found on PATH (scripts/install-deps.sh installs nodejs)";
        return nullptr;
    }
    const auto cli = env_or("LIFT_DYNALITE_CLI", std::string{LIFT_TEST_SOURCE_DIR} +
                                                     "/tests/interop/node_modules/dynalite/cli.js");
    if (!is_file(cli)) {
        error = "dynalite not found at " + cli +
                " (run scripts/install-deps.sh, which runs `npm ci` in tests/interop, or set "
                "LIFT_DYNALITE_CLI)";
        return nullptr;
    }
    return server_process::start("dynalite",
                                 {node, cli, "--host", "127.0.0.1", "--port", "{port}",
                                  "--createTableMs", std::to_string(create_table_ms)},
                                 error);
}

}  // namespace lift::test
