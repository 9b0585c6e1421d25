#include "jobber/sched/retry_policy.hpp"

#include <gtest/gtest.h>

namespace jobber::sched {
namespace {

using std::chrono::milliseconds;

TEST(RetryPolicyTest, GrowsExponentiallyWithinJitterBounds) {
    for (int attempt = 1; attempt <= 5; ++attempt) {
        const double expected = 1000.0 * (1 << (attempt - 1));
        for (int i = 0; i < 50; ++i) {
            const auto d = RetryDelay(attempt).count();
            EXPECT_GE(d, static_cast<int64_t>(expected * 0.75)) << "attempt " << attempt;
            EXPECT_LE(d, static_cast<int64_t>(expected * 1.25)) << "attempt " << attempt;
        }
    }
}

TEST(RetryPolicyTest, IsCappedAndSurvivesHugeAttempts) {
    const auto d = RetryDelay(1000, milliseconds(1000), milliseconds(60000)).count();
    EXPECT_LE(d, 75000);
    EXPECT_GE(d, 45000);
}

TEST(RetryPolicyTest, JitterSpreadsDelays) {
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 200; ++i) {
        const auto d = RetryDelay(3).count();
        lo = std::min(lo, d);
        hi = std::max(hi, d);
    }
    EXPECT_GT(hi - lo, 200);  // 4000ms * 0.5 spread; 200 draws cannot all land within 200ms
}

}  // namespace
}  // namespace jobber::sched
