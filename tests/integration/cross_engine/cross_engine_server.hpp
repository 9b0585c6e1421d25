// A real sql-jobber with a MySQL and a PostgreSQL source and results backend side by side, on the
// throw-away servers of tests/services (JOBBER_TEST_MYSQL_DSN, JOBBER_TEST_POSTGRES_URI). Each
// server works in a MySQL database and a PostgreSQL schema of its own, dropped afterwards, so tests
// run in parallel.
//
// Instances: db `my` and `pg`; results `my_results` (INSERT), `my_results_load` (LOAD DATA),
// `pg_results` (binary COPY), `pg_results_text` (text COPY). Tasks pick theirs with -- db: and
// -- results: tags.
#pragma once

#include <Poco/JSON/Object.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "pg_test_support.hpp"
#include "server_harness.hpp"
#include "test_support.hpp"

namespace jobber::cross_engine {

// Why the tests cannot run (a server variable is unset); empty when they can.
std::string MissingServers();

class CrossEngineServer {
public:
    CrossEngineServer();
    ~CrossEngineServer();
    CrossEngineServer(const CrossEngineServer&) = delete;
    CrossEngineServer& operator=(const CrossEngineServer&) = delete;

    // Writes the config and `tasks` (a .sql task file) and starts the binary. Create the source
    // tables first: non-raw tasks are prepared at start-up.
    void Start(const std::string& tasks);

    // Plain connections for set-up and checks, in this server's database and schema.
    mysql::testing::Admin& mysql() { return *mysql_; }
    postgres::testing::Psql& postgres() { return *postgres_; }
    e2e::ServerHarness& harness() { return *harness_; }

    // POSTs a job and waits until it succeeds or fails; the job object, null on timeout (with a
    // gtest failure).
    Poco::JSON::Object::Ptr RunJob(const std::string& task,
                                   const std::string& job_id,
                                   const std::string& args = "[]",
                                   std::chrono::milliseconds timeout = std::chrono::seconds(60));

    // `column|type` of every column of a results table, in order.
    std::vector<std::string> MysqlColumns(const std::string& table);
    std::vector<std::string> PostgresColumns(const std::string& table);

private:
    std::unique_ptr<mysql::testing::TestDatabase> mysql_database_;
    std::unique_ptr<postgres::testing::TestSchema> postgres_schema_;
    std::unique_ptr<mysql::testing::Admin> mysql_;
    std::unique_ptr<postgres::testing::Psql> postgres_;
    std::unique_ptr<e2e::ServerHarness> harness_;
};

}  // namespace jobber::cross_engine
