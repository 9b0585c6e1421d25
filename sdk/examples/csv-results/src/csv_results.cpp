#include "csv_results.hpp"

#include "csv_writer.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"

namespace jobber_csv {

using jobber::sdk::Error;

// [csv-config]
const std::vector<jobber_config_field>& CsvResults::ConfigFields() {
    static const std::vector<jobber_config_field> fields = {
        {"directory", JOBBER_FIELD_STRING, 1, nullptr, "existing directory the CSV files are written to"},
        {"header", JOBBER_FIELD_BOOL, 0, "true", "write the column names as the first line"},
        {"line_ending", JOBBER_FIELD_STRING, 0, "crlf", "crlf (RFC 4180) or lf"},
        {"fsync", JOBBER_FIELD_BOOL, 0, "true", "fsync each file and the directory before a result is published"},
    };
    return fields;
}
// [csv-config]

CsvSettings ParseSettings(const jobber::sdk::Config& config) {
    CsvSettings settings;
    settings.directory = config.RequireString("directory");
    settings.header = config.GetBool("header", true);
    settings.fsync = config.GetBool("fsync", true);
    const std::string line_ending = config.GetString("line_ending", "crlf");
    if (line_ending == "crlf") {
        settings.style.line_ending = "\r\n";
    } else if (line_ending == "lf") {
        settings.style.line_ending = "\n";
    } else {
        throw Error(JOBBER_INVALID_ARGUMENT, "config key 'line_ending' must be crlf or lf, got '" + line_ending + "'");
    }
    return settings;
}

// [csv-open]
CsvResults::CsvResults(const jobber::sdk::OpenArgs& args)
    : instance_(args.instance_name), settings_(ParseSettings(args.config)) {
    try {
        directory_ = std::make_shared<TableDirectory>(settings_.directory, settings_.fsync);
    } catch (const Error& e) {
        throw Error(e.code(), "results '" + instance_ + "' (csv): " + e.what());
    }
    jobber::sdk::Log(jobber::sdk::LogLevel::kInfo, instance_, "writing CSV files to " + settings_.directory);
}
// [csv-open]

uint32_t CsvResults::MaxIdentifierLength() {
    return TableDirectory::kMaxTableName;
}

// [csv-begin]
std::unique_ptr<jobber::sdk::ResultsWriter> CsvResults::Begin(const jobber::sdk::ResultsTarget& target,
                                                              const jobber::sdk::Schema& schema) {
    TableDirectory::CheckTableName(target.table_name);
    return std::make_unique<CsvWriter>(directory_, target, schema, settings_.style, settings_.header);
}
// [csv-begin]

void CsvResults::Drop(std::string_view table_name) {
    TableDirectory::CheckTableName(table_name);
    directory_->Drop(table_name);
}

uint64_t CsvResults::Sweep(int64_t now_unix_ms) {
    return directory_->Sweep(now_unix_ms);
}

void CsvResults::Ping() {
    directory_->Check();
}

}  // namespace jobber_csv
