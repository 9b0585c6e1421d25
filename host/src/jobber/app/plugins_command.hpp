#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace jobber::app {

// `sql-jobber plugins`: every plugin found, its roles, version, ABI and config keys.
int ListPlugins(const std::vector<std::string>& directories, std::ostream& out);
// `sql-jobber plugin-info PATH`: the same for one file, without initialising it.
int PluginInfo(const std::string& path, std::ostream& out);

}  // namespace jobber::app
