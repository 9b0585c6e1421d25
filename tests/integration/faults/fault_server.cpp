#include "fault_server.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <thread>

namespace jobber::faults {

namespace {

void InsertAfter(std::string& yaml, const std::string& anchor, const std::string& text) {
    const size_t at = yaml.find(anchor);
    if (at == std::string::npos) throw std::runtime_error("harness config changed: '" + anchor + "' not found");
    yaml.insert(at + anchor.size(), text);
}

void Replace(std::string& yaml, const std::string& from, const std::string& to) {
    const size_t at = yaml.find(from);
    if (at == std::string::npos) throw std::runtime_error("harness config changed: '" + from + "' not found");
    yaml.replace(at, from.size(), to);
}

}  // namespace

std::unique_ptr<e2e::ServerHarness> MakeFaultServer(const FaultServerSpec& spec) {
    e2e::ServerConfig config;
    config.demo_tasks = false;
    config.queues = spec.queues;
    config.worker_concurrency = spec.worker_concurrency;
    config.app_keys = spec.app_keys;
    config.task_files["faults.sql"] = spec.tasks;
    auto server = std::make_unique<e2e::ServerHarness>(config);
    server->Prepare();
    // The harness's own tasks name no db, so they would be prepared on every database, the
    // PostgreSQL and MySQL ones included, where their SQLite SQL fails.
    std::filesystem::remove(server->sql_dir() / "e2e.sql");
    std::string yaml = server->ConfigYaml();
    if (!spec.extra_db_yaml.empty()) InsertAfter(yaml, "\ndb:\n", spec.extra_db_yaml);
    if (!spec.extra_results_yaml.empty()) InsertAfter(yaml, "\nresults:\n", spec.extra_results_yaml);
    if (!spec.job_queue_yaml.empty()) {
        Replace(yaml, "job_queue:\n  broker:\n    type: memory\n  state:\n    type: memory\n", spec.job_queue_yaml);
    }
    e2e::WriteFile(server->config_path(), yaml);
    return server;
}

std::string SqliteRowsTask(const std::string& name, const std::string& results, const std::string& extra_tags) {
    return "-- name: " + name + "\n-- db: demo\n-- results: " + results + "\n" + extra_tags +
           "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?)\n"
           "SELECT n, 'row ' || n AS label FROM c;\n\n";
}

int CountLogLines(const std::string& log, const std::vector<std::string>& fragments) {
    int count = 0;
    for (const auto& line : e2e::Lines(log)) {
        bool all = true;
        for (const auto& fragment : fragments) all = all && line.find(fragment) != std::string::npos;
        count += all ? 1 : 0;
    }
    return count;
}

int SuccessLines(const std::string& log, const std::string& job_id) {
    return CountLogLines(log, {"job finished job_id=" + job_id + " ", "state=SUCCESS"});
}

int SettledSuccessLines(const e2e::ServerHarness& server,
                        const std::string& job_id,
                        int at_least,
                        std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int lines = SuccessLines(server.Log(), job_id);
    while (lines < at_least && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        lines = SuccessLines(server.Log(), job_id);
    }
    return lines;
}

int StartedLines(const std::string& log, const std::string& job_id) {
    return CountLogLines(log, {"job started job_id=" + job_id + " "});
}

void PostOrFail(const e2e::ServerHarness& server, const std::string& task, const std::string& body) {
    const auto response = server.PostJob(task, body);
    EXPECT_EQ(response.status, 200) << "POST " << task << " " << body << ": " << response.Describe();
}

}  // namespace jobber::faults
