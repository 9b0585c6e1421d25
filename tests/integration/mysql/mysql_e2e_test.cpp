// End to end through the HTTP API with MySQL as source and results backend: every type, NULLs,
// unicode, zero rows, cancel of SELECT SLEEP(30), timeouts, a database that is down, and jobs
// between SQLite and MySQL in both directions. (MySQL <-> PostgreSQL jobs: tests/integration/cross_engine.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "mysql_connection.hpp"
#include "mysql_dsn.hpp"
#include "server_harness.hpp"

namespace jobber::e2e {
namespace {

using Clock = std::chrono::steady_clock;

std::string Env(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

// Names unique to this test process: ctest runs every test in its own process, in parallel.
std::string Suffix() {
    return std::to_string(getpid());
}

class MysqlAdmin {
public:
    explicit MysqlAdmin(const std::string& dsn)
        : connection_([&] {
              mysql::ConnectionOptions options;
              options.endpoint = mysql::ParseDsn(dsn);
              return options;
          }()) {}
    void Exec(const std::string& sql) { connection_.Exec(sql, "test: " + sql.substr(0, 60)); }
    std::vector<std::string> Lines(const std::string& sql) {
        std::vector<std::string> out;
        for (const auto& row : connection_.Query(sql, "test: " + sql.substr(0, 60))) {
            std::string line;
            for (size_t i = 0; i < row.size(); ++i) line += (i > 0 ? "|" : "") + (row[i] ? *row[i] : "NULL");
            out.push_back(line);
        }
        return out;
    }
    std::string One(const std::string& sql) {
        const auto lines = Lines(sql);
        return lines.empty() ? "<no rows>" : lines[0];
    }

private:
    mysql::MysqlConnection connection_;
};

class MysqlE2eTest : public ::testing::Test {
protected:
    void SetUp() override {
        source_dsn_ = Env("JOBBER_TEST_MYSQL_DSN");
        results_dsn_ = Env("JOBBER_TEST_MYSQL_RESULTS_DSN");
        if (source_dsn_.empty() || results_dsn_.empty()) {
            GTEST_SKIP() << "JOBBER_TEST_MYSQL_DSN / JOBBER_TEST_MYSQL_RESULTS_DSN are not set: start a server with "
                            "tests/services/mariadb.sh";
        }
        source_ = std::make_unique<MysqlAdmin>(source_dsn_);
        results_ = std::make_unique<MysqlAdmin>(results_dsn_);
        types_table_ = "e2e_types_" + Suffix();
        empty_table_ = "e2e_empty_" + Suffix();
        source_->Exec("DROP TABLE IF EXISTS " + types_table_ + ", " + empty_table_);
        source_->Exec("CREATE TABLE " + types_table_ +
                      " (id INT PRIMARY KEY, amount DECIMAL(12,2), big BIGINT UNSIGNED, ratio DOUBLE, at DATETIME(6),"
                      " day DATE, paid BOOL, note VARCHAR(50))");
        source_->Exec("INSERT INTO " + types_table_ +
                      " VALUES (1, 1234.50, 18446744073709551615, 0.25, '2017-03-04 05:06:07.000008', '2017-03-04',"
                      " TRUE, 'caf\xc3\xa9 \xf0\x9f\x98\x80'), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
        source_->Exec("CREATE TABLE " + empty_table_ + " (a INT, b TEXT)");

        ServerConfig config;
        config.demo_tasks = false;
        config.task_files["mysql.sql"] = TaskFile();
        // MySQL backends next to the harness's SQLite ones.
        config.databases["my"] = BackendConfig{"mysql", {{"dsn", YamlQuote(source_dsn_)}, {"max_connections", "2"}}};
        config.databases["mydown"] = BackendConfig{
            "mysql", {{"dsn", YamlQuote("mysql://nobody:pw@127.0.0.1:1/none")}, {"connect_timeout", "2s"}}};
        config.results_backends["my_results"] =
            BackendConfig{"mysql", {{"dsn", YamlQuote(results_dsn_)}, {"results_table", YamlQuote("results_%s")}}};
        server_ = std::make_unique<ServerHarness>(config);
        server_->Start();
    }

    void TearDown() override {
        if (server_ != nullptr) {
            const auto code = server_->Stop();
            // A sanitizer report or a crash at shutdown shows up here.
            EXPECT_TRUE(code && *code == 0) << "sql-jobber did not exit cleanly";
            if (HasFailure()) std::cerr << "[e2e] server log:\n" << server_->LogSince(0, 80);
        }
        if (source_ != nullptr) source_->Exec("DROP TABLE IF EXISTS " + types_table_ + ", " + empty_table_);
        if (results_ != nullptr) {
            for (const auto& id : job_ids_) {
                results_->Exec("DROP TABLE IF EXISTS `results_" + id + "`");
                results_->Exec("DELETE FROM _jobber_results WHERE job_id = '" + id + "'");
            }
        }
    }

    std::string TaskFile() const {
        return "-- name: my_types\n-- db: my\n-- results: my_results\nSELECT * FROM " + types_table_ +
               " ORDER BY id;\n\n"
               "-- name: my_echo\n-- db: my\n-- results: my_results\nSELECT ? AS a, ? AS b, ? AS c, ? AS d;\n\n"
               "-- name: my_empty\n-- db: my\n-- results: my_results\nSELECT * FROM " +
               empty_table_ +
               ";\n\n"
               "-- name: my_sleep\n-- db: my\n-- results: my_results\nSELECT SLEEP(30) AS slept, '" +
               Marker() +
               "' AS marker;\n\n"
               "-- name: my_sleep_timeout\n-- db: my\n-- results: my_results\n-- timeout: 1s\n"
               "SELECT SLEEP(30) AS slept, '" +
               Marker() +
               "_t' AS marker;\n\n"
               "-- name: my_down\n-- db: mydown\n-- results: my_results\n-- raw: 1\nSELECT 1;\n\n"
               "-- name: my_to_sqlite\n-- db: my\n-- results: demo_results\nSELECT * FROM " +
               types_table_ +
               " ORDER BY id;\n\n"
               "-- name: sqlite_to_my\n-- db: demo\n-- results: my_results\n"
               "SELECT id, amount, price, entry_date, created_at, is_paid, note FROM entries WHERE id <= 1000 "
               "ORDER BY id;\n";
    }

    std::string Marker() const { return "e2e_sleep_" + Suffix(); }

    std::string NewJobId(const std::string& prefix) {
        job_ids_.push_back(prefix + "_" + Suffix());
        return job_ids_.back();
    }

    // Posts a job and waits for it to finish; returns the job object.
    Poco::JSON::Object::Ptr RunJob(const std::string& task, const std::string& id, const std::string& args = "[]") {
        const auto posted = server_->PostJob(task, "{\"job_id\": \"" + id + "\", \"args\": " + args + "}");
        EXPECT_EQ(posted.status, 200) << posted.Describe();
        return server_->WaitForState(id, {"SUCCESS", "FAILURE"});
    }

    int RunningSleeps(const std::string& marker) {
        return std::stoi(source_->One(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND IN ('Query', "
            "'Execute') AND INFO LIKE "
            "'%SLEEP(30)%" +
            marker + "%'"));
    }

    std::string source_dsn_, results_dsn_, types_table_, empty_table_;
    std::unique_ptr<MysqlAdmin> source_, results_;
    std::unique_ptr<ServerHarness> server_;
    std::vector<std::string> job_ids_;
};

TEST_F(MysqlE2eTest, EveryTypeAndNullsLandInMysqlResults) {
    const std::string id = NewJobId("types");
    const auto job = RunJob("my_types", id);
    ASSERT_FALSE(job.isNull());
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(JsonInt(job, "count"), 2);
    EXPECT_EQ(JsonString(job, "results_table"), "results_" + id);
    EXPECT_EQ(results_->Lines("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                              "DATABASE() AND TABLE_NAME = 'results_" +
                              id + "' ORDER BY ORDINAL_POSITION"),
              (std::vector<std::string>{"id|bigint(20)", "amount|decimal(65,30)", "big|decimal(65,30)", "ratio|double",
                                        "at|datetime(6)", "day|date", "paid|tinyint(1)", "note|longtext"}));
    EXPECT_EQ(results_->Lines("SELECT * FROM `results_" + id + "` ORDER BY id"),
              (std::vector<std::string>{
                  "1|1234.500000000000000000000000000000|18446744073709551615.000000000000000000000000000000|0.25|"
                  "2017-03-04 05:06:07.000008|2017-03-04|1|caf\xc3\xa9 \xf0\x9f\x98\x80",
                  "2|NULL|NULL|NULL|NULL|NULL|NULL|NULL"}));
}

TEST_F(MysqlE2eTest, ArgumentsAreBoundWithUnicode) {
    const std::string id = NewJobId("echo");
    const auto job = RunJob("my_echo", id, "[\"h\xc3\xa9llo \xf0\x9f\x98\x80\", 42, null, \"x' OR '1'='1\"]");
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(results_->Lines("SELECT * FROM `results_" + id + "`"),
              std::vector<std::string>{"h\xc3\xa9llo \xf0\x9f\x98\x80|42|NULL|x' OR '1'='1"});
}

TEST_F(MysqlE2eTest, ZeroRowsGiveAnEmptyTable) {
    const std::string id = NewJobId("empty");
    const auto job = RunJob("my_empty", id);
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(JsonInt(job, "count"), 0);
    EXPECT_EQ(results_->One("SELECT COUNT(*) FROM `results_" + id + "`"), "0");
}

TEST_F(MysqlE2eTest, DeleteCancelsSelectSleepInTheServer) {
    const std::string id = NewJobId("sleep");
    ASSERT_EQ(server_->PostJob("my_sleep", "{\"job_id\": \"" + id + "\"}").status, 200);
    ASSERT_FALSE(server_->WaitForState(id, {"STARTED"}).isNull());
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (RunningSleeps(Marker()) == 0 && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(RunningSleeps(Marker()), 1) << "SELECT SLEEP(30) never showed up in the processlist";

    const auto cancelled_at = Clock::now();
    const auto response = server_->Delete("/jobs/" + id);
    ASSERT_EQ(response.status, 200) << response.Describe();
    while (RunningSleeps(Marker()) > 0 && Clock::now() - cancelled_at < std::chrono::seconds(3)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_LT(Clock::now() - cancelled_at, std::chrono::seconds(1)) << "the query outlived the cancel by a second";
    EXPECT_EQ(RunningSleeps(Marker()), 0);
    const auto job = server_->WaitForState(id, {"FAILURE"}, std::chrono::seconds(5));
    ASSERT_FALSE(job.isNull());
    EXPECT_NE(JsonString(job, "error").find("cancel"), std::string::npos) << ToJson(job);
    EXPECT_EQ(results_->One("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                            "TABLE_NAME = 'results_" +
                            id + "'"),
              "0");

    // The pool is healthy: the next job on the same db succeeds.
    const std::string next = NewJobId("after_cancel");
    EXPECT_EQ(JsonString(RunJob("my_types", next), "state"), "SUCCESS");
}

TEST_F(MysqlE2eTest, TaskTimeoutKillsTheQuery) {
    const std::string id = NewJobId("timeout");
    const auto start = Clock::now();
    const auto job = RunJob("my_sleep_timeout", id);
    ASSERT_EQ(JsonString(job, "state"), "FAILURE") << ToJson(job);
    EXPECT_NE(JsonString(job, "error").find("timeout"), std::string::npos) << ToJson(job);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
    EXPECT_EQ(RunningSleeps(Marker() + "_t"), 0);
}

TEST_F(MysqlE2eTest, ADatabaseThatIsDownFailsItsJobsAndTheServerKeepsRunning) {
    const std::string id = NewJobId("down");
    const auto job = RunJob("my_down", id);
    ASSERT_EQ(JsonString(job, "state"), "FAILURE") << ToJson(job);
    EXPECT_NE(JsonString(job, "error").find("cannot connect to MySQL nobody@127.0.0.1:1/none"), std::string::npos)
        << ToJson(job);
    EXPECT_EQ(server_->Get("/health").status, 200);
    EXPECT_EQ(JsonString(RunJob("my_types", NewJobId("still_up")), "state"), "SUCCESS");
}

TEST_F(MysqlE2eTest, MysqlSourceIntoSqliteResults) {
    const std::string id = NewJobId("to_sqlite");
    const auto job = RunJob("my_to_sqlite", id);
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    const TableData data = QueryDb(server_->results_db(), "SELECT * FROM \"results_" + id + "\" ORDER BY id");
    ASSERT_EQ(data.rows.size(), 2u);
    EXPECT_EQ(DescribeRow(data.rows[0]),
              DescribeRow({std::string("1"), std::string("1234.50"), std::string("18446744073709551615"),
                           std::string("0.25"), std::string("2017-03-04 05:06:07.000008"), std::string("2017-03-04"),
                           std::string("1"), std::string("caf\xc3\xa9 \xf0\x9f\x98\x80")}));
}

TEST_F(MysqlE2eTest, SqliteSourceIntoMysqlResults) {
    const std::string id = NewJobId("from_sqlite");
    const auto job = RunJob("sqlite_to_my", id);
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(JsonInt(job, "count"), 1000);
    const TableData expected =
        QueryDb(server_->source_db(),
                "SELECT COUNT(*), SUM(CAST(ROUND(amount * 100) AS INTEGER)), SUM(is_paid) FROM entries "
                "WHERE id <= 1000");
    ASSERT_EQ(expected.rows.size(), 1u);
    EXPECT_EQ(results_->One("SELECT CONCAT(COUNT(*), '|', CAST(SUM(amount * 100) AS SIGNED), '|', SUM(is_paid)) FROM "
                            "`results_" +
                            id + "`"),
              *expected.rows[0][0] + "|" + *expected.rows[0][1] + "|" + *expected.rows[0][2]);
}

}  // namespace
}  // namespace jobber::e2e
