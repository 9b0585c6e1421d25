// The PostgreSQL source role: task SQL runs on a pool of connections to one database, rows stream
// out in single-row mode.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connection_pool.hpp"
#include "jobber/abi/common.h"
#include "jobber/sdk/roles.hpp"
#include "query_control.hpp"

namespace jobber::postgres {

class PgSource final : public sdk::Source {
public:
    explicit PgSource(const sdk::OpenArgs& args);
    static const std::vector<jobber_config_field>& ConfigFields();

    int32_t Prepare(std::string_view task_name, std::string_view sql, bool raw) override;
    std::unique_ptr<sdk::RowStream> Execute(const sdk::Query& query) override;
    void Cancel(uint64_t query_id) override;
    void Ping() override;

private:
    const std::string instance_name_;
    const std::shared_ptr<ConnectionPool> pool_;
    const std::shared_ptr<QueryRegistry> registry_;
};

}  // namespace jobber::postgres
