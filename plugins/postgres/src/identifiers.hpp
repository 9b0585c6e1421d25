// PostgreSQL identifiers: quoting, the 63-byte limit, and column names usable in a results table.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "jobber/sdk/columns.hpp"

namespace jobber::postgres {

// NAMEDATALEN - 1: PostgreSQL silently truncates longer identifiers, which could merge two names.
constexpr size_t kMaxIdentifierBytes = 63;

// "name" with embedded double quotes doubled; safe for any name without NUL bytes.
std::string QuoteIdentifier(std::string_view name);

// Throws INVALID_ARGUMENT for a results table name that is empty, longer than 63 bytes, holds a
// NUL byte, or is reserved (the metadata table, the temporary-table prefix).
void CheckTableName(std::string_view table_name);

// Column names for a results table, in schema order, each at most 63 bytes and all distinct
// (PostgreSQL compares quoted names byte for byte). An empty name becomes column_<position>; a
// longer name keeps its first bytes (whole UTF-8 characters) plus '_' and 8 hex digits of a hash
// of the full name; a repeated name gets the first free suffix _2, _3, ...
std::vector<std::string> ResultColumnNames(const sdk::Schema& schema);

}  // namespace jobber::postgres
