#include "postgres_e2e.hpp"

namespace jobber::postgres::e2e {

PgServer::PgServer(PgServerOptions options) {
    schema_ = std::make_unique<testing::TestSchema>();
    psql_ = std::make_unique<testing::Psql>(schema_->dsn());
    if (!options.source_sql.empty()) psql_->Exec(options.source_sql);

    const std::string dsn = jobber::e2e::YamlQuote(schema_->dsn());
    jobber::e2e::ServerConfig config;
    config.demo_tasks = false;
    config.sqlite_backends = false;  // this server has only PostgreSQL databases
    config.app_keys["expiry_sweep_interval"] = options.sweep_interval;
    config.task_files["postgres.sql"] = options.tasks;
    config.databases["pg"] = jobber::e2e::BackendConfig{
        "postgres",
        {{"dsn", dsn}, {"max_connections", std::to_string(options.max_connections)}, {"connect_timeout", "2s"}}};
    config.results_backends["pg_results"] =
        jobber::e2e::BackendConfig{"postgres",
                                   {{"dsn", dsn},
                                    {"results_table", jobber::e2e::YamlQuote("results_%s")},
                                    {"unlogged", "true"},
                                    {"copy_format", options.copy_format},
                                    {"connect_timeout", "2s"}}};
    harness_ = std::make_unique<jobber::e2e::ServerHarness>(config);
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
