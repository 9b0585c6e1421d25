// The results backend against a real server, in both COPY formats: types, atomic publish and
// replace, rollback, names, unlogged tables, sweep.
#include "pg_results.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/time.hpp"
#include "pg_test_support.hpp"

namespace jobber::postgres {
namespace {

using testing::Args;
using testing::Psql;
using testing::TestSchema;

const sdk::Schema kAllTypes = {{"id", sdk::ColumnType::kBigInt},    {"amount", sdk::ColumnType::kDecimal},
                               {"price", sdk::ColumnType::kDouble}, {"at", sdk::ColumnType::kTimestamp},
                               {"day", sdk::ColumnType::kDate},     {"paid", sdk::ColumnType::kBoolean},
                               {"note", sdk::ColumnType::kText}};

// Three rows covering edge values of every type, and a row of NULLs.
sdk::OwnedArray AllTypesBatch() {
    sdk::BatchBuilder b(kAllTypes);
    b.AppendInt64(0, -9223372036854775807 - 1);
    b.AppendText(1, "12345678901234567890.123456789012345678901234567890");
    b.AppendDouble(2, 0.1);
    b.AppendInt64(3, *sdk::ParseTimestamp("2017-03-04 05:06:07.123456"));
    b.AppendDate(4, *sdk::ParseDate("2017-03-04"));
    b.AppendBool(5, true);
    b.AppendText(6, "café ☕ 支払い\ttab\nnewline\\backslash \"quoted\"");

    b.AppendInt64(0, 2);
    b.AppendText(1, "-0.000100");
    b.AppendDouble(2, -1e300);
    b.AppendInt64(3, -62135596800000000 - sdk::kMicrosPerDay * 366);  // 0000-01-01, 1 BC
    b.AppendDate(4, -719529);                                         // -0001-12-31, 2 BC
    b.AppendBool(5, false);
    b.AppendText(6, "");

    b.AppendInt64(0, 3);
    b.AppendText(1, "1e3");
    b.AppendDouble(2, std::numeric_limits<double>::infinity());
    b.AppendInt64(3, 0);
    b.AppendDate(4, 0);
    b.AppendNull(5);
    b.AppendText(6, "NaN-not-a-number");

    for (size_t c = 0; c < kAllTypes.size(); ++c) b.AppendNull(c);
    ArrowArray array{};
    b.Finish(&array);
    return sdk::OwnedArray(&array);
}

class PgResultsTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        JOBBER_REQUIRE_POSTGRES();
        schema_ = std::make_unique<TestSchema>();
        psql_ = std::make_unique<Psql>(schema_->dsn());
        results_ = Open({});
    }

    std::unique_ptr<PgResults> Open(std::vector<std::pair<std::string, std::string>> extra) {
        extra.emplace_back("dsn", schema_->dsn());
        extra.emplace_back("copy_format", GetParam());
        return std::make_unique<PgResults>(Args(extra));
    }

    void Publish(const std::string& table, const sdk::Schema& schema, sdk::OwnedArray batch, int64_t expires = 0) {
        auto writer = results_->Begin({"job-" + table, table, expires}, schema);
        writer->Write(sdk::BatchView(*batch, schema));
        writer->Commit();
    }

    sdk::OwnedArray Numbers(std::vector<int64_t> values) {
        sdk::BatchBuilder b({{"n", sdk::ColumnType::kBigInt}});
        for (int64_t v : values) b.AppendInt64(0, v);
        ArrowArray array{};
        b.Finish(&array);
        return sdk::OwnedArray(&array);
    }

    // Tables of the test schema, by name.
    std::vector<std::string> Tables() {
        return psql_->Rows("SELECT tablename FROM pg_tables WHERE schemaname = '" + schema_->name() +
                           "' ORDER BY tablename");
    }

    std::unique_ptr<TestSchema> schema_;
    std::unique_ptr<Psql> psql_;
    std::unique_ptr<PgResults> results_;
};

TEST_P(PgResultsTest, WritesEveryTypeExactly) {
    Publish("all_types", kAllTypes, AllTypesBatch(), 1234);
    EXPECT_EQ(psql_->Rows("SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE table_schema "
                          "= current_schema() AND table_name = 'all_types' ORDER BY ordinal_position"),
              (std::vector<std::string>{"id bigint", "amount numeric", "price double precision",
                                        "at timestamp without time zone", "day date", "paid boolean", "note text"}));
    EXPECT_EQ(psql_->Rows("SELECT * FROM all_types"),
              (std::vector<std::string>{
                  "-9223372036854775808|12345678901234567890.123456789012345678901234567890|0.1|"
                  "2017-03-04 05:06:07.123456|2017-03-04|t|café ☕ 支払い\ttab\nnewline\\backslash \"quoted\"",
                  "2|-0.000100|-1e+300|0001-01-01 00:00:00 BC|0002-12-31 BC|f|",
                  "3|1000|Infinity|1970-01-01 00:00:00|1970-01-01|NULL|NaN-not-a-number",
                  "NULL|NULL|NULL|NULL|NULL|NULL|NULL"}));
    EXPECT_EQ(psql_->One("SELECT table_name, job_id, expires_at FROM _jobber_results"), "all_types|job-all_types|1234");
}

TEST_P(PgResultsTest, NothingIsVisibleBeforeCommitAndReRunsReplaceAtomically) {
    Publish("report", {{"n", sdk::ColumnType::kBigInt}}, Numbers({1, 2, 3}));
    const sdk::Schema schema = {{"n", sdk::ColumnType::kBigInt}};
    auto writer = results_->Begin({"job-2", "report", 0}, schema);
    auto batch = Numbers({10, 20});
    writer->Write(sdk::BatchView(*batch, schema));
    // Another session sees the old table only; the temporary table exists only inside the writer's
    // transaction.
    EXPECT_EQ(psql_->Rows("SELECT n FROM report ORDER BY n"), (std::vector<std::string>{"1", "2", "3"}));
    EXPECT_EQ(Tables(), (std::vector<std::string>{"_jobber_results", "report"}));
    writer->Commit();
    EXPECT_EQ(psql_->Rows("SELECT n FROM report ORDER BY n"), (std::vector<std::string>{"10", "20"}));
    EXPECT_EQ(psql_->One("SELECT job_id FROM _jobber_results WHERE table_name = 'report'"), "job-2");
    EXPECT_EQ(Tables(), (std::vector<std::string>{"_jobber_results", "report"}));
}

TEST_P(PgResultsTest, ReleaseWithoutCommitLeavesNothing) {
    const sdk::Schema schema = {{"n", sdk::ColumnType::kBigInt}};
    {
        auto writer = results_->Begin({"job", "never", 0}, schema);
        auto batch = Numbers({1});
        writer->Write(sdk::BatchView(*batch, schema));
    }
    EXPECT_EQ(Tables(), std::vector<std::string>{"_jobber_results"});
    EXPECT_EQ(psql_->One("SELECT count(*) FROM _jobber_results"), "0");
    // The connection went back clean: the next table is written on it fine.
    Publish("after", schema, Numbers({5}));
    EXPECT_EQ(psql_->One("SELECT n FROM after"), "5");
}

// Publishing is one pipelined round trip (drop, rename, record, commit): a statement failing in it rolls all of it
// back, the previous table stays, and the connection is clean for the next table.
TEST_P(PgResultsTest, AFailureWhilePublishingKeepsThePreviousTable) {
    const sdk::Schema schema = {{"n", sdk::ColumnType::kBigInt}};
    Publish("report", schema, Numbers({1, 2}));
    psql_->Exec("ALTER TABLE _jobber_results ADD CONSTRAINT refuse_job CHECK (job_id <> 'refused')");
    auto writer = results_->Begin({"refused", "report", 0}, schema);
    auto batch = Numbers({7});
    writer->Write(sdk::BatchView(*batch, schema));
    try {
        writer->Commit();
        FAIL() << "the catalog refused the row; Commit must fail";
    } catch (const sdk::Error& e) {
        EXPECT_NE(std::string(e.what()).find("refuse_job"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("cannot publish result table 'report'"), std::string::npos) << e.what();
    }
    writer.reset();
    EXPECT_EQ(psql_->Rows("SELECT n FROM report ORDER BY n"), (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(Tables(), (std::vector<std::string>{"_jobber_results", "report"}));
    EXPECT_EQ(psql_->One("SELECT job_id FROM _jobber_results WHERE table_name = 'report'"), "job-report");
    Publish("after", schema, Numbers({5}));
    EXPECT_EQ(psql_->One("SELECT n FROM after"), "5");
}

// A re-run must drop the old table, which waits for its readers, and new readers queue behind that wait. The wait
// is bounded by `replace_lock_timeout`: then the job fails naming the cause, and the old table and its row stay.
TEST_P(PgResultsTest, AReRunWaitsBoundedlyForAReaderOfTheOldTable) {
    const sdk::Schema schema = {{"n", sdk::ColumnType::kBigInt}};
    Publish("report", schema, Numbers({1, 2}));
    results_ = Open({{"replace_lock_timeout", "300"}});
    Psql reader(schema_->dsn());
    reader.Exec("BEGIN");
    EXPECT_EQ(reader.Rows("SELECT n FROM report ORDER BY n").size(), 2u);  // ACCESS SHARE until its COMMIT

    auto writer = results_->Begin({"job-2", "report", 0}, schema);
    auto batch = Numbers({7});
    writer->Write(sdk::BatchView(*batch, schema));
    const auto started = std::chrono::steady_clock::now();
    try {
        writer->Commit();
        FAIL() << "a reader holds the old table; Commit must give up after replace_lock_timeout";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE) << e.what();
        EXPECT_NE(std::string(e.what()).find("cannot publish result table 'report'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("still in use by another session"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("replace_lock_timeout"), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
    writer.reset();
    reader.Exec("COMMIT");
    EXPECT_EQ(psql_->Rows("SELECT n FROM report ORDER BY n"), (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(psql_->One("SELECT job_id FROM _jobber_results WHERE table_name = 'report'"), "job-report");
    EXPECT_EQ(Tables(), (std::vector<std::string>{"_jobber_results", "report"}));

    // With the reader gone the same re-run goes through on the same pool.
    Publish("report", schema, Numbers({7}));
    EXPECT_EQ(psql_->Rows("SELECT n FROM report"), std::vector<std::string>{"7"});
}

TEST_P(PgResultsTest, ANegativeReplaceLockTimeoutIsAConfigError) {
    try {
        Open({{"replace_lock_timeout", "-1"}});
        FAIL() << "a negative replace_lock_timeout must be refused";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
        EXPECT_NE(std::string(e.what()).find("replace_lock_timeout"), std::string::npos) << e.what();
    }
}

TEST_P(PgResultsTest, ZeroRowsStillCreateTheTable) {
    const sdk::Schema schema = {{"n", sdk::ColumnType::kBigInt}, {"t", sdk::ColumnType::kText}};
    auto writer = results_->Begin({"job", "empty", 0}, schema);
    writer->Commit();
    EXPECT_EQ(psql_->One("SELECT count(*) FROM empty"), "0");
}

TEST_P(PgResultsTest, BadDecimalFailsTheTableNamingTheColumn) {
    const sdk::Schema schema = {{"amount", sdk::ColumnType::kDecimal}};
    sdk::BatchBuilder b(schema);
    b.AppendText(0, "12.5");
    b.AppendText(0, "twelve");
    ArrowArray array{};
    b.Finish(&array);
    sdk::OwnedArray batch(&array);
    try {
        auto writer = results_->Begin({"job", "bad", 0}, schema);
        writer->Write(sdk::BatchView(*batch, schema));
        writer->Commit();
        FAIL() << "expected an error";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT) << e.what();
        EXPECT_NE(std::string(e.what()).find("twelve"), std::string::npos) << e.what();
    }
    EXPECT_EQ(Tables(), std::vector<std::string>{"_jobber_results"});
}

TEST_P(PgResultsTest, NamesAreQuotedLimitedAndMadeUnique) {
    EXPECT_EQ(results_->MaxIdentifierLength(), 63u);
    const std::string long_name(70, 'c');
    const sdk::Schema schema = {{"id", sdk::ColumnType::kBigInt}, {"id", sdk::ColumnType::kBigInt},
                                {"Id", sdk::ColumnType::kBigInt}, {"a \"quoted\"; DROP", sdk::ColumnType::kBigInt},
                                {"", sdk::ColumnType::kBigInt},   {long_name, sdk::ColumnType::kBigInt}};
    sdk::BatchBuilder b(schema);
    for (size_t c = 0; c < schema.size(); ++c) b.AppendInt64(c, static_cast<int64_t>(c));
    ArrowArray array{};
    b.Finish(&array);
    const std::string table(63, 't');
    Publish(table, schema, sdk::OwnedArray(&array));
    const auto columns = psql_->Rows("SELECT column_name FROM information_schema.columns WHERE table_name = '" + table +
                                     "' AND table_schema = current_schema() ORDER BY ordinal_position");
    ASSERT_EQ(columns.size(), 6u);
    EXPECT_EQ(columns[0], "id");
    EXPECT_EQ(columns[1], "id_2");
    EXPECT_EQ(columns[2], "Id");
    EXPECT_EQ(columns[3], "a \"quoted\"; DROP");
    EXPECT_EQ(columns[4], "column_5");
    EXPECT_EQ(columns[5].size(), 63u);
    EXPECT_EQ(columns[5].substr(0, 54), std::string(54, 'c'));

    for (const std::string& bad : {std::string(64, 'x'), std::string("_jobber_results"), std::string("")}) {
        try {
            results_->Begin({"job", bad, 0}, schema);
            FAIL() << "expected '" << bad << "' to be refused";
        } catch (const sdk::Error& e) {
            EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
        }
    }
}

TEST_P(PgResultsTest, UnloggedTablesWhenConfigured) {
    results_ = Open({{"unlogged", "true"}});
    Publish("fast", {{"n", sdk::ColumnType::kBigInt}}, Numbers({1}));
    EXPECT_EQ(psql_->One("SELECT relpersistence FROM pg_class WHERE relname = 'fast' AND relnamespace = "
                         "current_schema()::regnamespace"),
              "u");
    results_ = Open({});
    Publish("durable", {{"n", sdk::ColumnType::kBigInt}}, Numbers({1}));
    EXPECT_EQ(psql_->One("SELECT relpersistence FROM pg_class WHERE relname = 'durable' AND relnamespace = "
                         "current_schema()::regnamespace"),
              "p");
}

TEST_P(PgResultsTest, SweepDropsOnlyExpiredTables) {
    const sdk::Schema schema = {{"n", sdk::ColumnType::kBigInt}};
    Publish("old", schema, Numbers({1}), 1000);
    Publish("young", schema, Numbers({1}), 5000);
    Publish("forever", schema, Numbers({1}), 0);
    EXPECT_EQ(results_->Sweep(2000), 1u);
    EXPECT_EQ(Tables(), (std::vector<std::string>{"_jobber_results", "forever", "young"}));
    EXPECT_EQ(psql_->Rows("SELECT table_name FROM _jobber_results ORDER BY 1"),
              (std::vector<std::string>{"forever", "young"}));
    // A row whose table someone dropped by hand goes quietly.
    psql_->Exec("DROP TABLE young");
    EXPECT_EQ(results_->Sweep(6000), 0u);
    EXPECT_EQ(psql_->Rows("SELECT table_name FROM _jobber_results"), std::vector<std::string>{"forever"});
}

TEST_P(PgResultsTest, DropRemovesTableAndRow) {
    Publish("gone", {{"n", sdk::ColumnType::kBigInt}}, Numbers({1}));
    results_->Drop("gone");
    results_->Drop("gone");  // already gone: fine
    EXPECT_EQ(Tables(), std::vector<std::string>{"_jobber_results"});
    EXPECT_EQ(psql_->One("SELECT count(*) FROM _jobber_results"), "0");
    results_->Ping();
}

TEST_P(PgResultsTest, AdminConnectionKilledByTheServerIsReplaced) {
    results_->Ping();
    Psql(testing::ServerUri())
        .Exec(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%_jobber_results%LIMIT 1' AND "
            "pid <> pg_backend_pid()");
    EXPECT_EQ(results_->Sweep(1), 0u);  // reconnects rather than failing
}

INSTANTIATE_TEST_SUITE_P(CopyFormats,
                         PgResultsTest,
                         ::testing::Values("binary", "text"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace jobber::postgres
