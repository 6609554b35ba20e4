#include <lift/core/connection_api.hpp>

namespace lift {

std::vector<result<void>> connection_api::post_many(std::span<const std::string> connection_ids,
                                                    std::string_view data) {
    std::vector<result<void>> out;
    out.reserve(connection_ids.size());
    for (const auto& id : connection_ids) {
        out.push_back(post_to_connection(id, data));
    }
    return out;
}

}  // namespace lift
