// One PostgreSQL text value to one batch cell of its column's type.
#pragma once

#include <libpq-fe.h>

#include <cstdint>

#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"

namespace jobber::postgres {

// Appends row `row`, column `column` of `result` to `builder`. `row_number` counts from 1 over the
// whole query, for messages. A value the column type cannot hold (a date or timestamp of
// +/-infinity) throws INVALID_ARGUMENT naming the column and row.
void AppendValue(const PGresult* result,
                 int row,
                 int column,
                 const sdk::Column& type,
                 int64_t row_number,
                 sdk::BatchBuilder& builder);

}  // namespace jobber::postgres
