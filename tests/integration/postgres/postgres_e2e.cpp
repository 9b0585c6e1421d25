#include "postgres_e2e.hpp"

#include <filesystem>

namespace jobber::postgres::e2e {

PgServer::PgServer(PgServerOptions options) {
    schema_ = std::make_unique<testing::TestSchema>();
    psql_ = std::make_unique<testing::Psql>(schema_->dsn());
    if (!options.source_sql.empty()) psql_->Exec(options.source_sql);

    jobber::e2e::ServerConfig config;
    config.demo_tasks = false;
    config.task_files["postgres.sql"] = options.tasks;
    harness_ = std::make_unique<jobber::e2e::ServerHarness>(config);
    harness_->Prepare();
    // The harness's own tasks are SQLite SQL; this server has only PostgreSQL databases.
    std::filesystem::remove(harness_->sql_dir() / "e2e.sql");
    const std::string dsn = schema_->dsn();
    jobber::e2e::WriteFile(
        harness_->config_path(),
        "app:\n  log_level: info\n  default_job_ttl: 1h\n  expiry_sweep_interval: " + options.sweep_interval +
            "\n"
            "server:\n  address: \"127.0.0.1:" +
            std::to_string(harness_->port()) +
            "\"\n  shutdown_grace: 5s\n"
            "job_queue:\n  broker:\n    type: memory\n  state:\n    type: memory\n"
            "db:\n  pg:\n    type: postgres\n    dsn: \"" +
            dsn + "\"\n    max_connections: " + std::to_string(options.max_connections) +
            "\n    connect_timeout: 2s\n"
            "results:\n  pg_results:\n    type: postgres\n    dsn: \"" +
            dsn + "\"\n    results_table: \"results_%s\"\n    unlogged: true\n    copy_format: " + options.copy_format +
            "\n    connect_timeout: 2s\n");
}

PgServer::~PgServer() {
    if (harness_) harness_->Stop();
}

Poco::JSON::Object::Ptr PgServer::RunJob(const std::string& task,
                                         const std::string& body,
                                         const std::set<std::string>& states,
                                         std::chrono::milliseconds timeout) {
    const auto posted = harness_->PostJob(task, body);
    if (posted.status != 200) {
        ADD_FAILURE() << "POST " << task << ": " << posted.Describe();
        return nullptr;
    }
    const std::string job_id = jobber::e2e::JsonString(posted.DataObject(), "job_id");
    return harness_->WaitForState(job_id, states, timeout);
}

int ActiveQueries(testing::Psql& psql, const std::string& marker) {
    return std::stoi(psql.One("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%" +
                              marker + "%' AND pid <> pg_backend_pid()"));
}

}  // namespace jobber::postgres::e2e
