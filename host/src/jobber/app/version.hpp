#pragma once

#include <string>

namespace jobber::app {

// "sql-jobber 0.1.0 (plugin ABI 1.0)"
std::string VersionString();

}  // namespace jobber::app
