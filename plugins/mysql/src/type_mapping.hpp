// MySQL column types to jobber column types (source), and jobber column types to MySQL column
// definitions (results backend).
#pragma once

#include <mysql.h>

#include <string>

#include "jobber/sdk/columns.hpp"

namespace jobber::mysql {

// What the source needs to know about one result column to read its values.
struct ColumnInfo {
    std::string name;
    sdk::ColumnType type = sdk::ColumnType::kText;
    enum_field_types mysql_type = MYSQL_TYPE_NULL;
    bool is_bit = false;    // BIT(n): values arrive as big-endian bytes in both protocols
    bool is_float = false;  // FLOAT: read as float, widened through its shortest decimal text
};

// TINYINT(1) and BIT(1) are BOOLEAN; other integers BIGINT, except BIGINT UNSIGNED and BIT(64),
// whose values may exceed int64: DECIMAL. DECIMAL is DECIMAL; FLOAT and DOUBLE are DOUBLE;
// DATETIME and TIMESTAMP are TIMESTAMP; DATE is DATE; everything else (strings, TIME, JSON, ENUM,
// SET, BLOB, geometry, NULL) is TEXT.
ColumnInfo DescribeColumn(const MYSQL_FIELD& field);

// The column definition a results table uses for `type`; each maps back to `type` through
// DescribeColumn, so results tables round-trip.
const char* ResultsColumnDefinition(sdk::ColumnType type);

}  // namespace jobber::mysql
