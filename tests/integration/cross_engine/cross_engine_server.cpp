#include "cross_engine_server.hpp"

#include <gtest/gtest.h>

namespace jobber::cross_engine {

using e2e::BackendConfig;
using e2e::YamlQuote;

std::string MissingServers() {
    std::string missing;
    if (mysql::testing::SourceDsn().empty()) missing = "JOBBER_TEST_MYSQL_DSN";
    if (postgres::testing::ServerUri().empty()) {
        missing += std::string(missing.empty() ? "" : " and ") + postgres::testing::kUriVariable;
    }
    if (missing.empty()) return "";
    return missing + " not set: start the servers with 'source tests/services/lib.sh && jobber_start_services'";
}

CrossEngineServer::CrossEngineServer()
    : mysql_database_(std::make_unique<mysql::testing::TestDatabase>("xe")),
      postgres_schema_(std::make_unique<postgres::testing::TestSchema>()),
      mysql_(std::make_unique<mysql::testing::Admin>(mysql_database_->dsn())),
      postgres_(std::make_unique<postgres::testing::Psql>(postgres_schema_->dsn())) {}

CrossEngineServer::~CrossEngineServer() {
    // The server goes first: it holds connections to the database and schema dropped next.
    if (harness_) harness_->Stop();
}

void CrossEngineServer::Start(const std::string& tasks) {
    e2e::ServerConfig config;
    config.demo_tasks = false;
    config.sqlite_backends = false;
    config.task_files["cross_engine.sql"] = tasks;
    const std::string my_dsn = YamlQuote(mysql_database_->dsn());
    const std::string pg_dsn = YamlQuote(postgres_schema_->dsn());
    const std::string table = YamlQuote("results_%s");
    config.databases["my"] = BackendConfig{"mysql", {{"dsn", my_dsn}, {"max_connections", "2"}}};
    config.databases["pg"] = BackendConfig{"postgres", {{"dsn", pg_dsn}, {"max_connections", "2"}}};
    config.results_backends["my_results"] =
        BackendConfig{"mysql", {{"dsn", my_dsn}, {"results_table", table}, {"write_method", "insert"}}};
    config.results_backends["my_results_load"] =
        BackendConfig{"mysql", {{"dsn", my_dsn}, {"results_table", table}, {"write_method", "load_data"}}};
    config.results_backends["pg_results"] =
        BackendConfig{"postgres", {{"dsn", pg_dsn}, {"results_table", table}, {"copy_format", "binary"}}};
    config.results_backends["pg_results_text"] =
        BackendConfig{"postgres", {{"dsn", pg_dsn}, {"results_table", table}, {"copy_format", "text"}}};
    harness_ = std::make_unique<e2e::ServerHarness>(config);
    harness_->Start();
}

Poco::JSON::Object::Ptr CrossEngineServer::RunJob(const std::string& task,
                                                  const std::string& job_id,
                                                  const std::string& args,
                                                  std::chrono::milliseconds timeout) {
    const auto posted = harness_->PostJob(task, "{\"job_id\": \"" + job_id + "\", \"args\": " + args + "}");
    if (posted.status != 200) {
        ADD_FAILURE() << "POST " << task << ": " << posted.Describe();
        return nullptr;
    }
    return harness_->WaitForState(job_id, {"SUCCESS", "FAILURE"}, timeout);
}

std::vector<std::string> CrossEngineServer::MysqlColumns(const std::string& table) {
    // Identifiers from the tests only (letters, digits, '_'), so splicing the literal is safe here.
    return mysql_->Lines(
        "SELECT CONCAT(COLUMN_NAME, '|', COLUMN_TYPE) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
        "DATABASE() AND TABLE_NAME = '" +
        table + "' ORDER BY ORDINAL_POSITION");
}

std::vector<std::string> CrossEngineServer::PostgresColumns(const std::string& table) {
    return postgres_->Rows(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND "
        "table_name = '" +
        table + "' ORDER BY ordinal_position");
}

}  // namespace jobber::cross_engine
