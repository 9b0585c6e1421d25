#include "type_mapping.hpp"

namespace jobber::mysql {

ColumnInfo DescribeColumn(const MYSQL_FIELD& field) {
    ColumnInfo info;
    info.name = field.name != nullptr ? std::string(field.name, field.name_length) : std::string();
    info.mysql_type = field.type;
    const bool is_unsigned = (field.flags & UNSIGNED_FLAG) != 0;
    switch (field.type) {
        case MYSQL_TYPE_TINY:
            // TINYINT(1) is how MySQL spells BOOLEAN: the display width is the only trace of it.
            info.type = field.length == 1 ? sdk::ColumnType::kBoolean : sdk::ColumnType::kBigInt;
            break;
        case MYSQL_TYPE_SHORT:
        case MYSQL_TYPE_INT24:
        case MYSQL_TYPE_LONG:
        case MYSQL_TYPE_YEAR:
            info.type = sdk::ColumnType::kBigInt;
            break;
        case MYSQL_TYPE_LONGLONG:
            info.type = is_unsigned ? sdk::ColumnType::kDecimal : sdk::ColumnType::kBigInt;
            break;
        case MYSQL_TYPE_BIT:
            info.is_bit = true;
            if (field.length == 1) {
                info.type = sdk::ColumnType::kBoolean;
            } else {
                info.type = field.length < 64 ? sdk::ColumnType::kBigInt : sdk::ColumnType::kDecimal;
            }
            break;
        case MYSQL_TYPE_DECIMAL:
        case MYSQL_TYPE_NEWDECIMAL:
            info.type = sdk::ColumnType::kDecimal;
            break;
        case MYSQL_TYPE_FLOAT:
            info.is_float = true;
            info.type = sdk::ColumnType::kDouble;
            break;
        case MYSQL_TYPE_DOUBLE:
            info.type = sdk::ColumnType::kDouble;
            break;
        case MYSQL_TYPE_TIMESTAMP:
        case MYSQL_TYPE_DATETIME:
        case MYSQL_TYPE_TIMESTAMP2:
        case MYSQL_TYPE_DATETIME2:
            info.type = sdk::ColumnType::kTimestamp;
            break;
        case MYSQL_TYPE_DATE:
        case MYSQL_TYPE_NEWDATE:
            info.type = sdk::ColumnType::kDate;
            break;
        default:
            info.type = sdk::ColumnType::kText;
            break;
    }
    return info;
}

const char* ResultsColumnDefinition(sdk::ColumnType type) {
    switch (type) {
        case sdk::ColumnType::kBigInt:
            return "BIGINT";
        case sdk::ColumnType::kDecimal:
            // The widest exact type MySQL has: 35 integer and 30 fraction digits. The schema carries
            // no precision, so every DECIMAL result column gets it.
            return "DECIMAL(65,30)";
        case sdk::ColumnType::kDouble:
            return "DOUBLE";
        case sdk::ColumnType::kTimestamp:
            // DATETIME, not TIMESTAMP: no 2038 limit and no time zone conversion; values are UTC.
            return "DATETIME(6)";
        case sdk::ColumnType::kDate:
            return "DATE";
        case sdk::ColumnType::kBoolean:
            return "TINYINT(1)";
        case sdk::ColumnType::kText:
            return "LONGTEXT";
    }
    return "LONGTEXT";
}

}  // namespace jobber::mysql
