// Route selection: "expression\nbody" — parse the expression, evaluate it on the body.
#include <cstdlib>

#include <boost/json/parse.hpp>

#include <lift/core/route_selection.hpp>

#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parts = lift::fuzz::split(lift::fuzz::as_view(data, size), '\n', 2);
    auto expr = lift::route_selection_expression::parse(parts[0]);
    if (!expr) {
        return 0;
    }
    const std::string_view body = parts.size() > 1 ? parts[1] : std::string_view{};
    const auto from_text = expr->evaluate(body);
    boost::system::error_code ec;
    const auto value = boost::json::parse(body, ec);
    if (!ec) {
        (void)expr->evaluate(value);
    }
    (void)from_text;
    return 0;
}
