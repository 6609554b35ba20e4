#include <chrono>

#include <lift/core/clock.hpp>

namespace lift {

std::int64_t system_clock::now_ms() const {
    using namespace std::chrono;
    return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace lift
