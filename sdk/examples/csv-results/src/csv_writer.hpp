// One job's CSV file being written: a hidden temporary file that Commit renames into place.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "csv_format.hpp"
#include "jobber/sdk/roles.hpp"
#include "table_directory.hpp"

namespace jobber_csv {

class CsvWriter : public jobber::sdk::ResultsWriter {
public:
    // Creates the temporary file and writes the header line (when `header`).
    CsvWriter(std::shared_ptr<TableDirectory> directory,
              const jobber::sdk::ResultsTarget& target,
              const jobber::sdk::Schema& schema,
              CsvStyle style,
              bool header);
    CsvWriter(const CsvWriter&) = delete;
    CsvWriter& operator=(const CsvWriter&) = delete;
    // Without Commit: closes and removes the temporary file.
    ~CsvWriter() override;

    void Write(const jobber::sdk::BatchView& batch) override;
    void Commit() override;

private:
    void Append(const std::string& text);

    std::shared_ptr<TableDirectory> directory_;
    std::string table_;
    int64_t expires_at_unix_ms_;
    CsvStyle style_;
    TempFile temp_;
    // Reused for every batch, so memory stays at about one batch's text however many rows a job has.
    std::string buffer_;
    bool committed_ = false;
};

}  // namespace jobber_csv
