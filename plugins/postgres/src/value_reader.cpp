#include "value_reader.hpp"

#include <string>
#include <string_view>

#include "jobber/sdk/error.hpp"
#include "text_values.hpp"

namespace jobber::postgres {

namespace {

[[noreturn]] void ThrowUnreadable(const sdk::Column& type, int64_t row_number, std::string_view value) {
    std::string message = "column '" + type.name + "' row " + std::to_string(row_number) + ": value '" +
                          std::string(value.substr(0, 64)) + "' is not a " + sdk::TypeName(type.type);
    if (value == "infinity" || value == "-infinity") {
        message += " (infinite dates and timestamps have no counterpart; cast the column to text in the query)";
    }
    throw sdk::Error(JOBBER_INVALID_ARGUMENT, message);
}

}  // namespace

void AppendValue(const PGresult* result,
                 int row,
                 int column,
                 const sdk::Column& type,
                 int64_t row_number,
                 sdk::BatchBuilder& builder) {
    const auto index = static_cast<size_t>(column);
    if (PQgetisnull(result, row, column)) {
        builder.AppendNull(index);
        return;
    }
    const std::string_view value(PQgetvalue(result, row, column),
                                 static_cast<size_t>(PQgetlength(result, row, column)));
    switch (type.type) {
        case sdk::ColumnType::kBigInt:
            if (auto v = ParseInt64(value)) return builder.AppendInt64(index, *v);
            break;
        case sdk::ColumnType::kDouble:
            if (auto v = ParseDouble(value)) return builder.AppendDouble(index, *v);
            break;
        case sdk::ColumnType::kTimestamp:
            if (auto v = ParseTimestamp(value)) return builder.AppendInt64(index, *v);
            break;
        case sdk::ColumnType::kDate:
            if (auto v = ParseDate(value)) return builder.AppendDate(index, *v);
            break;
        case sdk::ColumnType::kBoolean:
            if (auto v = ParseBool(value)) return builder.AppendBool(index, *v);
            break;
        case sdk::ColumnType::kDecimal:
        case sdk::ColumnType::kText:
            return builder.AppendText(index, value);
    }
    ThrowUnreadable(type, row_number, value);
}

}  // namespace jobber::postgres
