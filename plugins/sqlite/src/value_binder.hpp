// Binds values to SQLite statement parameters: task arguments and results-table cells.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "jobber/abi/source.h"
#include "jobber/sdk/batch.hpp"

namespace jobber::sqlite {

// Binds `count` task arguments to ?1..?count. NULL -> NULL, BOOL -> 0/1, INT64 -> integer,
// DOUBLE -> real, TEXT -> text (copied). Throws Error(INVALID_ARGUMENT, "<context>: ...") when
// the statement expects a different number of arguments or a value has an unknown type.
void BindParams(sqlite3_stmt* stmt, const jobber_value* params, uint32_t count, const std::string& context);

// Binds cell (`column`, `row`) of `batch` to parameter `param` in the results-table form:
// TIMESTAMP as 'YYYY-MM-DD HH:MM:SS[.ffffff]', DATE as 'YYYY-MM-DD', BOOLEAN as 0/1, DECIMAL and
// TEXT as text. Text is bound without copying: `batch` must outlive the next sqlite3_step.
void BindBatchValue(sqlite3_stmt* stmt, int param, const sdk::BatchView& batch, size_t column, int64_t row);

}  // namespace jobber::sqlite
