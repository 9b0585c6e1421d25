// Quoting SQLite identifiers and making result column names usable as table columns.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "jobber/sdk/columns.hpp"

namespace jobber::sqlite {

// "name" with embedded double quotes doubled; safe for any name.
std::string QuoteIdentifier(std::string_view name);

// SQLite compares identifiers ignoring ASCII case.
bool SameIdentifier(std::string_view a, std::string_view b);

// Column names for a results table, in schema order. A name equal (ignoring ASCII case, as
// SQLite does) to an earlier one gets the first free suffix _2, _3, ...: (id, id, id_2) becomes
// (id, id_2, id_2_2). An empty name becomes column_<position>.
std::vector<std::string> UniqueColumnNames(const sdk::Schema& schema);

}  // namespace jobber::sqlite
