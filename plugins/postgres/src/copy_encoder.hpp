// Batches to the bytes of COPY ... FROM STDIN, in PostgreSQL's binary or text format.
#pragma once

#include <cstdint>
#include <string>

#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"

namespace jobber::postgres {

enum class CopyFormat { kBinary, kText };

// "binary" / "text"; throws INVALID_ARGUMENT naming the config key otherwise.
CopyFormat ParseCopyFormat(const std::string& text);
const char* CopyFormatName(CopyFormat format);

// Stateless apart from the row count used in messages. Not thread-safe; one per table.
class CopyEncoder {
public:
    CopyEncoder(CopyFormat format, sdk::Schema schema, std::string table);

    // The WITH clause of the COPY statement, e.g. "(FORMAT binary)".
    const char* CopyOptions() const;
    // The bytes before the first row (the binary signature and header) and after the last.
    void AppendHeader(std::string& out) const;
    void AppendTrailer(std::string& out) const;
    // Appends every row of `batch`. A DECIMAL that is not a decimal number throws INVALID_ARGUMENT
    // naming the column and the row (counted over the whole table, from 1).
    void AppendBatch(const sdk::BatchView& batch, std::string& out);

private:
    void AppendBinaryRow(const sdk::BatchView& batch, int64_t row, std::string& out) const;
    void AppendTextRow(const sdk::BatchView& batch, int64_t row, std::string& out) const;
    [[noreturn]] void ThrowBadDecimal(size_t column, int64_t row, std::string_view value) const;

    const CopyFormat format_;
    const sdk::Schema schema_;
    const std::string table_;
    int64_t rows_before_ = 0;  // rows of earlier batches
};

}  // namespace jobber::postgres
