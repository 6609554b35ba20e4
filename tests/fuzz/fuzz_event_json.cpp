// The proxy-event JSON mapping: parse, map back to JSON, parse again — the same event.
#include <cstdlib>

#include <boost/json/serialize.hpp>

#include <lift/core/json.hpp>

#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto ev = lift::parse_event(lift::fuzz::as_view(data, size));
    if (!ev) {
        return 0;
    }
    const auto once = lift::to_json(*ev);
    auto again = lift::event_from_json(once);
    if (!again || lift::to_json(*again) != once) {
        std::abort();
    }
    (void)lift::parse_reply(lift::fuzz::as_view(data, size));
    return 0;
}
