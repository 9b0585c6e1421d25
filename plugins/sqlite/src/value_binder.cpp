#include "value_binder.hpp"

#include <string_view>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/time.hpp"
#include "sqlite_error.hpp"

namespace jobber::sqlite {

namespace {

void CheckBind(sqlite3_stmt* stmt, int rc, const std::string& context, int param) {
    if (rc != SQLITE_OK) ThrowSqlite(sqlite3_db_handle(stmt), rc, context + " argument " + std::to_string(param));
}

int BindText(sqlite3_stmt* stmt, int param, std::string_view text, sqlite3_destructor_type lifetime) {
    // A non-null pointer even for "": a null pointer would bind NULL instead of an empty string.
    return sqlite3_bind_text64(stmt, param, text.empty() ? "" : text.data(), text.size(), lifetime, SQLITE_UTF8);
}

}  // namespace

void BindParams(sqlite3_stmt* stmt, const jobber_value* params, uint32_t count, const std::string& context) {
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (static_cast<int64_t>(count) != expected) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         context + " expects " + std::to_string(expected) + " arguments, got " + std::to_string(count));
    }
    for (uint32_t i = 0; i < count; ++i) {
        const jobber_value& value = params[i];
        const int param = static_cast<int>(i) + 1;
        switch (value.type) {
            case JOBBER_VALUE_NULL:
                CheckBind(stmt, sqlite3_bind_null(stmt, param), context, param);
                break;
            case JOBBER_VALUE_BOOL:
                CheckBind(stmt, sqlite3_bind_int(stmt, param, value.bool_value != 0 ? 1 : 0), context, param);
                break;
            case JOBBER_VALUE_INT64:
                CheckBind(stmt, sqlite3_bind_int64(stmt, param, value.int_value), context, param);
                break;
            case JOBBER_VALUE_DOUBLE:
                CheckBind(stmt, sqlite3_bind_double(stmt, param, value.double_value), context, param);
                break;
            case JOBBER_VALUE_TEXT: {
                const std::string_view text =
                    value.text == nullptr ? std::string_view() : std::string_view(value.text, value.text_size);
                CheckBind(stmt, BindText(stmt, param, text, SQLITE_TRANSIENT), context, param);
                break;
            }
            default:
                throw sdk::Error(JOBBER_INVALID_ARGUMENT, context + " argument " + std::to_string(param) +
                                                              " has unknown value type " + std::to_string(value.type));
        }
    }
}

void BindBatchValue(sqlite3_stmt* stmt, int param, const sdk::BatchView& batch, size_t column, int64_t row) {
    int rc = SQLITE_OK;
    if (batch.IsNull(column, row)) {
        rc = sqlite3_bind_null(stmt, param);
    } else {
        switch (batch.schema()[column].type) {
            case sdk::ColumnType::kBigInt:
                rc = sqlite3_bind_int64(stmt, param, batch.Int64(column, row));
                break;
            case sdk::ColumnType::kDouble:
                rc = sqlite3_bind_double(stmt, param, batch.Double(column, row));
                break;
            case sdk::ColumnType::kBoolean:
                rc = sqlite3_bind_int(stmt, param, batch.Bool(column, row) ? 1 : 0);
                break;
            case sdk::ColumnType::kTimestamp:
                rc = BindText(stmt, param, sdk::FormatTimestamp(batch.Int64(column, row)), SQLITE_TRANSIENT);
                break;
            case sdk::ColumnType::kDate:
                rc = BindText(stmt, param, sdk::FormatDate(batch.Date(column, row)), SQLITE_TRANSIENT);
                break;
            case sdk::ColumnType::kDecimal:
            case sdk::ColumnType::kText:
                rc = BindText(stmt, param, batch.Text(column, row), SQLITE_STATIC);
                break;
        }
    }
    if (rc != SQLITE_OK) ThrowSqlite(sqlite3_db_handle(stmt), rc, "column '" + batch.schema()[column].name + "'");
}

}  // namespace jobber::sqlite
