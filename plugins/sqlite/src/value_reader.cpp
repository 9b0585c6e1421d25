#include "value_reader.hpp"

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/time.hpp"

namespace jobber::sqlite {

namespace {

// Long values are cut in messages: the operator needs to recognise the value, not read it all.
constexpr size_t kMaxQuotedValue = 64;

std::string_view TextOf(sqlite3_stmt* stmt, int index) {
    // sqlite3_column_text before sqlite3_column_bytes, so the byte count is of the UTF-8 form.
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, index));
    const int size = sqlite3_column_bytes(stmt, index);
    if (text == nullptr) return {};
    return std::string_view(text, static_cast<size_t>(size));
}

[[noreturn]] void ThrowNotA(sqlite3_stmt* stmt, int index, const sdk::Column& column, int64_t row) {
    std::string value(TextOf(stmt, index));
    if (value.size() > kMaxQuotedValue) value = value.substr(0, kMaxQuotedValue) + "...";
    throw sdk::Error(JOBBER_INVALID_ARGUMENT, "column '" + column.name + "' row " + std::to_string(row) + ": value '" +
                                                  value + "' is not a " + sdk::TypeName(column.type));
}

std::optional<int64_t> IntegralDouble(double value) {
    // 2^63 is exactly representable; every double below it in magnitude that is integral fits.
    constexpr double kTwoTo63 = 9223372036854775808.0;
    if (std::trunc(value) != value || value < -kTwoTo63 || value >= kTwoTo63) return std::nullopt;
    return static_cast<int64_t>(value);
}

// [+-]digits[.digits][e[+-]digits] or [+-].digits..., the forms SQLite renders numbers in.
bool IsDecimalText(std::string_view s) {
    size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        size_t exponent_digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exponent_digits;
        if (exponent_digits == 0) return false;
    }
    return i == s.size();
}

std::optional<bool> BoolFromText(std::string_view s) {
    auto is = [s](std::string_view word) {
        return word.size() == s.size() && sqlite3_strnicmp(s.data(), word.data(), static_cast<int>(s.size())) == 0;
    };
    if (is("true") || is("t") || is("1")) return true;
    if (is("false") || is("f") || is("0")) return false;
    return std::nullopt;
}

}  // namespace

void AppendValue(sqlite3_stmt* stmt, int index, const sdk::Column& column, int64_t row, sdk::BatchBuilder& builder) {
    const auto out = static_cast<size_t>(index);
    const int storage = sqlite3_column_type(stmt, index);
    if (storage == SQLITE_NULL) {
        builder.AppendNull(out);
        return;
    }
    switch (column.type) {
        case sdk::ColumnType::kBigInt: {
            if (storage == SQLITE_INTEGER) {
                builder.AppendInt64(out, sqlite3_column_int64(stmt, index));
                return;
            }
            if (storage == SQLITE_FLOAT) {
                if (auto value = IntegralDouble(sqlite3_column_double(stmt, index))) {
                    builder.AppendInt64(out, *value);
                    return;
                }
            }
            break;
        }
        case sdk::ColumnType::kDouble: {
            if (storage == SQLITE_INTEGER || storage == SQLITE_FLOAT) {
                builder.AppendDouble(out, sqlite3_column_double(stmt, index));
                return;
            }
            break;
        }
        case sdk::ColumnType::kDecimal: {
            const std::string_view text = TextOf(stmt, index);
            if (storage == SQLITE_INTEGER || storage == SQLITE_FLOAT || IsDecimalText(text)) {
                builder.AppendText(out, text);
                return;
            }
            break;
        }
        case sdk::ColumnType::kTimestamp: {
            if (storage == SQLITE_INTEGER) {
                const int64_t seconds = sqlite3_column_int64(stmt, index);
                constexpr int64_t kLimit = std::numeric_limits<int64_t>::max() / sdk::kMicrosPerSecond;
                if (seconds >= -kLimit && seconds <= kLimit) {
                    builder.AppendInt64(out, seconds * sdk::kMicrosPerSecond);
                    return;
                }
            } else if (storage == SQLITE_TEXT) {
                if (auto micros = sdk::ParseTimestamp(TextOf(stmt, index))) {
                    builder.AppendInt64(out, *micros);
                    return;
                }
            }
            break;
        }
        case sdk::ColumnType::kDate: {
            if (storage == SQLITE_TEXT) {
                if (auto days = sdk::ParseDate(TextOf(stmt, index))) {
                    builder.AppendDate(out, *days);
                    return;
                }
            }
            break;
        }
        case sdk::ColumnType::kBoolean: {
            if (storage == SQLITE_INTEGER) {
                builder.AppendBool(out, sqlite3_column_int64(stmt, index) != 0);
                return;
            }
            if (storage == SQLITE_TEXT) {
                if (auto value = BoolFromText(TextOf(stmt, index))) {
                    builder.AppendBool(out, *value);
                    return;
                }
            }
            break;
        }
        case sdk::ColumnType::kText: {
            if (storage == SQLITE_BLOB) {
                const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, index));
                const int size = sqlite3_column_bytes(stmt, index);
                builder.AppendText(
                    out, bytes == nullptr ? std::string_view() : std::string_view(bytes, static_cast<size_t>(size)));
            } else {
                builder.AppendText(out, TextOf(stmt, index));
            }
            return;
        }
    }
    ThrowNotA(stmt, index, column, row);
}

}  // namespace jobber::sqlite
