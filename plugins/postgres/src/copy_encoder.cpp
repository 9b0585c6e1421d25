#include "copy_encoder.hpp"

#include <cstring>
#include <utility>

#include "jobber/sdk/error.hpp"
#include "numeric_binary.hpp"
#include "text_values.hpp"

namespace jobber::postgres {

namespace {

// PostgreSQL's epoch for dates and timestamps is 2000-01-01.
constexpr int32_t kEpochDays = 10957;
constexpr int64_t kEpochMicros = int64_t{kEpochDays} * 86400 * 1000000;

// "PGCOPY\n\377\r\n\0", then int32 flags and int32 header-extension length, both 0.
constexpr char kBinarySignature[] = "PGCOPY\n\377\r\n";
constexpr size_t kBinarySignatureSize = 11;  // includes the trailing NUL

void PutUint16(std::string& out, uint16_t v) {
    const char bytes[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
    out.append(bytes, 2);
}

void PutUint32(std::string& out, uint32_t v) {
    const uint32_t be = __builtin_bswap32(v);
    out.append(reinterpret_cast<const char*>(&be), 4);
}

void PutUint64(std::string& out, uint64_t v) {
    const uint64_t be = __builtin_bswap64(v);
    out.append(reinterpret_cast<const char*>(&be), 8);
}

// Backslash escapes of COPY's text format, for text inside a field.
void AppendEscaped(std::string_view value, std::string& out) {
    size_t start = 0;
    for (size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        const char* escape = nullptr;
        switch (c) {
            case '\\':
                escape = "\\\\";
                break;
            case '\n':
                escape = "\\n";
                break;
            case '\r':
                escape = "\\r";
                break;
            case '\t':
                escape = "\\t";
                break;
            default:
                continue;
        }
        out.append(value.data() + start, i - start);
        out.append(escape, 2);
        start = i + 1;
    }
    out.append(value.data() + start, value.size() - start);
}

}  // namespace

CopyFormat ParseCopyFormat(const std::string& text) {
    if (text == "binary") return CopyFormat::kBinary;
    if (text == "text") return CopyFormat::kText;
    throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'copy_format' must be binary or text, got '" + text + "'");
}

const char* CopyFormatName(CopyFormat format) {
    return format == CopyFormat::kBinary ? "binary" : "text";
}

CopyEncoder::CopyEncoder(CopyFormat format, sdk::Schema schema, std::string table)
    : format_(format), schema_(std::move(schema)), table_(std::move(table)) {}

const char* CopyEncoder::CopyOptions() const {
    return format_ == CopyFormat::kBinary ? "(FORMAT binary)" : "(FORMAT text)";
}

void CopyEncoder::AppendHeader(std::string& out) const {
    if (format_ != CopyFormat::kBinary) return;
    out.append(kBinarySignature, kBinarySignatureSize);
    PutUint32(out, 0);
    PutUint32(out, 0);
}

void CopyEncoder::AppendTrailer(std::string& out) const {
    if (format_ == CopyFormat::kBinary) PutUint16(out, 0xffff);
}

void CopyEncoder::AppendBatch(const sdk::BatchView& batch, std::string& out) {
    const int64_t rows = batch.rows();
    for (int64_t row = 0; row < rows; ++row) {
        if (format_ == CopyFormat::kBinary) {
            AppendBinaryRow(batch, row, out);
        } else {
            AppendTextRow(batch, row, out);
        }
    }
    rows_before_ += rows;
}

void CopyEncoder::AppendBinaryRow(const sdk::BatchView& batch, int64_t row, std::string& out) const {
    const size_t columns = schema_.size();
    PutUint16(out, static_cast<uint16_t>(columns));
    for (size_t c = 0; c < columns; ++c) {
        if (batch.IsNull(c, row)) {
            PutUint32(out, 0xffffffffu);  // -1: NULL
            continue;
        }
        switch (schema_[c].type) {
            case sdk::ColumnType::kBigInt:
                PutUint32(out, 8);
                PutUint64(out, static_cast<uint64_t>(batch.Int64(c, row)));
                break;
            case sdk::ColumnType::kDouble: {
                const double value = batch.Double(c, row);
                uint64_t bits = 0;
                std::memcpy(&bits, &value, sizeof(bits));
                PutUint32(out, 8);
                PutUint64(out, bits);
                break;
            }
            case sdk::ColumnType::kBoolean:
                PutUint32(out, 1);
                out.push_back(batch.Bool(c, row) ? 1 : 0);
                break;
            case sdk::ColumnType::kDate:
                PutUint32(out, 4);
                PutUint32(out, static_cast<uint32_t>(batch.Date(c, row) - kEpochDays));
                break;
            case sdk::ColumnType::kTimestamp:
                PutUint32(out, 8);
                PutUint64(out, static_cast<uint64_t>(batch.Int64(c, row) - kEpochMicros));
                break;
            case sdk::ColumnType::kDecimal: {
                const size_t length_at = out.size();
                PutUint32(out, 0);  // patched below
                const std::string_view text = batch.Text(c, row);
                if (!AppendNumericBinary(text, out)) ThrowBadDecimal(c, row, text);
                const uint32_t length = static_cast<uint32_t>(out.size() - length_at - 4);
                const uint32_t be = __builtin_bswap32(length);
                std::memcpy(&out[length_at], &be, 4);
                break;
            }
            case sdk::ColumnType::kText: {
                const std::string_view text = batch.Text(c, row);
                PutUint32(out, static_cast<uint32_t>(text.size()));
                out.append(text.data(), text.size());
                break;
            }
        }
    }
}

void CopyEncoder::AppendTextRow(const sdk::BatchView& batch, int64_t row, std::string& out) const {
    const size_t columns = schema_.size();
    for (size_t c = 0; c < columns; ++c) {
        if (c > 0) out.push_back('\t');
        if (batch.IsNull(c, row)) {
            out.append("\\N");
            continue;
        }
        switch (schema_[c].type) {
            case sdk::ColumnType::kBigInt:
                AppendInt64(batch.Int64(c, row), out);
                break;
            case sdk::ColumnType::kDouble:
                AppendDouble(batch.Double(c, row), out);
                break;
            case sdk::ColumnType::kBoolean:
                out.push_back(batch.Bool(c, row) ? 't' : 'f');
                break;
            case sdk::ColumnType::kDate:
                AppendDate(batch.Date(c, row), out);
                break;
            case sdk::ColumnType::kTimestamp:
                AppendTimestamp(batch.Int64(c, row), out);
                break;
            case sdk::ColumnType::kDecimal:
            case sdk::ColumnType::kText:
                AppendEscaped(batch.Text(c, row), out);
                break;
        }
    }
    out.push_back('\n');
}

void CopyEncoder::ThrowBadDecimal(size_t column, int64_t row, std::string_view value) const {
    std::string shown(value.substr(0, 64));
    if (value.size() > 64) shown += "...";
    throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table '" + table_ + "' column '" + schema_[column].name +
                                                  "' row " + std::to_string(rows_before_ + row + 1) + ": '" + shown +
                                                  "' is not a decimal number PostgreSQL can store");
}

}  // namespace jobber::postgres
