// Which jobber column type an SQLite result column gets, and which declared type a results
// table column gets.
#pragma once

#include <string_view>

#include "jobber/sdk/columns.hpp"

namespace jobber::sqlite {

// From a column's declared type (sqlite3_column_decltype), by case-insensitive substring in this
// order: BOOL; DATETIME or TIMESTAMP; DATE; DEC or NUMERIC; INT; REAL, FLOA or DOUB; else TEXT.
sdk::ColumnType ColumnTypeFromDecltype(std::string_view declared);

// For expression columns (no declared type), from the first row's storage class:
// INTEGER -> BIGINT, FLOAT -> DOUBLE, anything else (TEXT, BLOB, NULL) -> TEXT.
sdk::ColumnType ColumnTypeFromStorageClass(int storage_class);

// The declared type of a results-table column. Each maps back to the same ColumnType through
// ColumnTypeFromDecltype, so a results table read by this plugin's source keeps its types.
const char* ResultsDeclaredType(sdk::ColumnType type);

}  // namespace jobber::sqlite
