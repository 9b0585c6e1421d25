// The host gives a buffering broker (AMQP's `prefetch`) the worker count unless the config sets it.
#include <gtest/gtest.h>

#include "jobber/app/backend_factory.hpp"
#include "jobber/plugin/plugin_catalog.hpp"
#include "loading_test_support.hpp"

namespace jobber::plugin::testing {
namespace {

config::Settings WithBroker(const std::string& type, std::map<std::string, std::string> options = {}) {
    config::Settings settings;
    settings.job_queue.broker.type = type;
    settings.job_queue.broker.options = std::move(options);
    return settings;
}

TEST(BrokerPrefetchTest, AnUnsetPrefetchFollowsTheWorkerCount) {
    const PluginCatalog catalog = PluginCatalog::Scan({RealPluginDir()});
    if (catalog.plugins().count("amqp") == 0) GTEST_SKIP() << "the amqp plugin is not built (no librabbitmq)";
    auto settings = WithBroker("amqp");
    app::DefaultBrokerPrefetch(settings, catalog, 7);
    EXPECT_EQ(settings.job_queue.broker.options.at("prefetch"), "7");

    auto configured = WithBroker("amqp", {{"prefetch", "3"}});
    app::DefaultBrokerPrefetch(configured, catalog, 7);
    EXPECT_EQ(configured.job_queue.broker.options.at("prefetch"), "3") << "the config wins";
}

TEST(BrokerPrefetchTest, BrokersWithoutPrefetchAreLeftAlone) {
    const PluginCatalog catalog = PluginCatalog::Scan({RealPluginDir()});
    for (const std::string type : {"memory", "redis", "no_such_plugin"}) {
        auto settings = WithBroker(type);
        app::DefaultBrokerPrefetch(settings, catalog, 7);
        EXPECT_EQ(settings.job_queue.broker.options.count("prefetch"), 0u) << type;
    }
}

}  // namespace
}  // namespace jobber::plugin::testing
