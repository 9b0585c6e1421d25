#include "value_reader.hpp"

#include <charconv>
#include <cstdio>
#include <system_error>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/time.hpp"

namespace jobber::mysql {

namespace {

[[noreturn]] void Reject(const ColumnInfo& info,
                         std::string_view value,
                         int64_t row,
                         const std::string& context,
                         const std::string& hint = "") {
    std::string shown(value.substr(0, 64));
    throw sdk::Error(JOBBER_INVALID_ARGUMENT, context + ": column '" + info.name + "' row " + std::to_string(row) +
                                                  ": value '" + shown + "' is not a valid " + sdk::TypeName(info.type) +
                                                  hint);
}

bool IsZeroDate(std::string_view value) {
    return value.size() >= 10 && (value.substr(5, 2) == "00" || value.substr(8, 2) == "00");
}

const char* kZeroDateHint =
    " (MySQL zero dates have no calendar value; map them in the query, e.g. NULLIF(col, '0000-00-00'))";

uint64_t BitValue(std::string_view bytes) {
    uint64_t value = 0;
    for (char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
    return value;
}

}  // namespace

double WidenFloat(float value) {
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    double widened = value;
    if (ec == std::errc()) std::from_chars(buffer, end, widened);
    return widened;
}

void AppendText(sdk::BatchBuilder& builder,
                size_t column,
                const ColumnInfo& info,
                std::string_view value,
                int64_t row,
                const std::string& context) {
    const char* begin = value.data();
    const char* end = value.data() + value.size();
    switch (info.type) {
        case sdk::ColumnType::kBigInt: {
            if (info.is_bit) {
                builder.AppendInt64(column, static_cast<int64_t>(BitValue(value)));
                return;
            }
            int64_t parsed = 0;
            const auto [ptr, ec] = std::from_chars(begin, end, parsed);
            if (ec != std::errc() || ptr != end) Reject(info, value, row, context);
            builder.AppendInt64(column, parsed);
            return;
        }
        case sdk::ColumnType::kBoolean: {
            if (info.is_bit) {
                builder.AppendBool(column, BitValue(value) != 0);
                return;
            }
            int64_t parsed = 0;
            const auto [ptr, ec] = std::from_chars(begin, end, parsed);
            if (ec != std::errc() || ptr != end) Reject(info, value, row, context);
            builder.AppendBool(column, parsed != 0);
            return;
        }
        case sdk::ColumnType::kDouble: {
            double parsed = 0;
            const auto [ptr, ec] = std::from_chars(begin, end, parsed);
            if (ec != std::errc() || ptr != end) Reject(info, value, row, context);
            builder.AppendDouble(column, parsed);
            return;
        }
        case sdk::ColumnType::kDecimal:
            if (info.is_bit) {
                builder.AppendText(column, std::to_string(BitValue(value)));
            } else {
                builder.AppendText(column, value);
            }
            return;
        case sdk::ColumnType::kTimestamp: {
            const auto micros = sdk::ParseTimestamp(value);
            if (!micros) Reject(info, value, row, context, IsZeroDate(value) ? kZeroDateHint : "");
            builder.AppendInt64(column, *micros);
            return;
        }
        case sdk::ColumnType::kDate: {
            const auto days = sdk::ParseDate(value);
            if (!days) Reject(info, value, row, context, IsZeroDate(value) ? kZeroDateHint : "");
            builder.AppendDate(column, *days);
            return;
        }
        case sdk::ColumnType::kText:
            builder.AppendText(column, value);
            return;
    }
}

void AppendTime(sdk::BatchBuilder& builder,
                size_t column,
                const ColumnInfo& info,
                const MYSQL_TIME& value,
                int64_t row,
                const std::string& context) {
    if (value.month == 0 || value.day == 0 || value.month > 12 || value.day > 31) {
        char text[48];
        std::snprintf(text, sizeof(text), "%04u-%02u-%02u %02u:%02u:%02u", value.year, value.month, value.day,
                      value.hour, value.minute, value.second);
        const std::string shown = info.type == sdk::ColumnType::kDate ? std::string(text, 10) : std::string(text);
        Reject(info, shown, row, context, kZeroDateHint);
    }
    const int64_t days = sdk::DaysFromCivil(value.year, value.month, value.day);
    if (info.type == sdk::ColumnType::kDate) {
        builder.AppendDate(column, static_cast<int32_t>(days));
        return;
    }
    const int64_t seconds = (static_cast<int64_t>(value.hour) * 60 + value.minute) * 60 + value.second;
    builder.AppendInt64(
        column, days * sdk::kMicrosPerDay + seconds * sdk::kMicrosPerSecond + static_cast<int64_t>(value.second_part));
}

}  // namespace jobber::mysql
