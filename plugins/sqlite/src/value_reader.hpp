// Reads one SQLite result value into a batch column, converting the storage class to the
// column's jobber type.
#pragma once

#include <sqlite3.h>

#include <cstdint>

#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"

namespace jobber::sqlite {

// Appends result column `index` of the current row of `stmt` to column `index` of `builder`.
// NULL is always NULL. BIGINT takes INTEGER and integral FLOAT; DOUBLE takes INTEGER and FLOAT;
// DECIMAL takes numbers as SQLite renders them and numeric text; TIMESTAMP takes text
// (ParseTimestamp) and INTEGER unix seconds; DATE takes 'YYYY-MM-DD' text; BOOLEAN takes
// INTEGER (0 or not) and the text true/false/t/f/1/0; TEXT takes anything, BLOB bytes unchanged.
// Anything else throws Error(INVALID_ARGUMENT, "column 'c' row N: value '...' is not a TYPE"),
// with `row` counted from 1 over the whole result.
void AppendValue(sqlite3_stmt* stmt, int index, const sdk::Column& column, int64_t row, sdk::BatchBuilder& builder);

}  // namespace jobber::sqlite
