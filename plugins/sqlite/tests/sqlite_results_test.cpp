#include "sqlite_results.hpp"

#include <gtest/gtest.h>

#include <future>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/time.hpp"
#include "sqlite_results_writer.hpp"
#include "sqlite_source.hpp"
#include "test_support.hpp"

namespace jobber::sqlite {
namespace {

using sdk::ColumnType;
using testing::Db;
using testing::TempDir;

template <class Body>
jobber_code CodeOf(Body&& body) {
    try {
        body();
    } catch (const sdk::Error& e) {
        return e.code();
    }
    return JOBBER_OK;
}

const sdk::Schema kAllTypes = {{"id", ColumnType::kBigInt},    {"amount", ColumnType::kDecimal},
                               {"price", ColumnType::kDouble}, {"created_at", ColumnType::kTimestamp},
                               {"day", ColumnType::kDate},     {"paid", ColumnType::kBoolean},
                               {"note", ColumnType::kText}};

// Row `i` of a deterministic all-types batch; every 3rd row is all NULLs except id.
sdk::OwnedArray AllTypesBatch(int first, int count) {
    sdk::BatchBuilder builder(kAllTypes);
    for (int i = first; i < first + count; ++i) {
        builder.AppendInt64(0, i);
        if (i % 3 == 0) {
            for (size_t c = 1; c < kAllTypes.size(); ++c) builder.AppendNull(c);
            continue;
        }
        builder.AppendText(1, "12345678901234567890." + std::to_string(i % 100));
        builder.AppendDouble(2, i + 0.25);
        builder.AppendInt64(3, *sdk::ParseTimestamp("2017-01-02 03:04:05.000007") + int64_t{i} * sdk::kMicrosPerSecond);
        builder.AppendDate(4, *sdk::ParseDate("2017-06-01") + i);
        builder.AppendBool(5, i % 2 == 0);
        builder.AppendText(6, i == 1 ? "ünïcødé \"quoted\" 'single' ✓" : "note " + std::to_string(i));
    }
    ArrowArray array{};
    builder.Finish(&array);
    return sdk::OwnedArray(&array);
}

class SqliteResultsTest : public ::testing::Test {
protected:
    void SetUp() override { path_ = dir_.File("results.db"); }

    std::unique_ptr<SqliteResults> Open() { return std::make_unique<SqliteResults>(testing::Args({{"dsn", path_}})); }

    static void Write(sdk::ResultsWriter& writer, sdk::OwnedArray batch, const sdk::Schema& schema) {
        writer.Write(sdk::BatchView(*batch, schema));
    }

    // Publishes `rows` rows of a one-column table.
    static void Publish(SqliteResults& results,
                        const std::string& table,
                        const std::string& job,
                        int64_t expires,
                        const std::vector<int64_t>& rows) {
        const sdk::Schema schema = {{"n", ColumnType::kBigInt}};
        auto writer = results.Begin({job, table, expires}, schema);
        sdk::BatchBuilder builder(schema);
        for (int64_t v : rows) builder.AppendInt64(0, v);
        ArrowArray array{};
        builder.Finish(&array);
        Write(*writer, sdk::OwnedArray(&array), schema);
        writer->Commit();
    }

    std::vector<std::string> Tables() {
        return Db(path_).Rows("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
    }

    TempDir dir_;
    std::string path_;
};

TEST_F(SqliteResultsTest, OpenCreatesTheFileAndTheCatalog) {
    auto results = Open();
    EXPECT_EQ(Tables(), std::vector<std::string>{"_jobber_results"});
    EXPECT_EQ(Db(path_).One("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(results->MaxIdentifierLength(), 255u);
    results->Ping();
}

TEST_F(SqliteResultsTest, RoundTripKeepsValuesAndDeclaredTypes) {
    auto results = Open();
    auto writer = results->Begin({"job-1", "report_1", 1700000000000}, kAllTypes);
    Write(*writer, AllTypesBatch(1, 4), kAllTypes);
    Write(*writer, AllTypesBatch(5, 3), kAllTypes);
    writer->Commit();
    writer.reset();

    Db db(path_);
    EXPECT_EQ(db.Rows("SELECT name || ' ' || type FROM pragma_table_info('report_1') ORDER BY cid"),
              (std::vector<std::string>{"id BIGINT", "amount DECIMAL_TEXT", "price DOUBLE", "created_at TIMESTAMP",
                                        "day DATE", "paid BOOLEAN", "note TEXT"}));
    const auto rows = db.Rows("SELECT * FROM report_1 ORDER BY id");
    ASSERT_EQ(rows.size(), 7u);
    EXPECT_EQ(rows[0],
              "1|12345678901234567890.1|1.25|2017-01-02 03:04:06.000007|2017-06-02|0|ünïcødé \"quoted\" 'single' ✓");
    EXPECT_EQ(rows[1], "2|12345678901234567890.2|2.25|2017-01-02 03:04:07.000007|2017-06-03|1|note 2");
    EXPECT_EQ(rows[2], "3|NULL|NULL|NULL|NULL|NULL|NULL");
    // Storage classes: decimals stay exact text, booleans are integers.
    EXPECT_EQ(db.One("SELECT typeof(id), typeof(amount), typeof(price), typeof(created_at), typeof(day), "
                     "typeof(paid), typeof(note) FROM report_1 WHERE id = 1"),
              "integer|text|real|text|text|integer|text");
    EXPECT_EQ(db.Rows("SELECT table_name, job_id, expires_at, state FROM _jobber_results"),
              std::vector<std::string>{"report_1|job-1|1700000000000|ready"});
    EXPECT_EQ(Tables(), (std::vector<std::string>{"_jobber_results", "report_1"}));
}

TEST_F(SqliteResultsTest, TablesReadBackThroughTheSourceWithTheirTypes) {
    {
        auto results = Open();
        auto writer = results->Begin({"job-1", "typed", 0}, kAllTypes);
        Write(*writer, AllTypesBatch(1, 3), kAllTypes);
        writer->Commit();
    }
    SqliteSource source(testing::Args({{"dsn", path_}}));
    auto stream = source.Execute(testing::MakeQuery("read", "SELECT * FROM typed ORDER BY id"));
    EXPECT_EQ(stream->schema(), kAllTypes);
    auto batches = testing::Drain(*stream);
    ASSERT_EQ(batches.size(), 1u);
    sdk::BatchView got(*batches[0], stream->schema());
    auto expected_batch = AllTypesBatch(1, 3);
    sdk::BatchView expected(*expected_batch, kAllTypes);
    ASSERT_EQ(got.rows(), 3);
    for (int64_t r = 0; r < 3; ++r) {
        for (size_t c = 0; c < kAllTypes.size(); ++c) {
            EXPECT_EQ(testing::Cell(got, c, r), testing::Cell(expected, c, r)) << "row " << r << " column " << c;
        }
    }
}

TEST_F(SqliteResultsTest, UnpublishedTablesAreInvisibleUnderTheFinalName) {
    auto results = Open();
    auto writer = results->Begin({"job-1", "pending", 0}, kAllTypes);
    Write(*writer, AllTypesBatch(1, 2), kAllTypes);
    const std::string temp = static_cast<SqliteResultsWriter&>(*writer).temp_name();
    EXPECT_EQ(temp.rfind("pending__tmp_", 0), 0u) << temp;
    EXPECT_EQ(temp.size(), std::string("pending__tmp_").size() + 8);
    EXPECT_EQ(Tables(), (std::vector<std::string>{"_jobber_results", temp}));
    EXPECT_EQ(Db(path_).One("SELECT job_id || '|' || state || '|' || (expires_at > 0) FROM _jobber_results"),
              "job-1|writing|1");
    writer->Commit();
    EXPECT_EQ(Tables(), (std::vector<std::string>{"_jobber_results", "pending"}));
}

TEST_F(SqliteResultsTest, ReleaseWithoutCommitLeavesNothing) {
    auto results = Open();
    {
        auto writer = results->Begin({"job-1", "abandoned", 0}, kAllTypes);
        Write(*writer, AllTypesBatch(1, 5), kAllTypes);
    }
    EXPECT_EQ(Tables(), std::vector<std::string>{"_jobber_results"});
    EXPECT_EQ(Db(path_).One("SELECT COUNT(*) FROM _jobber_results"), "0");
}

TEST_F(SqliteResultsTest, RerunReplacesThePublishedTableAtOnce) {
    auto results = Open();
    Publish(*results, "daily", "job-1", 0, {1, 2, 3});

    const sdk::Schema schema = {{"n", ColumnType::kBigInt}, {"extra", ColumnType::kText}};
    auto writer = results->Begin({"job-2", "daily", 99}, schema);
    sdk::BatchBuilder builder(schema);
    builder.AppendInt64(0, 10);
    builder.AppendText(1, "new");
    ArrowArray array{};
    builder.Finish(&array);
    Write(*writer, sdk::OwnedArray(&array), schema);

    // A reader in the middle of the rerun still sees the old table, whole.
    Db reader(path_);
    EXPECT_EQ(reader.Rows("SELECT n FROM daily ORDER BY n"), (std::vector<std::string>{"1", "2", "3"}));
    writer->Commit();
    EXPECT_EQ(reader.Rows("SELECT * FROM daily"), std::vector<std::string>{"10|new"});
    EXPECT_EQ(reader.Rows("SELECT table_name, job_id, expires_at, state FROM _jobber_results"),
              std::vector<std::string>{"daily|job-2|99|ready"});
    EXPECT_EQ(Tables(), (std::vector<std::string>{"_jobber_results", "daily"}));
}

TEST_F(SqliteResultsTest, NamesDifferingOnlyInCaseNeverReplaceEachOther) {
    auto results = Open();
    Publish(*results, "results_CaseJob", "CaseJob", 0, {1, 2, 3});
    const sdk::Schema schema = {{"n", ColumnType::kBigInt}};
    auto writer = results->Begin({"casejob", "results_casejob", 0}, schema);
    const jobber_code code = CodeOf([&] { writer->Commit(); });
    EXPECT_EQ(code, JOBBER_ALREADY_EXISTS);
    writer.reset();
    EXPECT_EQ(Db(path_).Rows("SELECT n FROM results_CaseJob ORDER BY n"), (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(SqliteResultsTest, ZeroRowResultsStillPublishATable) {
    auto results = Open();
    auto writer = results->Begin({"job-1", "empty", 0}, kAllTypes);
    writer->Commit();
    EXPECT_EQ(Db(path_).One("SELECT COUNT(*) FROM empty"), "0");
    EXPECT_EQ(CodeOf([&] { writer->Commit(); }), JOBBER_FAILED_PRECONDITION);
    EXPECT_EQ(CodeOf([&] { Write(*writer, AllTypesBatch(1, 1), kAllTypes); }), JOBBER_FAILED_PRECONDITION);
}

TEST_F(SqliteResultsTest, HostileNamesAreQuoted) {
    auto results = Open();
    const sdk::Schema schema = {{"a\"b", ColumnType::kText},
                                {"with space", ColumnType::kBigInt},
                                {"x\"; DROP TABLE _jobber_results; --", ColumnType::kText},
                                {"id", ColumnType::kBigInt},
                                {"ID", ColumnType::kBigInt},
                                {"", ColumnType::kText}};
    const std::string table = "job \"7\"; DROP TABLE x --";
    auto writer = results->Begin({"job'7", table, 0}, schema);
    sdk::BatchBuilder builder(schema);
    builder.AppendText(0, "quote\"d");
    builder.AppendInt64(1, 1);
    builder.AppendText(2, "'; DELETE FROM _jobber_results; --");
    builder.AppendInt64(3, 2);
    builder.AppendInt64(4, 3);
    builder.AppendNull(5);
    ArrowArray array{};
    builder.Finish(&array);
    Write(*writer, sdk::OwnedArray(&array), schema);
    writer->Commit();

    Db db(path_);
    EXPECT_EQ(db.Rows("SELECT name FROM pragma_table_info('job \"7\"; DROP TABLE x --') ORDER BY cid"),
              (std::vector<std::string>{"a\"b", "with space", "x\"; DROP TABLE _jobber_results; --", "id", "ID_2",
                                        "column_6"}));
    EXPECT_EQ(db.Rows("SELECT * FROM \"job \"\"7\"\"; DROP TABLE x --\""),
              std::vector<std::string>{"quote\"d|1|'; DELETE FROM _jobber_results; --|2|3|NULL"});
    EXPECT_EQ(db.One("SELECT job_id FROM _jobber_results"), "job'7");
    results->Drop(table);
    EXPECT_EQ(Tables(), std::vector<std::string>{"_jobber_results"});
}

TEST_F(SqliteResultsTest, DropRemovesTableAndMetadataAndIgnoresMissingTables) {
    auto results = Open();
    Publish(*results, "to_drop", "job-1", 0, {1});
    Publish(*results, "to_keep", "job-2", 0, {2});
    results->Drop("to_drop");
    results->Drop("never_existed");
    EXPECT_EQ(Tables(), (std::vector<std::string>{"_jobber_results", "to_keep"}));
    EXPECT_EQ(Db(path_).Rows("SELECT table_name FROM _jobber_results"), std::vector<std::string>{"to_keep"});
    EXPECT_EQ(CodeOf([&] { results->Drop("_jobber_results"); }), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] { results->Drop("sqlite_master"); }), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] { results->Begin({"j", "_JOBBER_RESULTS", 0}, kAllTypes); }), JOBBER_INVALID_ARGUMENT);
}

TEST_F(SqliteResultsTest, SweepDropsOnlyExpiredTables) {
    auto results = Open();
    Publish(*results, "expired_a", "job-a", 1000, {1});
    Publish(*results, "expired_b", "job-b", 2000, {1});
    Publish(*results, "later", "job-c", 5000, {1});
    Publish(*results, "forever", "job-d", 0, {1});
    Publish(*results, "already_gone", "job-e", 1500, {1});
    Db(path_).Exec("DROP TABLE already_gone");

    EXPECT_EQ(results->Sweep(2000), 2u);
    EXPECT_EQ(Tables(), (std::vector<std::string>{"_jobber_results", "forever", "later"}));
    EXPECT_EQ(Db(path_).Rows("SELECT table_name FROM _jobber_results ORDER BY table_name"),
              (std::vector<std::string>{"forever", "later"}));
    EXPECT_EQ(results->Sweep(2000), 0u);
}

TEST_F(SqliteResultsTest, SweepRemovesLeftoversOfCrashedWriters) {
    auto results = Open();
    auto writer = results->Begin({"job-1", "crashed", 0}, kAllTypes);
    const std::string temp = static_cast<SqliteResultsWriter&>(*writer).temp_name();
    // Far enough in the future that the 'writing' row has expired.
    const int64_t later =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count() +
        2 * kWritingExpiryMs;
    EXPECT_EQ(results->Sweep(later), 1u);
    EXPECT_EQ(Tables(), std::vector<std::string>{"_jobber_results"});
    // The writer's own cleanup then finds nothing to remove and stays quiet.
    writer.reset();
    EXPECT_EQ(Tables(), std::vector<std::string>{"_jobber_results"});
    (void)temp;
}

TEST_F(SqliteResultsTest, ConcurrentWritersOnOneFileAllPublish) {
    auto results = Open();
    std::vector<std::future<void>> jobs;
    for (int j = 0; j < 6; ++j) {
        jobs.push_back(std::async(std::launch::async, [&, j] {
            auto writer = results->Begin({"job-" + std::to_string(j), "concurrent_" + std::to_string(j), 0}, kAllTypes);
            for (int b = 0; b < 10; ++b) Write(*writer, AllTypesBatch(b * 50 + 1, 50), kAllTypes);
            writer->Commit();
        }));
    }
    for (auto& job : jobs) job.get();
    Db db(path_);
    for (int j = 0; j < 6; ++j) {
        EXPECT_EQ(db.One("SELECT COUNT(*) FROM concurrent_" + std::to_string(j)), "500");
    }
    EXPECT_EQ(db.One("SELECT COUNT(*) FROM _jobber_results WHERE state = 'ready'"), "6");
}

TEST_F(SqliteResultsTest, ConfigIsValidated) {
    EXPECT_EQ(CodeOf([&] {
                  SqliteResults r(testing::Args({{"dsn", path_}, {"journal_mode", "bogus"}}));
              }),
              JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] { SqliteResults r(testing::Args({})); }), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] {
                  SqliteResults r(testing::Args({{"dsn", dir_.File("no/such/dir/x.db")}}));
              }),
              JOBBER_UNAVAILABLE);
    SqliteResults rollback(testing::Args({{"dsn", dir_.File("delete.db")}, {"journal_mode", "delete"}}));
    EXPECT_EQ(Db(dir_.File("delete.db")).One("PRAGMA journal_mode"), "delete");
}

}  // namespace
}  // namespace jobber::sqlite
