// The results backend role: one CSV file per job under a configured directory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "csv_format.hpp"
#include "jobber/abi/common.h"
#include "jobber/sdk/roles.hpp"
#include "table_directory.hpp"

namespace jobber_csv {

struct CsvSettings {
    std::string directory;
    bool header = true;
    bool fsync = true;
    CsvStyle style;
};

// Reads and checks an instance's config; throws Error(INVALID_ARGUMENT) naming the key.
CsvSettings ParseSettings(const jobber::sdk::Config& config);

class CsvResults : public jobber::sdk::ResultsBackend {
public:
    explicit CsvResults(const jobber::sdk::OpenArgs& args);
    static const std::vector<jobber_config_field>& ConfigFields();

    uint32_t MaxIdentifierLength() override;
    std::unique_ptr<jobber::sdk::ResultsWriter> Begin(const jobber::sdk::ResultsTarget& target,
                                                      const jobber::sdk::Schema& schema) override;
    void Drop(std::string_view table_name) override;
    uint64_t Sweep(int64_t now_unix_ms) override;
    void Ping() override;

private:
    std::string instance_;
    CsvSettings settings_;
    // Shared with every writer, which may in principle outlive a Drop or Sweep call.
    std::shared_ptr<TableDirectory> directory_;
};

}  // namespace jobber_csv
