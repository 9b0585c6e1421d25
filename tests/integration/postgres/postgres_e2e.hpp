// A sql-jobber server whose source and results backend are both the test PostgreSQL server, each
// test in its own schema.
#pragma once

#include <memory>
#include <string>

#include "pg_test_support.hpp"
#include "server_harness.hpp"

namespace jobber::postgres::e2e {

struct PgServerOptions {
    std::string tasks;                   // the .sql task file
    std::string source_sql;              // run in the schema before the server starts
    int max_connections = 4;             // of the source
    std::string copy_format = "binary";  // of the results backend
    std::string sweep_interval = "1s";
};

class PgServer {
public:
    explicit PgServer(PgServerOptions options);
    ~PgServer();

    void Start() { harness_->Start(); }
    jobber::e2e::ServerHarness& harness() { return *harness_; }
    testing::Psql& psql() { return *psql_; }
    const testing::TestSchema& schema() const { return *schema_; }

    // POSTs a job and waits for one of `states`; returns the job object (null on timeout, with a
    // gtest failure).
    Poco::JSON::Object::Ptr RunJob(const std::string& task,
                                   const std::string& body,
                                   const std::set<std::string>& states = {"SUCCESS"},
                                   std::chrono::milliseconds timeout = std::chrono::seconds(60));

private:
    std::unique_ptr<testing::TestSchema> schema_;
    std::unique_ptr<testing::Psql> psql_;
    std::unique_ptr<jobber::e2e::ServerHarness> harness_;
};

// Sessions (other than the caller's) running a query that contains `marker`.
int ActiveQueries(testing::Psql& psql, const std::string& marker);

}  // namespace jobber::postgres::e2e
