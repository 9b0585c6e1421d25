// The SQLite results backend role: each job's rows become a table in one database file.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "jobber/abi/common.h"
#include "jobber/sdk/roles.hpp"
#include "sqlite_connection.hpp"

namespace jobber::sqlite {

// SQLite has no identifier length limit; this cap keeps names readable and portable to the
// other results backends' limits, and leaves room for the "__tmp_xxxxxxxx" suffix.
constexpr uint32_t kMaxIdentifierLength = 255;

// Reads and checks the results keys of the instance config (see ConfigFields).
ConnectionOptions ParseResultsSettings(const sdk::Config& config);

class SqliteResults final : public sdk::ResultsBackend {
public:
    explicit SqliteResults(const sdk::OpenArgs& args);
    static const std::vector<jobber_config_field>& ConfigFields();

    uint32_t MaxIdentifierLength() override { return kMaxIdentifierLength; }
    std::unique_ptr<sdk::ResultsWriter> Begin(const sdk::ResultsTarget& target, const sdk::Schema& schema) override;
    void Drop(std::string_view table_name) override;
    uint64_t Sweep(int64_t now_unix_ms) override;
    void Ping() override;

private:
    const std::string instance_name_;
    const ConnectionOptions options_;
    // Drop, Sweep and Ping share one connection; writers each open their own.
    std::mutex admin_mutex_;
    SqliteConnection admin_;
};

}  // namespace jobber::sqlite
