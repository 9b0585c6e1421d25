// One MySQL value to one batch cell, from either protocol: text (mysql_use_result) gives every value
// as a string; binary (prepared statements) gives numbers and times natively, the rest as strings.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "jobber/sdk/batch.hpp"
#include "type_mapping.hpp"

namespace jobber::mysql {

// Appends a value given as text (or, for BIT columns, as big-endian bytes). `row` counts from 1
// over the whole result, for messages. Throws INVALID_ARGUMENT for values that do not fit the
// column type, such as zero dates.
void AppendText(sdk::BatchBuilder& builder,
                size_t column,
                const ColumnInfo& info,
                std::string_view value,
                int64_t row,
                const std::string& context);

// Appends a DATE, DATETIME or TIMESTAMP value received in the binary protocol.
void AppendTime(sdk::BatchBuilder& builder,
                size_t column,
                const ColumnInfo& info,
                const MYSQL_TIME& value,
                int64_t row,
                const std::string& context);

// FLOAT widened to double through its shortest decimal text, so 1.1f reads as 1.1, as MySQL prints it.
double WidenFloat(float value);

}  // namespace jobber::mysql
