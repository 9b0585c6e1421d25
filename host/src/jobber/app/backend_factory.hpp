#pragma once

#include "jobber/config/settings.hpp"
#include "jobber/plugin/plugin_catalog.hpp"
#include "jobber/service/backends.hpp"

namespace jobber::app {

// Opens every plugin instance the config names, validating each instance's options against its
// plugin's declared fields first. Throws with one line naming the config section on any problem.
service::Backends OpenBackends(const config::Settings& settings, const plugin::PluginCatalog& catalog);

}  // namespace jobber::app
