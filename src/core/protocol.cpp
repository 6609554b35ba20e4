#include <lift/core/protocol.hpp>

#include "json_escape.hpp"

namespace lift::protocol {

namespace {

// AWS's frames have irregular spacing (a space after the first colon and after each comma, none
// after the other colons); clients that compare bytes depend on it, so it is reproduced exactly.
std::string error_frame(std::string_view message,
                        std::string_view connection_id,
                        std::string_view request_id) {
    std::string out;
    out.reserve(64 + message.size() + connection_id.size() + request_id.size());
    out += "{\"message\": ";
    detail::append_json_string(out, message);
    out += ", \"connectionId\":";
    detail::append_json_string(out, connection_id);
    out += ", \"requestId\":";
    detail::append_json_string(out, request_id);
    out += '}';
    return out;
}

}  // namespace

string_map disconnect_headers(std::string_view domain) {
    return string_map{{"Host", std::string{domain}},
                      {"x-api-key", ""},
                      {"X-Forwarded-For", ""},
                      {"x-restapi", ""}};
}

std::string forbidden_frame(std::string_view connection_id, std::string_view request_id) {
    return error_frame("Forbidden", connection_id, request_id);
}

std::string internal_error_frame(std::string_view connection_id, std::string_view request_id) {
    return error_frame("Internal server error", connection_id, request_id);
}

}  // namespace lift::protocol
