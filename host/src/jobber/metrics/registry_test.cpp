#include "jobber/metrics/registry.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace jobber::metrics {
namespace {

TEST(MetricsRegistryTest, RendersCountersGaugesAndHistogramsInPrometheusTextFormat) {
    Registry registry;
    auto& jobs = registry.Counter("t_jobs_total", "Jobs.", {"task", "state"});
    jobs.Add({"a", "SUCCESS"});
    jobs.Add({"a", "SUCCESS"}, 2);
    jobs.Add({"b \"quoted\"\n", "FAILURE"});
    auto& depth = registry.Gauge("t_depth", "Depth.", {});
    depth.Set({}, 7);
    auto& latency = registry.Histogram("t_seconds", "Latency.", {"route"}, {0.1, 1});
    latency.Observe({"/x"}, 0.05);
    latency.Observe({"/x"}, 0.5);
    latency.Observe({"/x"}, 5);

    const std::string text = registry.Render();
    EXPECT_NE(text.find("# TYPE t_jobs_total counter\n"), std::string::npos) << text;
    EXPECT_NE(text.find("t_jobs_total{task=\"a\",state=\"SUCCESS\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("t_jobs_total{task=\"b \\\"quoted\\\"\\n\",state=\"FAILURE\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("t_depth 7\n"), std::string::npos) << text;
    EXPECT_NE(text.find("t_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("t_seconds_bucket{route=\"/x\",le=\"1\"} 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("t_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("t_seconds_sum{route=\"/x\"} 5.55\n"), std::string::npos) << text;
    EXPECT_NE(text.find("t_seconds_count{route=\"/x\"} 3\n"), std::string::npos) << text;
}

TEST(MetricsRegistryTest, CollectorsRunBeforeEachRenderUntilCleared) {
    Registry registry;
    auto& g = registry.Gauge("t_sampled", "Sampled.", {});
    int calls = 0;
    registry.AddCollector([&] { g.Set({}, ++calls); });
    EXPECT_NE(registry.Render().find("t_sampled 1\n"), std::string::npos);
    EXPECT_NE(registry.Render().find("t_sampled 2\n"), std::string::npos);
    registry.ClearCollectors();
    registry.Render();
    EXPECT_EQ(calls, 2);
}

TEST(MetricsRegistryTest, SameNameReturnsTheSameFamily) {
    Registry registry;
    auto& a = registry.Counter("t_same", "Same.", {"x"});
    auto& b = registry.Counter("t_same", "Same.", {"x"});
    EXPECT_EQ(&a, &b);
}

TEST(MetricsRegistryTest, ConcurrentUpdatesAreNotLost) {
    Registry registry;
    auto& c = registry.Counter("t_concurrent", "C.", {"k"});
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) c.Add({"k"});
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(c.Value({"k"}), 8000);
}

}  // namespace
}  // namespace jobber::metrics
