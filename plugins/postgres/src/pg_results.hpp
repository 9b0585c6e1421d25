// The PostgreSQL results backend role: each job's rows become a table, written with COPY and
// published atomically under its final name.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connection_pool.hpp"
#include "identifiers.hpp"
#include "jobber/abi/common.h"
#include "jobber/sdk/roles.hpp"
#include "settings.hpp"

namespace jobber::postgres {

class PgResults final : public sdk::ResultsBackend {
public:
    explicit PgResults(const sdk::OpenArgs& args);
    static const std::vector<jobber_config_field>& ConfigFields();

    uint32_t MaxIdentifierLength() override { return kMaxIdentifierBytes; }
    std::unique_ptr<sdk::ResultsWriter> Begin(const sdk::ResultsTarget& target, const sdk::Schema& schema) override;
    void Drop(std::string_view table_name) override;
    uint64_t Sweep(int64_t now_unix_ms) override;
    void Ping() override;

private:
    // Runs `body` on the admin connection, once more on a fresh one when a connection that sat idle
    // turns out to have been closed by the server.
    void WithAdmin(const std::function<void(PgConnection&)>& body);

    const std::string instance_name_;
    const ResultsSettings settings_;
    // Writers hold a connection each for a whole job; drop, sweep and ping use their own, so they
    // never wait behind long jobs.
    const std::shared_ptr<ConnectionPool> writers_;
    const std::shared_ptr<ConnectionPool> admin_;
};

}  // namespace jobber::postgres
