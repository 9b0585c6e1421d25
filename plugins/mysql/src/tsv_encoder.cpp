#include "tsv_encoder.hpp"

#include <charconv>
#include <cmath>

#include "jobber/sdk/time.hpp"

namespace jobber::mysql {

namespace {

void AppendDigits(std::string& out, int64_t value, int width) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value > 0 || n < width);
    while (n > 0) out.push_back(digits[--n]);
}

void AppendDate(std::string& out, int64_t days) {
    const sdk::CivilDate c = sdk::CivilFromDays(days);
    if (c.year < 0) out.push_back('-');
    AppendDigits(out, c.year < 0 ? -c.year : c.year, 4);
    out.push_back('-');
    AppendDigits(out, c.month, 2);
    out.push_back('-');
    AppendDigits(out, c.day, 2);
}

void AppendTimestamp(std::string& out, int64_t micros) {
    const int64_t days = sdk::FloorDiv(micros, sdk::kMicrosPerDay);
    const int64_t rest = micros - days * sdk::kMicrosPerDay;
    AppendDate(out, days);
    const int64_t seconds = rest / sdk::kMicrosPerSecond;
    out.push_back(' ');
    AppendDigits(out, seconds / 3600, 2);
    out.push_back(':');
    AppendDigits(out, seconds / 60 % 60, 2);
    out.push_back(':');
    AppendDigits(out, seconds % 60, 2);
    out.push_back('.');
    AppendDigits(out, rest % sdk::kMicrosPerSecond, 6);
}

void AppendEscaped(std::string& out, std::string_view text) {
    size_t start = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const char* escape = nullptr;
        switch (c) {
            case '\\':
                escape = "\\\\";
                break;
            case '\t':
                escape = "\\t";
                break;
            case '\n':
                escape = "\\n";
                break;
            case '\0':
                escape = "\\0";
                break;
            default:
                continue;
        }
        out.append(text.substr(start, i - start));
        out.append(escape);
        start = i + 1;
    }
    out.append(text.substr(start));
}

template <class T>
void AppendNumber(std::string& out, T value) {
    char buffer[40];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    out.append(buffer, end);
}

}  // namespace

void AppendTsv(const sdk::BatchView& batch, std::string& out) {
    const size_t columns = batch.columns();
    const sdk::Schema& schema = batch.schema();
    for (int64_t row = 0; row < batch.rows(); ++row) {
        for (size_t column = 0; column < columns; ++column) {
            if (column > 0) out.push_back('\t');
            if (batch.IsNull(column, row)) {
                out.append("\\N");
                continue;
            }
            switch (schema[column].type) {
                case sdk::ColumnType::kBigInt:
                    AppendNumber(out, batch.Int64(column, row));
                    break;
                case sdk::ColumnType::kDouble: {
                    const double value = batch.Double(column, row);
                    if (std::isfinite(value)) {
                        AppendNumber(out, value);
                    } else {
                        out.append("\\N");
                    }
                    break;
                }
                case sdk::ColumnType::kBoolean:
                    out.push_back(batch.Bool(column, row) ? '1' : '0');
                    break;
                case sdk::ColumnType::kDate:
                    AppendDate(out, batch.Date(column, row));
                    break;
                case sdk::ColumnType::kTimestamp:
                    AppendTimestamp(out, batch.Int64(column, row));
                    break;
                case sdk::ColumnType::kDecimal:
                case sdk::ColumnType::kText:
                    AppendEscaped(out, batch.Text(column, row));
                    break;
            }
        }
        out.push_back('\n');
    }
}

}  // namespace jobber::mysql
