#pragma once

#include <string>

namespace jobber::log {

// Sends every jobber.* logger to stderr, one line per event: logfmt-style text
// ("ts=... level=info logger=jobber.sched msg=...") or JSON objects. Throws std::invalid_argument
// for an unknown level or format.
void ConfigureLogging(const std::string& level, const std::string& format);

}  // namespace jobber::log
