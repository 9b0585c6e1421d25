// PostgreSQL's text forms of the column types, in the session settings every connection sets
// (DateStyle ISO, TimeZone UTC): parsing what the server sends and formatting what COPY text reads.
// Dates and timestamps cover PostgreSQL's whole range: years of more than four digits and BC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jobber::postgres {

std::optional<int64_t> ParseInt64(std::string_view text);
// Also NaN, Infinity and -Infinity.
std::optional<double> ParseDouble(std::string_view text);
// "t" / "f" (what the server sends).
std::optional<bool> ParseBool(std::string_view text);
// "YYYY-MM-DD[ BC]" to days since 1970-01-01. nullopt for malformed text and for infinity.
std::optional<int32_t> ParseDate(std::string_view text);
// "YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]" to microseconds since 1970-01-01 UTC (the
// offset, when present, is applied). nullopt for malformed text and for infinity.
std::optional<int64_t> ParseTimestamp(std::string_view text);

// Appends "YYYY-MM-DD[ BC]".
void AppendDate(int32_t days, std::string& out);
// Appends "YYYY-MM-DD HH:MM:SS[.ffffff][ BC]" (UTC).
void AppendTimestamp(int64_t micros, std::string& out);
// Shortest text that reads back as the same double; NaN, Infinity, -Infinity.
void AppendDouble(double value, std::string& out);
void AppendInt64(int64_t value, std::string& out);

}  // namespace jobber::postgres
