#include "type_mapping.hpp"

namespace jobber::postgres {

sdk::ColumnType ColumnTypeFromOid(Oid type) {
    switch (type) {
        case kInt2Oid:
        case kInt4Oid:
        case kInt8Oid:
            return sdk::ColumnType::kBigInt;
        case kNumericOid:
            return sdk::ColumnType::kDecimal;
        case kFloat4Oid:
        case kFloat8Oid:
            return sdk::ColumnType::kDouble;
        case kTimestampOid:
        case kTimestampTzOid:
            return sdk::ColumnType::kTimestamp;
        case kDateOid:
            return sdk::ColumnType::kDate;
        case kBoolOid:
            return sdk::ColumnType::kBoolean;
        default:
            return sdk::ColumnType::kText;
    }
}

const char* ResultsColumnType(sdk::ColumnType type) {
    switch (type) {
        case sdk::ColumnType::kBigInt:
            return "bigint";
        case sdk::ColumnType::kDecimal:
            return "numeric";
        case sdk::ColumnType::kDouble:
            return "double precision";
        case sdk::ColumnType::kTimestamp:
            return "timestamp";
        case sdk::ColumnType::kDate:
            return "date";
        case sdk::ColumnType::kBoolean:
            return "boolean";
        case sdk::ColumnType::kText:
            return "text";
    }
    return "text";
}

}  // namespace jobber::postgres
