// CSV text for one job's rows: RFC 4180 fields, one line per row, cells rendered per column type.
// Pure functions over strings, so they are unit-tested without files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"

namespace jobber_csv {

struct CsvStyle {
    // "\r\n" as RFC 4180 asks, or "\n".
    std::string_view line_ending = "\r\n";
};

// Appends `text` as one field: quoted when it holds a comma, a quote, CR or LF, or is empty or
// starts or ends with a space (so readers cannot trim it); quotes inside are doubled.
void AppendField(std::string& out, std::string_view text);

// The header line: every column name as a field.
void AppendHeader(std::string& out, const jobber::sdk::Schema& schema, const CsvStyle& style);

// Appends every row of `batch`. NULL is an empty unquoted field, distinct from the empty text "".
void AppendRows(std::string& out, const jobber::sdk::BatchView& batch, const CsvStyle& style);

// One cell as text: BIGINT in decimal; DOUBLE in the shortest form that reads back to the same
// value (NaN, Infinity, -Infinity); DECIMAL and TEXT unchanged; BOOLEAN true/false; DATE
// YYYY-MM-DD; TIMESTAMP YYYY-MM-DD HH:MM:SS[.ffffff] in UTC.
std::string CellText(const jobber::sdk::BatchView& batch, size_t column, int64_t row);

}  // namespace jobber_csv
