// `@connections` paths and ids, query strings and static-file paths as the gateway decodes them.
#include <cstdlib>

#include <lift/core/event.hpp>

#include "fuzz_input.hpp"
#include "http_paths.hpp"

using namespace lift::gateway::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto target = lift::fuzz::as_view(data, size);
    const auto parts = split_target(target);
    (void)connections_id(parts.path, "dev");
    (void)connections_id(parts.path, "");
    (void)percent_decode(target);
    lift::string_map single;
    lift::multi_string_map multi;
    parse_query(parts.query, single, multi);
    if (auto rel = static_relative_path(parts.path)) {
        // Never escapes the served folder.
        if (!rel->empty() && rel->front() == '/') {
            std::abort();
        }
        if (*rel == ".." || rel->starts_with("../") || rel->find("/../") != std::string::npos ||
            rel->ends_with("/..")) {
            std::abort();
        }
    }
    (void)content_type_for(target);
    return 0;
}
