#include "jobber/sched/retry_policy.hpp"

#include <algorithm>
#include <random>

namespace jobber::sched {

std::chrono::milliseconds RetryDelay(int32_t attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap) {
    const int32_t exponent = std::clamp(attempt - 1, 0, 30);
    const double raw = static_cast<double>(base.count()) * static_cast<double>(1LL << exponent);
    const double capped = std::min(raw, static_cast<double>(cap.count()));
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> jitter(0.75, 1.25);
    return std::chrono::milliseconds(static_cast<int64_t>(capped * jitter(rng)));
}

}  // namespace jobber::sched
