#include "row_reader.hpp"

#include <utility>

#include "jobber/sdk/error.hpp"
#include "mysql_error.hpp"
#include "value_reader.hpp"

namespace jobber::mysql {

namespace {
// Initial buffer per string column; most values fit, longer ones grow it once.
constexpr size_t kInitialBytes = 256;
}  // namespace

BinaryRowReader::BinaryRowReader(MYSQL_STMT* stmt, std::string context) : stmt_(stmt), context_(std::move(context)) {
    Result metadata(mysql_stmt_result_metadata(stmt_));
    if (metadata == nullptr) ThrowStatement(stmt_, context_);
    const unsigned int count = mysql_num_fields(metadata.get());
    const MYSQL_FIELD* fields = mysql_fetch_fields(metadata.get());
    columns_.reserve(count);
    buffers_.resize(count);
    for (unsigned int i = 0; i < count; ++i) {
        columns_.push_back(DescribeColumn(fields[i]));
        const ColumnInfo& info = columns_.back();
        Buffer& buffer = buffers_[i];
        if (info.is_bit) {
            buffer.slot = Slot::kBytes;
        } else if (info.type == sdk::ColumnType::kBigInt || info.type == sdk::ColumnType::kBoolean) {
            buffer.slot = Slot::kInt;
        } else if (info.type == sdk::ColumnType::kDouble) {
            buffer.slot = info.is_float ? Slot::kFloat : Slot::kDouble;
        } else if (info.type == sdk::ColumnType::kTimestamp || info.type == sdk::ColumnType::kDate) {
            buffer.slot = Slot::kTime;
        } else {
            buffer.slot = Slot::kBytes;  // DECIMAL and TEXT: the client library renders them as text
        }
        if (buffer.slot == Slot::kBytes) buffer.bytes.resize(kInitialBytes);
    }
    BindAll();
}

void BinaryRowReader::BindAll() {
    binds_.assign(buffers_.size(), MYSQL_BIND{});
    for (size_t i = 0; i < buffers_.size(); ++i) {
        Buffer& buffer = buffers_[i];
        MYSQL_BIND& bind = binds_[i];
        bind.is_null = &buffer.is_null;
        bind.length = &buffer.length;
        bind.error = &buffer.error;
        switch (buffer.slot) {
            case Slot::kInt:
                bind.buffer_type = MYSQL_TYPE_LONGLONG;
                bind.buffer = &buffer.int_value;
                break;
            case Slot::kDouble:
                bind.buffer_type = MYSQL_TYPE_DOUBLE;
                bind.buffer = &buffer.double_value;
                break;
            case Slot::kFloat:
                bind.buffer_type = MYSQL_TYPE_FLOAT;
                bind.buffer = &buffer.float_value;
                break;
            case Slot::kTime:
                bind.buffer_type = MYSQL_TYPE_DATETIME;
                bind.buffer = &buffer.time;
                break;
            case Slot::kBytes:
                bind.buffer_type = MYSQL_TYPE_STRING;
                bind.buffer = buffer.bytes.data();
                bind.buffer_length = static_cast<unsigned long>(buffer.bytes.size());
                break;
        }
    }
    if (!binds_.empty() && mysql_stmt_bind_result(stmt_, binds_.data()) != 0) ThrowStatement(stmt_, context_);
}

void BinaryRowReader::Refetch(size_t column) {
    Buffer& buffer = buffers_[column];
    buffer.bytes.resize(buffer.length);
    MYSQL_BIND bind = binds_[column];
    bind.buffer = buffer.bytes.data();
    bind.buffer_length = static_cast<unsigned long>(buffer.bytes.size());
    if (mysql_stmt_fetch_column(stmt_, &bind, static_cast<unsigned int>(column), 0) != 0) {
        ThrowStatement(stmt_, context_);
    }
}

bool BinaryRowReader::ReadRow(sdk::BatchBuilder& builder, int64_t row_number) {
    const int rc = mysql_stmt_fetch(stmt_);
    if (rc == MYSQL_NO_DATA) return false;
    if (rc == 1) ThrowStatement(stmt_, context_);
    bool rebind = false;
    if (rc == MYSQL_DATA_TRUNCATED) {
        for (size_t i = 0; i < buffers_.size(); ++i) {
            Buffer& buffer = buffers_[i];
            if (!buffer.error || buffer.is_null) continue;
            if (buffer.slot != Slot::kBytes || buffer.length <= buffer.bytes.size()) {
                throw sdk::Error(JOBBER_INTERNAL, context_ + ": column '" + columns_[i].name + "' row " +
                                                      std::to_string(row_number) +
                                                      ": the MySQL client library truncated the value");
            }
            Refetch(i);
            rebind = true;
        }
    }
    for (size_t i = 0; i < buffers_.size(); ++i) {
        const Buffer& buffer = buffers_[i];
        if (buffer.is_null) {
            builder.AppendNull(i);
            continue;
        }
        switch (buffer.slot) {
            case Slot::kInt:
                if (columns_[i].type == sdk::ColumnType::kBoolean) {
                    builder.AppendBool(i, buffer.int_value != 0);
                } else {
                    builder.AppendInt64(i, buffer.int_value);
                }
                break;
            case Slot::kDouble:
                builder.AppendDouble(i, buffer.double_value);
                break;
            case Slot::kFloat:
                builder.AppendDouble(i, WidenFloat(buffer.float_value));
                break;
            case Slot::kTime:
                AppendTime(builder, i, columns_[i], buffer.time, row_number, context_);
                break;
            case Slot::kBytes:
                AppendText(builder, i, columns_[i], std::string_view(buffer.bytes.data(), buffer.length), row_number,
                           context_);
                break;
        }
    }
    // Grown buffers are bound again only now: rebinding resets the row that was being read.
    if (rebind) BindAll();
    return true;
}

TextRowReader::TextRowReader(MYSQL* mysql, Result result, std::string context)
    : mysql_(mysql), result_(std::move(result)), context_(std::move(context)) {
    const unsigned int count = mysql_num_fields(result_.get());
    const MYSQL_FIELD* fields = mysql_fetch_fields(result_.get());
    columns_.reserve(count);
    for (unsigned int i = 0; i < count; ++i) columns_.push_back(DescribeColumn(fields[i]));
}

bool TextRowReader::ReadRow(sdk::BatchBuilder& builder, int64_t row_number) {
    MYSQL_ROW row = mysql_fetch_row(result_.get());
    if (row == nullptr) {
        if (mysql_errno(mysql_) != 0) ThrowMysql(mysql_, context_);
        return false;
    }
    const unsigned long* lengths = mysql_fetch_lengths(result_.get());
    for (size_t i = 0; i < columns_.size(); ++i) {
        if (row[i] == nullptr) {
            builder.AppendNull(i);
        } else {
            AppendText(builder, i, columns_[i], std::string_view(row[i], lengths[i]), row_number, context_);
        }
    }
    return true;
}

}  // namespace jobber::mysql
