#include "insert_loader.hpp"

#include <algorithm>
#include <cmath>

#include "identifiers.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/sdk/time.hpp"
#include "mysql_error.hpp"

namespace jobber::mysql {

namespace {

constexpr size_t kMaxParameters = 65535;

MYSQL_TIME ToMysqlTime(int64_t days, int64_t micros_of_day, enum_mysql_timestamp_type type) {
    const sdk::CivilDate c = sdk::CivilFromDays(days);
    MYSQL_TIME t{};
    t.year = static_cast<unsigned int>(c.year);
    t.month = c.month;
    t.day = c.day;
    const int64_t seconds = micros_of_day / sdk::kMicrosPerSecond;
    t.hour = static_cast<unsigned int>(seconds / 3600);
    t.minute = static_cast<unsigned int>(seconds / 60 % 60);
    t.second = static_cast<unsigned int>(seconds % 60);
    t.second_part = static_cast<unsigned long>(micros_of_day % sdk::kMicrosPerSecond);
    t.time_type = type;
    return t;
}

// The library only reads parameter buffers; the casts are for its C signature.
void* Mutable(const void* p) {
    return const_cast<void*>(p);
}

}  // namespace

InsertLoader::InsertLoader(MysqlConnection& connection,
                           const std::string& table,
                           const std::vector<std::string>& column_names,
                           const sdk::Schema& schema,
                           std::string context)
    : connection_(connection),
      schema_(schema),
      context_(std::move(context)),
      rows_per_statement_(
          std::max<size_t>(1, std::min(kInsertRows, kMaxParameters / std::max<size_t>(1, schema.size())))) {
    prefix_ = "INSERT INTO " + QuoteIdentifier(table) + " (";
    row_placeholders_ = "(";
    for (size_t i = 0; i < column_names.size(); ++i) {
        prefix_ += (i > 0 ? ", " : "") + QuoteIdentifier(column_names[i]);
        row_placeholders_ += i > 0 ? ", ?" : "?";
    }
    prefix_ += ") VALUES ";
    row_placeholders_ += ")";
}

MYSQL_STMT* InsertLoader::StatementFor(size_t rows) {
    auto it = statements_.find(rows);
    if (it != statements_.end()) return it->second.get();
    std::string sql = prefix_;
    sql.reserve(prefix_.size() + rows * (row_placeholders_.size() + 2));
    for (size_t i = 0; i < rows; ++i) {
        if (i > 0) sql += ", ";
        sql += row_placeholders_;
    }
    Statement stmt = connection_.Prepare(sql, context_);
    MYSQL_STMT* raw = stmt.get();
    // Keep the full-size statement and at most one remainder size: batches have steady sizes.
    if (statements_.size() >= 2) {
        for (auto entry = statements_.begin(); entry != statements_.end();) {
            entry = entry->first == rows_per_statement_ ? std::next(entry) : statements_.erase(entry);
        }
    }
    statements_.emplace(rows, std::move(stmt));
    return raw;
}

void InsertLoader::LoadRows(const sdk::BatchView& batch, int64_t first, size_t rows) {
    const size_t columns = schema_.size();
    const size_t count = rows * columns;
    binds_.assign(count, MYSQL_BIND{});
    lengths_.assign(count, 0);
    bools_.assign(count, 0);
    times_.assign(count, MYSQL_TIME{});
    doubles_.assign(count, 0);
    ints_.assign(count, 0);
    for (size_t r = 0; r < rows; ++r) {
        const int64_t row = first + static_cast<int64_t>(r);
        for (size_t c = 0; c < columns; ++c) {
            const size_t k = r * columns + c;
            MYSQL_BIND& bind = binds_[k];
            if (batch.IsNull(c, row)) {
                bind.buffer_type = MYSQL_TYPE_NULL;
                continue;
            }
            switch (schema_[c].type) {
                case sdk::ColumnType::kBigInt:
                    ints_[k] = batch.Int64(c, row);
                    bind.buffer_type = MYSQL_TYPE_LONGLONG;
                    bind.buffer = &ints_[k];
                    break;
                case sdk::ColumnType::kDouble: {
                    doubles_[k] = batch.Double(c, row);
                    if (!std::isfinite(doubles_[k])) {
                        bind.buffer_type = MYSQL_TYPE_NULL;  // MySQL has no NaN or infinity
                        break;
                    }
                    bind.buffer_type = MYSQL_TYPE_DOUBLE;
                    bind.buffer = &doubles_[k];
                    break;
                }
                case sdk::ColumnType::kBoolean:
                    bools_[k] = batch.Bool(c, row) ? 1 : 0;
                    bind.buffer_type = MYSQL_TYPE_TINY;
                    bind.buffer = &bools_[k];
                    break;
                case sdk::ColumnType::kDate:
                    times_[k] = ToMysqlTime(batch.Date(c, row), 0, MYSQL_TIMESTAMP_DATE);
                    bind.buffer_type = MYSQL_TYPE_DATE;
                    bind.buffer = &times_[k];
                    break;
                case sdk::ColumnType::kTimestamp: {
                    const int64_t micros = batch.Int64(c, row);
                    const int64_t days = sdk::FloorDiv(micros, sdk::kMicrosPerDay);
                    times_[k] = ToMysqlTime(days, micros - days * sdk::kMicrosPerDay, MYSQL_TIMESTAMP_DATETIME);
                    bind.buffer_type = MYSQL_TYPE_DATETIME;
                    bind.buffer = &times_[k];
                    break;
                }
                case sdk::ColumnType::kDecimal:
                case sdk::ColumnType::kText: {
                    const std::string_view text = batch.Text(c, row);
                    lengths_[k] = static_cast<unsigned long>(text.size());
                    bind.buffer_type = MYSQL_TYPE_STRING;
                    bind.buffer = Mutable(text.data());
                    bind.buffer_length = lengths_[k];
                    bind.length = &lengths_[k];
                    break;
                }
            }
        }
    }
    MYSQL_STMT* stmt = StatementFor(rows);
    if (mysql_stmt_bind_param(stmt, binds_.data()) != 0) ThrowStatement(stmt, context_);
    if (mysql_stmt_execute(stmt) != 0) ThrowStatement(stmt, context_);
}

void InsertLoader::Load(const sdk::BatchView& batch) {
    if (batch.rows() == 0) return;
    connection_.Exec("START TRANSACTION", context_);
    try {
        for (int64_t first = 0; first < batch.rows(); first += static_cast<int64_t>(rows_per_statement_)) {
            const size_t rows = std::min<size_t>(rows_per_statement_, static_cast<size_t>(batch.rows() - first));
            LoadRows(batch, first, rows);
        }
        connection_.Exec("COMMIT", context_);
    } catch (...) {
        // The first error is what the operator needs; a failing rollback only adds noise.
        if (mysql_rollback(connection_.handle()) != 0) connection_.MarkBroken();
        throw;
    }
}

}  // namespace jobber::mysql
