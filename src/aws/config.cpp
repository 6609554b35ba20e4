#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <utility>

#include <lift/aws/config.hpp>
#include <lift/core/ascii.hpp>

namespace lift::aws {

std::optional<std::string> process_environment::get(std::string_view name) const {
    const std::string key(name);
    const char* value = std::getenv(key.c_str());
    if (value == nullptr) {
        return std::nullopt;
    }
    return std::string(value);
}

std::optional<std::string> map_environment::get(std::string_view name) const {
    const auto it = vars_.find(name);
    if (it == vars_.end()) {
        return std::nullopt;
    }
    return it->second;
}

void map_environment::set(std::string name, std::string value) {
    vars_.insert_or_assign(std::move(name), std::move(value));
}

void map_environment::unset(std::string_view name) {
    const auto it = vars_.find(name);
    if (it != vars_.end()) {
        vars_.erase(it);
    }
}

namespace {

using ini_section = std::map<std::string, std::string>;
using ini_file = std::map<std::string, ini_section>;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

using ascii::lower;

// Drops an inline comment: `#` or `;` preceded by whitespace (as the AWS SDKs do), so values
// such as secrets containing those characters without a space stay intact.
std::string_view strip_inline_comment(std::string_view value) {
    for (std::size_t i = 1; i < value.size(); ++i) {
        if ((value[i] == '#' || value[i] == ';') && is_space(value[i - 1])) {
            return value.substr(0, i);
        }
    }
    return value;
}

// A small INI reader for the AWS shared files. Indented lines after a property with an empty
// value are sub-properties (e.g. `s3 =` blocks) and are skipped. Returns nullopt if the file
// cannot be opened.
std::optional<ini_file> read_ini(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return std::nullopt;
    }
    ini_file file;
    ini_section* current = nullptr;
    bool in_sub_block = false;
    std::string line;
    while (std::getline(in, line)) {
        const std::string_view raw(line);
        const std::string_view text = trim(raw);
        if (text.empty() || text.front() == '#' || text.front() == ';') {
            continue;
        }
        const bool indented = is_space(raw.front());
        if (text.front() == '[') {
            in_sub_block = false;
            const auto close = text.find(']');
            if (close == std::string_view::npos) {
                current = nullptr;  // malformed header: ignore its properties
                continue;
            }
            current = &file[std::string(trim(text.substr(1, close - 1)))];
            continue;
        }
        if (in_sub_block && indented) {
            continue;
        }
        in_sub_block = false;
        const auto eq = text.find('=');
        if (current == nullptr || eq == std::string_view::npos) {
            continue;
        }
        const std::string key = lower(trim(text.substr(0, eq)));
        const std::string_view value = trim(strip_inline_comment(trim(text.substr(eq + 1))));
        if (key.empty()) {
            continue;
        }
        if (value.empty()) {
            in_sub_block = true;
        }
        (*current)[key] = std::string(value);
    }
    return file;
}

// Returns a variable's value, treating an empty value as unset.
std::optional<std::string> non_empty(const environment& env, std::string_view name) {
    auto value = env.get(name);
    if (value && value->empty()) {
        return std::nullopt;
    }
    return value;
}

std::string profile_name(const environment& env) {
    return non_empty(env, "AWS_PROFILE").value_or("default");
}

// The path of a shared file: the override variable, else `$HOME/.aws/<name>`.
std::optional<std::string> shared_file_path(const environment& env, bool config) {
    if (auto path = non_empty(env, config ? "AWS_CONFIG_FILE" : "AWS_SHARED_CREDENTIALS_FILE")) {
        return path;
    }
    if (auto home = non_empty(env, "HOME")) {
        std::string path = std::move(*home);
        if (path.back() != '/') {
            path += '/';
        }
        path += config ? ".aws/config" : ".aws/credentials";
        return path;
    }
    return std::nullopt;
}

std::optional<std::string> credentials_file_path(const environment& env) {
    return shared_file_path(env, false);
}

std::optional<std::string> config_file_path(const environment& env) {
    return shared_file_path(env, true);
}

// Finds a profile's section: `[NAME]` in the credentials file; `[profile NAME]` in the config
// file, where the default profile is `[default]` (or `[profile default]`).
const ini_section* find_profile(const ini_file& file, const std::string& profile, bool config) {
    if (config) {
        if (const auto it = file.find("profile " + profile); it != file.end()) {
            return &it->second;
        }
        if (profile != "default") {
            return nullptr;
        }
    }
    const auto it = file.find(profile);
    return it == file.end() ? nullptr : &it->second;
}

std::string lookup(const ini_section& section, const std::string& key) {
    const auto it = section.find(key);
    return it == section.end() ? std::string() : it->second;
}

// Tries one shared file; on failure appends what was found to `tried` (never values).
std::optional<credentials> credentials_from_file(const std::optional<std::string>& path,
                                                 std::string_view kind,
                                                 const std::string& profile,
                                                 bool config,
                                                 std::string& tried) {
    tried += "; ";
    tried += kind;
    tried += " file ";
    if (!path) {
        tried += "(no path: $HOME not set)";
        return std::nullopt;
    }
    tried += *path;
    const auto file = read_ini(*path);
    if (!file) {
        tried += " (not readable)";
        return std::nullopt;
    }
    const ini_section* section = find_profile(*file, profile, config);
    if (section == nullptr) {
        tried += " (no profile '" + profile + "')";
        return std::nullopt;
    }
    credentials creds{lookup(*section, "aws_access_key_id"),
                      lookup(*section, "aws_secret_access_key"),
                      lookup(*section, "aws_session_token")};
    if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
        tried += " (profile '" + profile + "' lacks aws_access_key_id or aws_secret_access_key)";
        return std::nullopt;
    }
    return creds;
}

}  // namespace

result<credentials> resolve_credentials(const environment& env) {
    auto key_id = non_empty(env, "AWS_ACCESS_KEY_ID");
    auto secret = non_empty(env, "AWS_SECRET_ACCESS_KEY");
    if (key_id && secret) {
        return credentials{std::move(*key_id), std::move(*secret),
                           non_empty(env, "AWS_SESSION_TOKEN").value_or("")};
    }
    std::string tried = "no AWS credentials found: environment (AWS_ACCESS_KEY_ID ";
    tried += key_id ? "set" : "unset";
    tried += ", AWS_SECRET_ACCESS_KEY ";
    tried += secret ? "set" : "unset";
    tried += ")";
    const std::string profile = profile_name(env);
    if (auto creds = credentials_from_file(credentials_file_path(env), "credentials", profile,
                                           false, tried)) {
        return std::move(*creds);
    }
    if (auto creds = credentials_from_file(config_file_path(env), "config", profile, true, tried)) {
        return std::move(*creds);
    }
    return fail(errc::not_found, std::move(tried));
}

std::optional<std::string> resolve_region(const environment& env) {
    if (auto region = non_empty(env, "AWS_REGION")) {
        return region;
    }
    if (auto region = non_empty(env, "AWS_DEFAULT_REGION")) {
        return region;
    }
    const auto path = config_file_path(env);
    if (!path) {
        return std::nullopt;
    }
    const auto file = read_ini(*path);
    if (!file) {
        return std::nullopt;
    }
    const ini_section* section = find_profile(*file, profile_name(env), true);
    if (section == nullptr) {
        return std::nullopt;
    }
    std::string region = lookup(*section, "region");
    if (region.empty()) {
        return std::nullopt;
    }
    return region;
}

std::optional<std::string> resolve_endpoint(const environment& env,
                                            std::string_view service_env_suffix) {
    if (const auto ignore = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
        ignore && lower(trim(*ignore)) == "true") {
        return std::nullopt;
    }
    if (!service_env_suffix.empty()) {
        std::string name = "AWS_ENDPOINT_URL_";
        for (const char c : service_env_suffix) {
            name += (c == ' ' || c == '-')
                        ? '_'
                        : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        if (auto url = non_empty(env, name)) {
            return url;
        }
    }
    return non_empty(env, "AWS_ENDPOINT_URL");
}

}  // namespace lift::aws
