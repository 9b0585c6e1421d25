#include "csv_format.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

#include "jobber/sdk/time.hpp"

namespace jobber_csv {

using jobber::sdk::ColumnType;

namespace {

bool NeedsQuotes(std::string_view text) {
    if (text.empty()) return true;
    if (text.front() == ' ' || text.back() == ' ') return true;
    return text.find_first_of(",\"\r\n") != std::string_view::npos;
}

std::string DoubleText(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    if (ec != std::errc()) throw jobber::sdk::Error(JOBBER_INTERNAL, "cannot format a DOUBLE value");
    return std::string(buf, end);
}

}  // namespace

// [csv-field]
void AppendField(std::string& out, std::string_view text) {
    if (!NeedsQuotes(text)) {
        out.append(text);
        return;
    }
    out.push_back('"');
    for (char c : text) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
}
// [csv-field]

void AppendHeader(std::string& out, const jobber::sdk::Schema& schema, const CsvStyle& style) {
    for (size_t c = 0; c < schema.size(); ++c) {
        if (c != 0) out.push_back(',');
        AppendField(out, schema[c].name);
    }
    out.append(style.line_ending);
}

// [csv-cell]
std::string CellText(const jobber::sdk::BatchView& batch, size_t column, int64_t row) {
    switch (batch.schema()[column].type) {
        case ColumnType::kBigInt:
            return std::to_string(batch.Int64(column, row));
        case ColumnType::kDouble:
            return DoubleText(batch.Double(column, row));
        case ColumnType::kBoolean:
            return batch.Bool(column, row) ? "true" : "false";
        case ColumnType::kDate:
            return jobber::sdk::FormatDate(batch.Date(column, row));
        case ColumnType::kTimestamp:
            return jobber::sdk::FormatTimestamp(batch.Int64(column, row));
        case ColumnType::kDecimal:
        case ColumnType::kText:
            return std::string(batch.Text(column, row));
    }
    throw jobber::sdk::Error(JOBBER_INTERNAL, "column '" + batch.schema()[column].name + "' has an unknown type");
}
// [csv-cell]

void AppendRows(std::string& out, const jobber::sdk::BatchView& batch, const CsvStyle& style) {
    for (int64_t row = 0; row < batch.rows(); ++row) {
        for (size_t column = 0; column < batch.columns(); ++column) {
            if (column != 0) out.push_back(',');
            // NULL is the one value written as an empty, unquoted field.
            if (!batch.IsNull(column, row)) AppendField(out, CellText(batch, column, row));
        }
        out.append(style.line_ending);
    }
}

}  // namespace jobber_csv
