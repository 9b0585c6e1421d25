// MySQL identifiers: quoting, the 64-character limit, and result column names that MySQL accepts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "jobber/sdk/columns.hpp"

namespace jobber::mysql {

// MySQL's limit for table and column names, in characters.
constexpr size_t kMaxIdentifierChars = 64;

// `name` with embedded backticks doubled; safe for any name MySQL accepts.
std::string QuoteIdentifier(std::string_view name);

// Code points in valid UTF-8 `name` (bytes otherwise).
size_t IdentifierLength(std::string_view name);

// Throws INVALID_ARGUMENT unless MySQL keeps `name` as a table name unchanged: 1 to 64
// characters of valid UTF-8 in the Basic Multilingual Plane (MySQL stores identifiers in utf8mb3),
// no NUL, no trailing space, and not one of the plugin's own names (_jobber_...).
void CheckTableName(std::string_view name);

// Column names for a results table, in schema order, each one MySQL accepts: invalid UTF-8,
// characters outside the BMP and NUL become '_', trailing spaces are dropped, names are cut to 64
// characters, an empty name becomes column_<position>, and a name equal (ignoring case, as MySQL
// compares column names) to an earlier one gets the first free suffix _2, _3, ... (cut to fit).
std::vector<std::string> UniqueColumnNames(const sdk::Schema& schema);

}  // namespace jobber::mysql
