#pragma once

#include <chrono>
#include <cstdint>

namespace jobber::sched {

// Exponential backoff with jitter: base * 2^(attempt-1), capped, then scaled by a random factor
// in [0.75, 1.25] so retries of many jobs that failed together do not arrive together.
std::chrono::milliseconds RetryDelay(int32_t attempt,
                                     std::chrono::milliseconds base = std::chrono::seconds(1),
                                     std::chrono::milliseconds cap = std::chrono::minutes(5));

}  // namespace jobber::sched
