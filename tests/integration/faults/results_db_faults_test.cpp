// The results database refuses writes while sql-jobber runs, for real: PostgreSQL switched to
// read-only by a config reload, MariaDB with SET GLOBAL read_only, and MariaDB whose InnoDB system
// tablespace has reached its cap (error 1114, "The table is full"). Jobs writing there fail with
// an error naming the backend and the cause, nothing half-written is published, the server keeps
// serving (jobs of other backends run), and jobs run after the condition is lifted, or retried
// past it, succeed. Each test starts its own database server, so they disturb nobody.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "fault_server.hpp"
#include "pg_test_support.hpp"
#include "private_servers.hpp"

namespace jobber::faults {
namespace {

using namespace std::chrono_literals;
using e2e::JsonInt;
using e2e::JsonString;

// One way for a results backend to refuse writes, and how to look at that backend.
struct Condition {
    std::string results;      // the results backend's name in the config
    std::string plugin;       // its type
    std::string task;         // a task writing there; its first argument is the row count
    int rows = 0;             // rows of the jobs run while the condition holds and after it
    std::string cause;        // what the job error must say
    std::string other_cause;  // or this instead, when not empty
    std::string vendor;       // the database's own error code, as the message carries it
    std::function<void()> impose;
    std::function<void()> lift;
    // Rows of a published table; nullopt when there is no such table.
    std::function<std::optional<int64_t>(const std::string& table)> table_rows;
    // Tables or catalog entries left behind by failed writes (temporary tables, 'writing' rows).
    std::function<int64_t()> leftovers;
    // False when the database cannot be looked at while the condition holds (it answers nobody).
    bool inspectable_while_imposed = true;
};

bool NamesCause(const Condition& c, const std::string& error) {
    return error.find(c.cause) != std::string::npos ||
           (!c.other_cause.empty() && error.find(c.other_cause) != std::string::npos);
}

std::string Args(int rows, int retries = 0) {
    return R"("args": [)" + std::to_string(rows) + R"(], "retries": )" + std::to_string(retries);
}

Poco::JSON::Object::Ptr Run(e2e::ServerHarness& server, const std::string& task, const std::string& id, int rows) {
    PostOrFail(server, task, R"({"job_id": ")" + id + R"(", )" + Args(rows) + "}");
    return server.WaitForState(id, {"SUCCESS", "FAILURE"}, 60s);
}

void ExpectPublished(const Condition& c, const Poco::JSON::Object::Ptr& job, const std::string& id, int rows) {
    ASSERT_FALSE(job.isNull()) << id;
    EXPECT_EQ(JsonString(job, "state"), "SUCCESS") << id << ": " << JsonString(job, "error");
    EXPECT_EQ(JsonInt(job, "count"), rows) << id;
    EXPECT_EQ(c.table_rows("results_" + id), std::optional<int64_t>(rows)) << id;
}

// Before, during and after the condition; see the file comment.
void RunScenario(e2e::ServerHarness& server, const Condition& c) {
    ExpectPublished(c, Run(server, c.task, "before", 25), "before", 25);

    c.impose();
    if (::testing::Test::HasFatalFailure()) return;
    PostOrFail(server, c.task, R"({"job_id": "refused1", )" + Args(c.rows) + "}");
    PostOrFail(server, c.task, R"({"job_id": "refused2", )" + Args(c.rows) + "}");
    PostOrFail(server, c.task, R"({"job_id": "patient", )" + Args(c.rows, 8) + "}");
    PostOrFail(server, "rows_local", R"({"job_id": "elsewhere", "args": [40]})");
    for (const std::string id : {"refused1", "refused2"}) {
        const auto job = server.WaitForState(id, {"SUCCESS", "FAILURE"}, 60s);
        ASSERT_FALSE(job.isNull());
        const std::string error = JsonString(job, "error");
        EXPECT_EQ(JsonString(job, "state"), "FAILURE") << id;
        EXPECT_NE(error.find("results '" + c.results + "' (" + c.plugin + ")"), std::string::npos) << error;
        EXPECT_TRUE(NamesCause(c, error)) << error;
        EXPECT_NE(error.find(c.vendor), std::string::npos) << error;
        std::cerr << "[faults] " << id << " error: " << error << "\n";
    }
    const auto patient = server.WaitForState("patient", {"RETRY"}, 30s);
    ASSERT_FALSE(patient.isNull());
    EXPECT_TRUE(NamesCause(c, JsonString(patient, "error"))) << JsonString(patient, "error");
    if (!c.other_cause.empty()) {
        // The job that got the pooled connection of "before" meets the main cause, whichever job that was.
        std::string errors;
        for (const std::string id : {"refused1", "refused2"})
            errors += JsonString(server.WaitForState(id, {"FAILURE"}, 5s), "error") + "\n";
        errors += JsonString(patient, "error");
        EXPECT_NE(errors.find(c.cause), std::string::npos) << errors;
    }
    // The server keeps serving: other backends' jobs run, the API answers.
    const auto elsewhere = server.WaitForState("elsewhere", {"SUCCESS", "FAILURE"}, 30s);
    ASSERT_FALSE(elsewhere.isNull());
    EXPECT_EQ(JsonString(elsewhere, "state"), "SUCCESS") << JsonString(elsewhere, "error");
    EXPECT_EQ(JsonInt(elsewhere, "count"), 40);
    EXPECT_EQ(server.Get("/health").status, 200);
    EXPECT_EQ(server.Get("/tasks").status, 200);
    // Nothing half-written is published or left behind.
    if (c.inspectable_while_imposed) {
        for (const std::string id : {"refused1", "refused2", "patient"}) {
            EXPECT_EQ(c.table_rows("results_" + id), std::nullopt) << id;
        }
        EXPECT_EQ(c.leftovers(), 0);
    }

    c.lift();
    if (!c.inspectable_while_imposed) {
        for (const std::string id : {"refused1", "refused2"}) {
            EXPECT_EQ(c.table_rows("results_" + id), std::nullopt) << id;
        }
    }
    ExpectPublished(c, Run(server, c.task, "after", c.rows), "after", c.rows);
    ExpectPublished(c, server.WaitForState("patient", {"SUCCESS", "FAILURE"}, 60s), "patient", c.rows);
    // A failed ID runs again, now to success.
    ExpectPublished(c, Run(server, c.task, "refused1", c.rows), "refused1", c.rows);
    EXPECT_EQ(SettledSuccessLines(server, "refused1", 1), 1) << "one success: the re-run";
    EXPECT_EQ(SettledSuccessLines(server, "patient", 1), 1);
    EXPECT_EQ(SuccessLines(server.Log(), "refused2"), 0);
    EXPECT_EQ(c.leftovers(), 0);
    EXPECT_TRUE(server.Running());
}

std::string Tasks(const std::string& task, const std::string& results, bool wide) {
    std::string tasks = SqliteRowsTask("rows_local", "demo_results");
    if (!wide) return tasks + SqliteRowsTask(task, results);
    // ~300 bytes a row: a few thousand rows outgrow the headroom of a nearly full tablespace.
    return tasks + "-- name: " + task + "\n-- db: demo\n-- results: " + results +
           "\nWITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?)\n"
           "SELECT n, printf('%.300c', 'x') AS pad FROM c;\n";
}

class ResultsDbFaults : public ::testing::Test {
protected:
    void TearDown() override {
        if (HasFailure() && server_ != nullptr) std::cerr << "[faults] server log:\n" << server_->LogSince(0, 120);
        if (server_ != nullptr) {
            const auto code = server_->Stop();
            EXPECT_TRUE(code && *code == 0) << "sql-jobber did not exit cleanly";
        }
    }

    std::unique_ptr<e2e::ServerHarness> server_;
};

// ---- PostgreSQL ----------------------------------------------------------------------------------

// default_transaction_read_only in postgresql.auto.conf plus a reload: every session, the pooled
// ones included, starts read-only transactions from its next statement on (as on a server an
// operator switched to read-only, or a hot standby).
void SetPostgresReadOnly(const std::string& uri, bool on) {
    postgres::testing::Psql psql(uri);
    psql.Exec(on ? "ALTER SYSTEM SET default_transaction_read_only = on"
                 : "ALTER SYSTEM RESET default_transaction_read_only");
    psql.Exec("SELECT pg_reload_conf()");
    // New sessions get the postmaster's reloaded settings; once one does, the backends have been
    // signalled too, and apply it before their next statement.
    const std::string want = on ? "on" : "off";
    ASSERT_TRUE(postgres::testing::WaitUntil(
        [&] { return postgres::testing::Psql(uri).One("SHOW default_transaction_read_only") == want; }, 10s));
    std::this_thread::sleep_for(200ms);
}

Condition PostgresCondition(const std::string& uri) {
    Condition c;
    c.results = "pg_results";
    c.plugin = "postgres";
    c.task = "rows_pg";
    c.rows = 300;
    c.table_rows = [uri](const std::string& table) -> std::optional<int64_t> {
        postgres::testing::Psql psql(uri);
        if (psql.One("SELECT to_regclass('" + table + "') IS NULL") == "t") return std::nullopt;
        return std::stoll(psql.One("SELECT count(*) FROM " + table));
    };
    // Temporary tables live only inside the writing transaction; the catalog lists published ones.
    c.leftovers = [uri] {
        postgres::testing::Psql psql(uri);
        return std::stoll(psql.One("SELECT count(*) FROM pg_class WHERE relname LIKE '\\_jobber\\_tmp\\_%'")) +
               std::stoll(psql.One("SELECT count(*) FROM _jobber_results WHERE table_name NOT IN ('results_before', "
                                   "'results_after', 'results_patient', 'results_refused1')"));
    };
    return c;
}

std::string PostgresResultsYaml(const PrivatePostgres& pg, const std::string& extra = "") {
    return "  pg_results:\n    type: postgres\n    dsn: \"" + pg.uri() +
           "\"\n    results_table: \"results_%s\"\n    max_connections: 2\n    connect_timeout: 2s\n" + extra;
}

TEST_F(ResultsDbFaults, PostgresResultsReadOnly) {
    PrivatePostgres pg;
    if (!pg.unavailable_reason().empty()) GTEST_SKIP() << pg.unavailable_reason();
    pg.Start();
    FaultServerSpec spec;
    spec.tasks = Tasks("rows_pg", "pg_results", false);
    spec.extra_results_yaml = PostgresResultsYaml(pg);
    server_ = MakeFaultServer(spec);
    server_->Start();

    Condition c = PostgresCondition(pg.uri());
    c.cause = "database is read-only";
    c.vendor = "(SQLSTATE 25006)";
    const std::string uri = pg.uri();
    c.impose = [&] { SetPostgresReadOnly(uri, true); };
    c.lift = [&] { SetPostgresReadOnly(uri, false); };
    RunScenario(*server_, c);
}

// Every process of the server stopped (SIGSTOP): TCP still accepts and acknowledges, nothing answers, as with a
// wedged or swapping host. Writes fail after io_timeout (or, for a new connection, connect_timeout) instead of
// holding their workers; after SIGCONT every job runs.
TEST_F(ResultsDbFaults, PostgresResultsStopsAnswering) {
    PrivatePostgres pg;
    if (!pg.unavailable_reason().empty()) GTEST_SKIP() << pg.unavailable_reason();
    pg.Start();
    FaultServerSpec spec;
    spec.tasks = Tasks("rows_pg", "pg_results", false);
    spec.extra_results_yaml = PostgresResultsYaml(pg, "    io_timeout: 2s\n    replace_lock_timeout: 1s\n");
    server_ = MakeFaultServer(spec);
    server_->Start();

    Condition c = PostgresCondition(pg.uri());
    c.cause = "did not answer within 2000 ms (config key 'io_timeout')";
    c.other_cause = "timeout expired";  // libpq's words when a new connection's start-up gets no answer
    c.vendor = "PostgreSQL at host=127.0.0.1";
    c.inspectable_while_imposed = false;
    c.impose = [&] { pg.SetPaused(true); };
    c.lift = [&] { pg.SetPaused(false); };
    RunScenario(*server_, c);
}

// ---- MariaDB -------------------------------------------------------------------------------------

std::string MysqlResultsYaml(const PrivateMariadb& db) {
    return "  my_results:\n    type: mysql\n    dsn: \"" + db.results_dsn() +
           "\"\n    results_table: \"results_%s\"\n    max_connections: 2\n    connect_timeout: 2s\n";
}

Condition MysqlCondition(const PrivateMariadb& db) {
    Condition c;
    c.results = "my_results";
    c.plugin = "mysql";
    c.task = "rows_my";
    c.table_rows = [&db](const std::string& table) -> std::optional<int64_t> {
        MariaClient root = db.Root();
        if (root.One("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'jobber_results' AND "
                     "table_name = '" +
                     table + "'") == "0") {
            return std::nullopt;
        }
        return std::stoll(root.One("SELECT COUNT(*) FROM jobber_results.`" + table + "`"));
    };
    // DDL cannot be rolled back in MySQL: a failed write must drop its temporary table itself.
    c.leftovers = [&db] {
        MariaClient root = db.Root();
        return std::stoll(root.One("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                                   "'jobber_results' AND table_name LIKE '\\_jobber\\_tmp\\_%'")) +
               std::stoll(root.One("SELECT COUNT(*) FROM jobber_results._jobber_results WHERE table_name LIKE "
                                   "'\\_jobber\\_tmp\\_%'"));
    };
    return c;
}

TEST_F(ResultsDbFaults, MariadbResultsReadOnly) {
    PrivateMariadb db;
    if (!db.unavailable_reason().empty()) GTEST_SKIP() << db.unavailable_reason();
    db.Start();
    FaultServerSpec spec;
    spec.tasks = Tasks("rows_my", "my_results", false);
    spec.extra_results_yaml = MysqlResultsYaml(db);
    server_ = MakeFaultServer(spec);
    server_->Start();

    Condition c = MysqlCondition(db);
    c.rows = 300;
    c.cause = "database is read-only";
    c.vendor = "MySQL error 1290";
    // The test user has no SUPER or READ ONLY ADMIN privilege, so read_only applies to it at once,
    // pooled connections included.
    c.impose = [&] { db.Root().Exec("SET GLOBAL read_only = 1"); };
    c.lift = [&] { db.Root().Exec("SET GLOBAL read_only = 0"); };
    RunScenario(*server_, c);
}

// The server process stopped (SIGSTOP): TCP accepts and acknowledges, nothing answers. Writes fail after
// read_timeout (or, for a new connection, connect_timeout) instead of holding their workers.
TEST_F(ResultsDbFaults, MariadbResultsStopsAnswering) {
    PrivateMariadb db;
    if (!db.unavailable_reason().empty()) GTEST_SKIP() << db.unavailable_reason();
    db.Start();
    FaultServerSpec spec;
    spec.tasks = Tasks("rows_my", "my_results", false);
    spec.extra_results_yaml =
        MysqlResultsYaml(db) + "    read_timeout: 3s\n    write_timeout: 3s\n    replace_lock_timeout: 1s\n";
    server_ = MakeFaultServer(spec);
    server_->Start();

    Condition c = MysqlCondition(db);
    c.rows = 300;
    c.cause = "did not answer within read_timeout/write_timeout";
    c.other_cause = "did not complete the connection within connect_timeout";
    c.vendor = "(MySQL error 2013";
    c.inspectable_while_imposed = false;
    c.impose = [&] { db.SetPaused(true); };
    c.lift = [&] { db.SetPaused(false); };
    RunScenario(*server_, c);
}

// GET /ready must say promptly that a stopped database is not ready, whatever its role's timeouts (a source has
// no read_timeout by default: its queries may compute for hours): each check gives up after 5 s.
TEST_F(ResultsDbFaults, AStoppedMariadbIsNotReadyWithinSeconds) {
    PrivateMariadb db;
    if (!db.unavailable_reason().empty()) GTEST_SKIP() << db.unavailable_reason();
    db.Start();
    FaultServerSpec spec;
    spec.tasks = Tasks("rows_my", "my_results", false);
    spec.extra_db_yaml = "  my_src:\n    type: mysql\n    dsn: \"" + db.results_dsn() + "\"\n    connect_timeout: 2s\n";
    spec.extra_results_yaml = MysqlResultsYaml(db);
    server_ = MakeFaultServer(spec);
    server_->Start();
    ASSERT_EQ(server_->Get("/ready").status, 200);

    db.SetPaused(true);
    const auto started = std::chrono::steady_clock::now();
    const auto ready = server_->Get("/ready");
    const auto waited = std::chrono::steady_clock::now() - started;
    db.SetPaused(false);
    EXPECT_EQ(ready.status, 503) << ready.Describe();
    for (const std::string part : {"db.my_src", "results.my_results", "did not answer within 5000 ms"}) {
        EXPECT_NE(ready.body.find(part), std::string::npos) << part << " in " << ready.Describe();
    }
    EXPECT_LT(waited, 20s) << "two checks of at most 5 s each";
    // The timed-out connections were closed; fresh ones answer once the server runs again.
    EXPECT_TRUE(postgres::testing::WaitUntil([&] { return server_->Get("/ready").status == 200; }, 15s));
}

// Fills the system tablespace up to its cap with `bulk`, keeping ~2 MB free (the dropped
// `headroom`), so result tables can still be created and their first rows land before the
// tablespace is full mid-write.
void FillTablespace(PrivateMariadb& db) {
    MariaClient root = db.Root();
    root.Exec("CREATE DATABASE filler");
    root.Exec("CREATE TABLE filler.headroom (a TEXT) ENGINE=InnoDB");
    root.Exec("INSERT INTO filler.headroom VALUES (REPEAT('h', 1000))");
    for (int i = 0; i < 11; ++i) root.Exec("INSERT INTO filler.headroom SELECT a FROM filler.headroom");
    root.Exec("CREATE TABLE filler.bulk (a TEXT) ENGINE=InnoDB");
    root.Exec("INSERT INTO filler.bulk VALUES (REPEAT('b', 1000))");
    // Doubling, then ever smaller steps, until InnoDB says 1114 for a single batch of 16 rows.
    std::string message;
    for (int i = 0; i < 40; ++i) {
        if (root.TryExec("INSERT INTO filler.bulk SELECT a FROM filler.bulk", &message) != 0) break;
    }
    for (const int step : {512, 16}) {
        unsigned int error = 0;
        for (int i = 0; i < 10000 && error != 1114; ++i) {
            error = root.TryExec("INSERT INTO filler.bulk SELECT a FROM filler.bulk LIMIT " + std::to_string(step),
                                 &message);
        }
        ASSERT_EQ(error, 1114u) << "the tablespace cap was never reached: " << message << "; error log:\n"
                                << db.ErrorLog();
    }
    root.Exec("DROP TABLE filler.headroom");
}

TEST_F(ResultsDbFaults, MariadbResultsTablespaceFull) {
    // One shared tablespace with a hard cap, as on a server whose data disk or quota ran out.
    PrivateMariadb db({"--innodb-file-per-table=OFF", "--innodb-data-file-path=ibdata1:12M:autoextend:max:48M"});
    if (!db.unavailable_reason().empty()) GTEST_SKIP() << db.unavailable_reason();
    db.Start();
    FaultServerSpec spec;
    spec.tasks = Tasks("rows_my", "my_results", true);
    spec.extra_results_yaml = MysqlResultsYaml(db);
    server_ = MakeFaultServer(spec);
    server_->Start();

    Condition c = MysqlCondition(db);
    c.rows = 20000;  // ~6 MB: more than the headroom, less than what freeing the filler gives
    c.cause = "database is full";
    c.vendor = "MySQL error 1114";
    c.impose = [&] { FillTablespace(db); };
    c.lift = [&] {
        // The operator frees space. The dropped table's pages are reusable once purge has run;
        // this waits for that (as a write retried a moment later would).
        MariaClient root = db.Root();
        root.Exec("DROP TABLE filler.bulk");
        root.Exec("SET GLOBAL innodb_max_purge_lag_wait = 0");
    };
    RunScenario(*server_, c);
}

}  // namespace
}  // namespace jobber::faults
