// cold-start: exec-to-first-`next`-poll time and peak RSS of a Lambda runtime process, against
// a loopback Runtime API stub (bench/cold_start.sh runs it for the Lift bootstrap and for a
// Node.js handler under aws-lambda-ric).
//
//   cold-start --runs 50 --label lift -- build/lambda/example-echo/bootstrap
//
// Each run: a clock reading, posix_spawn of the command with the environment Lambda gives
// (AWS_LAMBDA_RUNTIME_API pointing at this process's listener on 127.0.0.1:<free port>), then
// the time when the complete `GET /2018-06-01/runtime/invocation/next` request has arrived.
// The process is then killed (it would wait for an invocation forever) and its peak RSS read
// from wait4(). Runs are sequential; each is bounded by --timeout-ms.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

namespace {

double now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct run_result {
    bool ok = false;
    double ms = 0;
    double rss_mb = 0;
    std::string problem;
};

// Waits until `fd` is readable or `deadline_ms` (now_ms clock) passes.
bool wait_readable(int fd, double deadline_ms) {
    for (int i = 0; i < 100000; ++i) {
        const double left = deadline_ms - now_ms();
        if (left <= 0) {
            return false;
        }
        pollfd p{fd, POLLIN, 0};
        const int rc = poll(&p, 1, static_cast<int>(left) + 1);
        if (rc > 0) {
            return true;
        }
        if (rc < 0 && errno != EINTR) {
            return false;
        }
    }
    return false;
}

run_result one_run(int listener,
                   const std::vector<std::string>& command,
                   const std::vector<std::string>& env,
                   const std::string& cwd,
                   int timeout_ms) {
    run_result r;
    std::vector<char*> argv;
    for (const auto& a : command) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : env) {
        envp.push_back(const_cast<char*>(e.c_str()));
    }
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!cwd.empty()) {
        posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    }
    // the runtime's stdout/stderr go to /dev/null: terminal output is not part of start-up
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);

    pid_t pid = 0;
    const double t0 = now_ms();
    const int spawned = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        r.problem = std::string{"cannot start "} + argv[0] + ": " + std::strerror(spawned);
        return r;
    }
    const double deadline = t0 + timeout_ms;
    std::string request;
    int conn = -1;
    double t1 = 0;
    for (int accepted = 0; accepted < 8 && t1 == 0; ++accepted) {
        if (!wait_readable(listener, deadline)) {
            r.problem = "no connection to the Runtime API within the timeout";
            break;
        }
        conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0) {
            continue;
        }
        request.clear();
        char buf[4096];
        while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
            if (!wait_readable(conn, deadline)) {
                break;
            }
            const ssize_t n = read(conn, buf, sizeof buf);
            if (n <= 0) {
                break;
            }
            request.append(buf, static_cast<std::size_t>(n));
        }
        if (request.find("\r\n\r\n") == std::string::npos) {
            close(conn);
            conn = -1;
            continue;  // a connection closed early; the runtime may reconnect
        }
        if (request.rfind("GET /2018-06-01/runtime/invocation/next ", 0) == 0) {
            t1 = now_ms();
        } else {
            r.problem = "first request was not GET .../invocation/next: " +
                        request.substr(0, request.find("\r\n"));
            break;
        }
    }
    kill(pid, SIGKILL);
    int status = 0;
    rusage usage{};
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    if (conn >= 0) {
        close(conn);
    }
    r.rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
    if (t1 > 0) {
        r.ok = true;
        r.ms = t1 - t0;
    } else if (r.problem.empty()) {
        r.problem = "the runtime never polled /next";
    }
    return r;
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(idx, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{
        "cold-start: exec-to-first-next time and peak RSS of a Lambda runtime process "
        "against a loopback Runtime API stub"};
    int runs = 30;
    int warmup = 2;
    int timeout_ms = 10000;
    std::string label = "runtime";
    std::string cwd;
    std::string handler = "bootstrap";
    std::vector<std::string> extra_env;
    std::vector<std::string> command;
    cli.add_option("--runs", runs, "measured runs")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    cli.add_option("--warmup", warmup, "unmeasured runs first (page cache)")
        ->check(CLI::Range(0, 100))
        ->capture_default_str();
    cli.add_option("--timeout-ms", timeout_ms, "per run")
        ->check(CLI::Range(100, 60000))
        ->capture_default_str();
    cli.add_option("--label", label, "name in the report")->capture_default_str();
    cli.add_option("--cwd", cwd, "working directory and LAMBDA_TASK_ROOT of the runtime");
    cli.add_option("--handler", handler, "_HANDLER")->capture_default_str();
    cli.add_option("--env", extra_env, "extra KEY=VALUE for the runtime (repeatable)");
    cli.add_option("command", command, "the runtime command")->required()->expected(-1);
    CLI11_PARSE(cli, argc, argv);

    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listener, 64) != 0 ||
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        std::fprintf(stderr, "cold-start: cannot listen on 127.0.0.1: %s\n", std::strerror(errno));
        return 1;
    }
    const std::string api = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string kv = *e;
        if (kv.rfind("AWS_LAMBDA_RUNTIME_API=", 0) != 0) {
            env.push_back(kv);
        }
    }
    const std::string root = cwd.empty() ? std::string{"/var/task"} : cwd;
    for (const std::string& kv :
         {"AWS_LAMBDA_RUNTIME_API=" + api, "_HANDLER=" + handler, "LAMBDA_TASK_ROOT=" + root,
          std::string{"AWS_REGION=us-east-1"}, std::string{"AWS_DEFAULT_REGION=us-east-1"},
          "AWS_LAMBDA_FUNCTION_NAME=cold-start-" + label,
          std::string{"AWS_LAMBDA_FUNCTION_VERSION=$LATEST"},
          std::string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128"},
          std::string{"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand"},
          "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/cold-start-" + label,
          std::string{"AWS_LAMBDA_LOG_STREAM_NAME=2026/01/01/[$LATEST]0"},
          std::string{"AWS_ACCESS_KEY_ID=AKIDEXAMPLE"}, std::string{"AWS_SECRET_ACCESS_KEY=x"}}) {
        env.push_back(kv);
    }
    for (const auto& kv : extra_env) {
        env.push_back(kv);
    }

    std::vector<double> times;
    std::vector<double> rss;
    for (int i = 0; i < warmup + runs; ++i) {
        const auto r = one_run(listener, command, env, cwd, timeout_ms);
        if (!r.ok) {
            std::fprintf(stderr, "cold-start: %s run %d failed: %s\n", label.c_str(), i + 1,
                         r.problem.c_str());
            return 1;
        }
        if (i >= warmup) {
            times.push_back(r.ms);
            rss.push_back(r.rss_mb);
            std::printf("%s run %d: %.3f ms, peak RSS %.1f MB\n", label.c_str(), i - warmup + 1,
                        r.ms, r.rss_mb);
        }
    }
    std::printf(
        "%s: runs=%d exec_to_next_ms median=%.3f p90=%.3f min=%.3f max=%.3f "
        "peak_rss_mb median=%.1f p90=%.1f\n",
        label.c_str(), runs, percentile(times, 0.5), percentile(times, 0.9),
        *std::min_element(times.begin(), times.end()),
        *std::max_element(times.begin(), times.end()), percentile(rss, 0.5), percentile(rss, 0.9));
    close(listener);
    return 0;
}
