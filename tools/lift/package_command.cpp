// `lift package`: a Lambda deployment zip holding one executable named `bootstrap`
// (provided.al2023), after checking the binary can run there.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "elf_check.hpp"
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace lift::tool {

namespace {

namespace fs = std::filesystem;

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;    // build, read or write failed
constexpr int exit_rejected = 3;  // the binary would not run on Lambda
constexpr std::uintmax_t target_zip_bytes = 5U * 1024U * 1024U;    // Lift's target (design §5)
constexpr std::uintmax_t max_binary_bytes = 250U * 1024U * 1024U;  // Lambda's unzipped limit

struct package_args {
    std::string target;
    std::string binary;
    std::string build_dir;
    std::string name;
    std::string out;
    std::string arch = "x86_64";
    std::string max_glibc = "2.34";
    bool store = false;
};

// The build directory this `lift` was built in (<build>/bin/lift), if it is one.
std::optional<fs::path> own_build_dir() {
    std::error_code ec;
    const auto self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) {
        return std::nullopt;
    }
    const auto dir = self.parent_path().parent_path();
    if (fs::exists(dir / "CMakeCache.txt", ec)) {
        return dir;
    }
    return std::nullopt;
}

// Runs `cmake --build <dir> --target <target>` with our stdout/stderr; returns its exit status.
int run_cmake_build(const fs::path& dir, const std::string& target) {
    std::vector<std::string> args{"cmake", "--build", dir.string(), "--target", target};
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (const int rc = posix_spawnp(&pid, "cmake", nullptr, nullptr, argv.data(), environ);
        rc != 0) {
        fmt::print(stderr, "lift package: cannot run cmake: {}\n", std::strerror(rc));
        return 127;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return 127;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::optional<std::string> read_file(const fs::path& path, std::string& problem) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
        problem = fmt::format("cannot read {}: {}", path.string(), ec.message());
        return std::nullopt;
    }
    if (size > max_binary_bytes) {
        problem =
            fmt::format("{} is {} bytes, over Lambda's 250 MB unzipped limit", path.string(), size);
        return std::nullopt;
    }
    std::ifstream in{path, std::ios::binary};
    std::string bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    if (!in.good() && !in.eof()) {
        problem = fmt::format("cannot read {}", path.string());
        return std::nullopt;
    }
    return bytes;
}

std::string megabytes(std::uintmax_t bytes) {
    return fmt::format("{:.2f} MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

int package(package_args a) {
    fs::path binary;
    if (!a.target.empty()) {
        fs::path build = a.build_dir;
        if (build.empty()) {
            build = own_build_dir().value_or(fs::path{"build"});
        }
        std::error_code ec;
        if (!fs::exists(build / "CMakeCache.txt", ec)) {
            fmt::print(stderr,
                       "lift package: {} is not a configured CMake build directory "
                       "(run `cmake -S . -B {}` first, or pass --build-dir)\n",
                       build.string(), build.string());
            return exit_failed;
        }
        fmt::print("lift package: building {}-bootstrap in {}\n", a.target, build.string());
        std::fflush(stdout);
        if (const int rc = run_cmake_build(build, a.target + "-bootstrap"); rc != 0) {
            fmt::print(stderr,
                       "lift package: building {}-bootstrap failed (exit {}); is {} an "
                       "executable with lift_add_lambda({}) in its CMakeLists.txt?\n",
                       a.target, rc, a.target, a.target);
            return exit_failed;
        }
        binary = build / "lambda" / a.target / "bootstrap";
        if (a.name.empty()) {
            a.name = a.target;
        }
    } else {
        binary = a.binary;
        if (a.name.empty()) {
            a.name = binary.filename() == "bootstrap" && binary.has_parent_path()
                         ? fs::absolute(binary).parent_path().filename().string()
                         : binary.filename().string();
        }
    }

    std::string problem;
    const auto bytes = read_file(binary, problem);
    if (!bytes) {
        fmt::print(stderr, "lift package: {}\n", problem);
        return exit_failed;
    }
    fmt::print("lift package: checking {} ({})\n", binary.string(), megabytes(bytes->size()));
    const auto info = read_elf(*bytes);
    if (!info) {
        fmt::print(stderr, "lift package: {}: {}\n", binary.string(), info.error().message);
        return exit_rejected;
    }
    std::string newest = "none";
    for (const auto& v : info->glibc_versions) {
        if (newest == "none" || glibc_version_number(v) > glibc_version_number(newest)) {
            newest = v;
        }
    }
    std::string needed;
    for (const auto& lib : info->needed) {
        needed += (needed.empty() ? "" : " ") + lib;
    }
    fmt::print("  {} {}, shared libraries: {}, newest glibc version needed: {}\n", info->machine,
               info->interpreter.empty() ? "static" : "dynamic (" + info->interpreter + ")",
               needed.empty() ? "none" : needed, newest);
    const auto problems = bootstrap_problems(*info, a.arch, a.max_glibc);
    if (!problems.empty()) {
        fmt::print(stderr, "lift package: {} cannot run on provided.al2023 ({}):\n",
                   binary.string(), a.arch);
        for (const auto& p : problems) {
            fmt::print(stderr, "  - {}\n", p);
        }
        return exit_rejected;
    }

    const auto zip = single_file_zip("bootstrap", *bytes, 0755,
                                     a.store ? zip_method::stored : zip_method::deflated);
    if (!zip) {
        fmt::print(stderr, "lift package: {}\n", zip.error().message);
        return exit_failed;
    }
    const fs::path out_dir = a.out;
    const fs::path out_file = out_dir / (a.name + ".zip");
    const fs::path tmp_file = out_dir / (a.name + ".zip.tmp");
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) {
        fmt::print(stderr, "lift package: cannot create {}: {}\n", out_dir.string(), ec.message());
        return exit_failed;
    }
    {
        std::ofstream f{tmp_file, std::ios::binary | std::ios::trunc};
        f.write(zip->data(), static_cast<std::streamsize>(zip->size()));
        f.close();
        if (!f) {
            fmt::print(stderr, "lift package: cannot write {}\n", tmp_file.string());
            fs::remove(tmp_file, ec);
            return exit_failed;
        }
    }
    fs::rename(tmp_file, out_file, ec);
    if (ec) {
        fmt::print(stderr, "lift package: cannot write {}: {}\n", out_file.string(), ec.message());
        return exit_failed;
    }
    fmt::print("lift package: wrote {} ({}, one entry: bootstrap, mode 0755, {})\n",
               out_file.string(), megabytes(zip->size()), a.store ? "stored" : "deflated");
    if (zip->size() > target_zip_bytes) {
        fmt::print(stderr, "lift package: note: {} is over Lift's 5 MB target\n",
                   out_file.string());
    }
    return exit_ok;
}

}  // namespace

command add_package_command(CLI::App& parent) {
    auto args = std::make_shared<package_args>();
    auto* cmd = parent.add_subcommand(
        "package",
        "Build and zip an AWS Lambda deployment package (provided.al2023): one executable "
        "named bootstrap");
    cmd->footer(
        "Examples:\n"
        "  lift package --target example-chat --out dist/\n"
        "      builds example-chat-bootstrap (lift_add_lambda) in the build directory this lift\n"
        "      was built in, checks it and writes dist/example-chat.zip\n"
        "  lift package --binary build/lambda/example-chat/bootstrap --out dist/\n"
        "      checks and zips a binary built elsewhere\n"
        "Checks: 64-bit ELF executable for --arch; shared libraries only glibc's (libc, libm,\n"
        "libpthread, libdl, librt, ld-linux); no glibc symbol version newer than --max-glibc;\n"
        "no RPATH. The zip is deflated (or --store'd), reproducible, and holds `bootstrap` 0755.\n"
        "Exit status: 0 written; 1 build/read/write failed; 3 binary rejected; other: usage.");
    auto* target = cmd->add_option("--target", args->target,
                                   "CMake executable target with lift_add_lambda(); builds "
                                   "<target>-bootstrap first");
    auto* binary = cmd->add_option("--binary", args->binary, "an already built bootstrap binary")
                       ->check(CLI::ExistingFile);
    target->excludes(binary);
    binary->excludes(target);
    cmd->add_option("--build-dir", args->build_dir,
                    "CMake build directory for --target (default: the one this lift was built "
                    "in, else ./build)")
        ->needs(target);
    cmd->add_option("--name", args->name,
                    "zip file name without .zip (default: the target, or the binary's name)");
    cmd->add_option("--out", args->out, "output directory (created if missing)")->required();
    cmd->add_option("--arch", args->arch, "Lambda architecture the binary must be for")
        ->check(CLI::IsMember({"x86_64", "arm64"}))
        ->capture_default_str();
    cmd->add_option("--max-glibc", args->max_glibc,
                    "newest glibc the runtime has (Amazon Linux 2023: 2.34)")
        ->check([](const std::string& v) {
            return glibc_version_number(v) < 0 ? "expected a version like 2.34" : "";
        })
        ->capture_default_str();
    cmd->add_flag("--store", args->store, "write the zip uncompressed (default: deflate)");
    cmd->callback([cmd, target, binary] {
        if (target->count() == 0 && binary->count() == 0) {
            throw CLI::RequiredError("--target or --binary");
        }
        (void)cmd;
    });
    return [args] {
        return package(*args);
    };
}

}  // namespace lift::tool
