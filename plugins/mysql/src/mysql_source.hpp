// The MySQL source role: task SQL runs on a pool of connections to one database; rows stream out
// in batches; cancel and timeouts kill the query in the server.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "connection_pool.hpp"
#include "jobber/abi/common.h"
#include "jobber/sdk/roles.hpp"
#include "query_registry.hpp"

namespace jobber::mysql {

struct SourceSettings {
    ConnectionOptions connection;
    size_t max_connections = 4;
};

// Reads and checks the source keys of the instance config (see ConfigFields).
SourceSettings ParseSourceSettings(const sdk::Config& config);

// Sends KILL QUERY over one lazily opened side connection, reopened when it fails. Thread-safe.
class QueryKiller {
public:
    explicit QueryKiller(ConnectionOptions options);
    void KillQuery(unsigned long thread_id);

private:
    const ConnectionOptions options_;
    std::mutex mutex_;
    std::unique_ptr<MysqlConnection> connection_;
};

class MysqlSource final : public sdk::Source {
public:
    explicit MysqlSource(const sdk::OpenArgs& args);
    static const std::vector<jobber_config_field>& ConfigFields();

    int32_t Prepare(std::string_view task_name, std::string_view sql, bool raw) override;
    std::unique_ptr<sdk::RowStream> Execute(const sdk::Query& query) override;
    void Cancel(uint64_t query_id) override;
    void Ping() override;

    // Connections open right now (for tests and diagnostics).
    size_t open_connections() const { return pool_->open_count(); }

private:
    std::unique_ptr<sdk::RowStream> ExecuteOnce(const sdk::Query& query,
                                                std::unique_ptr<QueryRegistration>& registration,
                                                const std::string& context);

    const std::string instance_name_;
    const std::shared_ptr<ConnectionPool> pool_;
    const std::shared_ptr<QueryKiller> killer_;
    const std::shared_ptr<QueryRegistry> registry_;
};

}  // namespace jobber::mysql
