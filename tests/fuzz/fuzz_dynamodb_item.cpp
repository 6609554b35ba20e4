// DynamoDB item mapping: wire JSON → attribute map → connection record → item → record again.
#include <cstdlib>

#include <boost/json/parse.hpp>

#include <lift/aws/dynamodb_store.hpp>

#include "attribute_json.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    boost::system::error_code ec;
    const auto value = boost::json::parse(lift::fuzz::as_view(data, size), ec);
    if (ec) {
        return 0;
    }
    auto item = lift::aws::detail::attribute_map_from_json(value, "Item");
    if (!item) {
        return 0;
    }
    (void)lift::aws::to_wire_json(*item);
    auto rec = lift::aws::from_connection_item(*item);
    if (!rec) {
        return 0;
    }
    const auto back = lift::aws::to_connection_item(*rec, 7800, 1700000000000);
    auto again = lift::aws::from_connection_item(back);
    if (!again || again->connection_id != rec->connection_id || again->metadata != rec->metadata) {
        std::abort();
    }
    return 0;
}
