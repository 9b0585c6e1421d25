#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace jobber::config {

// Parses the durations an operator writes in config and task files:
//  - a bare non-negative integer is seconds ("90" = 90 s), as the Go sql-jobber accepted for TTLs;
//  - otherwise one or more <integer><unit> groups, unit one of ms, s, m, h, e.g. "250ms", "5m", "1h30m", "1m30s".
//    Groups may come in any order and add up, as in Go's time.ParseDuration; fractions, signs and other units are
//    refused so a typo cannot silently mean something else.
// Surrounding whitespace is ignored. Throws std::invalid_argument, quoting the input, for empty text, garbage,
// negative values and values that overflow milliseconds in 64 bits.
std::chrono::milliseconds ParseDuration(std::string_view text);

// The shortest text ParseDuration reads back to the same value: "1h30m", "1m30s", "250ms", "0s". Negative values
// (which ParseDuration refuses) get a leading '-' so they still read sensibly in logs.
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace jobber::config
