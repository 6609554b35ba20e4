#include <lift/core/ascii.hpp>
#include <lift/core/event.hpp>

namespace lift {

using ascii::iequals;

std::string_view to_string(event_type t) noexcept {
    switch (t) {
        case event_type::connect:
            return "CONNECT";
        case event_type::message:
            return "MESSAGE";
        case event_type::disconnect:
            return "DISCONNECT";
    }
    return "UNKNOWN";
}

const std::string* find_header(const string_map& headers, std::string_view name) noexcept {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) {
            return &value;
        }
    }
    return nullptr;
}

// The maps have no transparent comparator, and building a std::string key could throw in these
// noexcept functions; the maps are small, so a linear scan is as cheap.
const std::string* find_query(const std::optional<string_map>& single,
                              const std::optional<multi_string_map>& multi,
                              std::string_view name) noexcept {
    if (single) {
        for (const auto& [key, value] : *single) {
            if (key == name) {
                return &value;
            }
        }
    }
    if (multi) {
        for (const auto& [key, values] : *multi) {
            if (key == name && !values.empty()) {
                return &values.front();
            }
        }
    }
    return nullptr;
}

const std::string* websocket_event::query(std::string_view name) const noexcept {
    return find_query(query_string_parameters, multi_value_query_string_parameters, name);
}

const std::string* websocket_event::header(std::string_view name) const noexcept {
    if (headers) {
        if (const auto* v = find_header(*headers, name)) {
            return v;
        }
    }
    if (multi_value_headers) {
        for (const auto& [key, values] : *multi_value_headers) {
            if (!values.empty() && iequals(key, name)) {
                return &values.front();
            }
        }
    }
    return nullptr;
}

multi_string_map to_multi_value(const string_map& single) {
    multi_string_map multi;
    for (const auto& [name, value] : single) {
        multi.emplace(name, std::vector<std::string>{value});
    }
    return multi;
}

}  // namespace lift
