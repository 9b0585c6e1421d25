#include "csv_writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"

namespace jobber_csv {

using jobber::sdk::Error;

CsvWriter::CsvWriter(std::shared_ptr<TableDirectory> directory,
                     const jobber::sdk::ResultsTarget& target,
                     const jobber::sdk::Schema& schema,
                     CsvStyle style,
                     bool header)
    : directory_(std::move(directory)),
      table_(target.table_name),
      expires_at_unix_ms_(target.expires_at_unix_ms),
      style_(style),
      temp_(directory_->CreateTemp(table_)) {
    if (header) {
        try {
            AppendHeader(buffer_, schema, style_);
            Append(buffer_);
        } catch (...) {
            std::fclose(temp_.file);
            unlink(temp_.path.c_str());
            throw;
        }
    }
}

// [csv-rollback]
CsvWriter::~CsvWriter() {
    if (temp_.file != nullptr) std::fclose(temp_.file);
    if (!committed_ && unlink(temp_.path.c_str()) != 0 && errno != ENOENT) {
        // Nowhere to throw to from a destructor; the sweep removes the file once it is a day old.
        jobber::sdk::Log(jobber::sdk::LogLevel::kWarning, "csv",
                         "cannot remove unfinished file '" + temp_.path.string() + "': " + std::strerror(errno));
    }
}
// [csv-rollback]

void CsvWriter::Append(const std::string& text) {
    if (std::fwrite(text.data(), 1, text.size(), temp_.file) != text.size()) {
        throw Error(JOBBER_UNAVAILABLE, "cannot write '" + temp_.path.string() + "': " + std::strerror(errno) +
                                            "; check the free space of the results directory");
    }
}

// [csv-write]
void CsvWriter::Write(const jobber::sdk::BatchView& batch) {
    if (committed_) throw Error(JOBBER_FAILED_PRECONDITION, "table '" + table_ + "' was already committed");
    buffer_.clear();
    AppendRows(buffer_, batch, style_);
    Append(buffer_);
}

void CsvWriter::Commit() {
    if (committed_) throw Error(JOBBER_FAILED_PRECONDITION, "table '" + table_ + "' was already committed");
    std::FILE* file = temp_.file;
    temp_.file = nullptr;  // closed below, whatever happens
    directory_->CloseTemp(file, temp_.path);
    directory_->Publish(table_, temp_.path, expires_at_unix_ms_);
    committed_ = true;
}
// [csv-write]

}  // namespace jobber_csv
