// Batches as the tab-separated text LOAD DATA reads by default: fields end with '\t', lines with
// '\n', '\' escapes, NULL is \N.
#pragma once

#include <string>

#include "jobber/sdk/batch.hpp"

namespace jobber::mysql {

// Appends every row of `batch` to `out`. BIGINT and DOUBLE as shortest round-trip decimals
// (non-finite doubles, which MySQL cannot store, as NULL), BOOLEAN as 0/1, DATE as YYYY-MM-DD,
// TIMESTAMP as YYYY-MM-DD HH:MM:SS.ffffff (UTC), DECIMAL and TEXT as their text with '\', tab,
// newline and NUL escaped.
void AppendTsv(const sdk::BatchView& batch, std::string& out);

}  // namespace jobber::mysql
