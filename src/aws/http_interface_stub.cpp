// TEMPORARY (branch ddb): minimal definitions of the non-virtual parts of lift/aws/http.hpp so
// the DynamoDB client and its fake-transport tests link before the `http` branch lands. Delete
// this file when merging `http` (which defines these for real).
#include <string>
#include <string_view>
#include <vector>

#include <lift/aws/http.hpp>
#include <lift/core/ascii.hpp>

namespace lift::aws {

std::string endpoint::host_header() const {
    const bool is_default = (tls && port == 443) || (!tls && port == 80) || port == 0;
    const bool v6 = host.find(':') != std::string::npos;
    std::string out = v6 ? "[" + host + "]" : host;
    if (!is_default) {
        out += ":" + std::to_string(port);
    }
    return out;
}

std::string endpoint::url() const {
    return std::string(tls ? "https://" : "http://") + host_header() + base_path;
}

std::optional<std::string_view> http_response::header_value(std::string_view name) const {
    for (const auto& h : headers) {
        if (ascii::iequals(h.name, name)) {
            return std::string_view(h.value);
        }
    }
    return std::nullopt;
}

std::vector<result<http_response>> http_transport::send_many(
    const endpoint& to,
    std::span<const http_request> requests,
    std::size_t /*max_in_flight*/,
    std::chrono::steady_clock::time_point deadline) {
    std::vector<result<http_response>> out;
    out.reserve(requests.size());
    for (const auto& r : requests) {
        out.push_back(send(to, r, deadline));
    }
    return out;
}

}  // namespace lift::aws
