// The MySQL results backend role: each job's rows become a table in one database.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connection_pool.hpp"
#include "jobber/abi/common.h"
#include "jobber/sdk/roles.hpp"
#include "mysql_results_writer.hpp"

namespace jobber::mysql {

struct ResultsSettings {
    ConnectionOptions connection;
    size_t max_connections = 4;
    WriterSettings writer;
};

// Reads and checks the results keys of the instance config (see ConfigFields).
ResultsSettings ParseResultsSettings(const sdk::Config& config);

class MysqlResults final : public sdk::ResultsBackend {
public:
    explicit MysqlResults(const sdk::OpenArgs& args);
    static const std::vector<jobber_config_field>& ConfigFields();

    uint32_t MaxIdentifierLength() override { return kMaxTableNameBytes; }
    std::unique_ptr<sdk::ResultsWriter> Begin(const sdk::ResultsTarget& target, const sdk::Schema& schema) override;
    void Drop(std::string_view table_name) override;
    uint64_t Sweep(int64_t now_unix_ms) override;
    void Ping() override;

    // MySQL counts characters, the ABI bytes: with ASCII names (job IDs are) they agree.
    static constexpr uint32_t kMaxTableNameBytes = 64;

private:
    // A leased connection, with the metadata table created on first use.
    Lease Acquire();

    const std::string instance_name_;
    const ResultsSettings settings_;
    const std::shared_ptr<ConnectionPool> pool_;
    std::atomic<bool> catalog_ready_{false};
};

}  // namespace jobber::mysql
