#pragma once

#include "jobber/config/settings.hpp"
#include "jobber/plugin/plugin_catalog.hpp"
#include "jobber/service/backends.hpp"

namespace jobber::app {

// Opens every plugin instance the config names, validating each instance's options against its
// plugin's declared fields first. Throws with one line naming the config section on any problem.
service::Backends OpenBackends(const config::Settings& settings, const plugin::PluginCatalog& catalog);

// A broker that buffers deliveries in each process (AMQP's `prefetch`) should hold no more jobs
// than the process has workers to run them: when the broker's plugin declares a `prefetch` key and
// the config leaves it unset, it gets the worker count. Other brokers are left alone.
void DefaultBrokerPrefetch(config::Settings& settings, const plugin::PluginCatalog& catalog, int workers);

}  // namespace jobber::app
