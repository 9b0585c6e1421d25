#include "type_mapping.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace jobber::sqlite {

namespace {

bool Contains(const std::string& upper, const char* needle) {
    return upper.find(needle) != std::string::npos;
}

}  // namespace

sdk::ColumnType ColumnTypeFromDecltype(std::string_view declared) {
    std::string upper(declared);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (Contains(upper, "BOOL")) return sdk::ColumnType::kBoolean;
    if (Contains(upper, "DATETIME") || Contains(upper, "TIMESTAMP")) return sdk::ColumnType::kTimestamp;
    if (Contains(upper, "DATE")) return sdk::ColumnType::kDate;
    if (Contains(upper, "DEC") || Contains(upper, "NUMERIC")) return sdk::ColumnType::kDecimal;
    if (Contains(upper, "INT")) return sdk::ColumnType::kBigInt;
    if (Contains(upper, "REAL") || Contains(upper, "FLOA") || Contains(upper, "DOUB")) {
        return sdk::ColumnType::kDouble;
    }
    return sdk::ColumnType::kText;
}

sdk::ColumnType ColumnTypeFromStorageClass(int storage_class) {
    switch (storage_class) {
        case SQLITE_INTEGER:
            return sdk::ColumnType::kBigInt;
        case SQLITE_FLOAT:
            return sdk::ColumnType::kDouble;
        default:
            return sdk::ColumnType::kText;
    }
}

const char* ResultsDeclaredType(sdk::ColumnType type) {
    switch (type) {
        case sdk::ColumnType::kBigInt:
            return "BIGINT";
        // "TEXT" in the name gives the column TEXT affinity, so SQLite stores the decimal text as
        // is; DECIMAL alone would mean NUMERIC affinity, which turns "10.10" into the REAL 10.1
        // and rounds digits beyond a double's precision. "DEC" maps it back to DECIMAL.
        case sdk::ColumnType::kDecimal:
            return "DECIMAL_TEXT";
        case sdk::ColumnType::kDouble:
            return "DOUBLE";
        case sdk::ColumnType::kTimestamp:
            return "TIMESTAMP";
        case sdk::ColumnType::kDate:
            return "DATE";
        case sdk::ColumnType::kBoolean:
            return "BOOLEAN";
        case sdk::ColumnType::kText:
            return "TEXT";
    }
    return "TEXT";
}

}  // namespace jobber::sqlite
