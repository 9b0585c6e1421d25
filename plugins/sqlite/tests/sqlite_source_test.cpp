#include "sqlite_source.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <limits>
#include <thread>

#include "jobber/sdk/error.hpp"
#include "test_support.hpp"

namespace jobber::sqlite {
namespace {

using sdk::ColumnType;
using testing::Cell;
using testing::Db;
using testing::Drain;
using testing::MakeQuery;
using testing::TempDir;

// Counts to a billion: many seconds of pure VM work, for cancel and timeout tests.
constexpr const char* kSlowSql =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT COUNT(*) FROM c";

// Runs `body` and returns the code of the sdk::Error it throws (OK when it throws none).
template <class Body>
jobber_code CodeOf(Body&& body, std::string* message = nullptr) {
    try {
        body();
    } catch (const sdk::Error& e) {
        if (message != nullptr) *message = e.what();
        return e.code();
    }
    return JOBBER_OK;
}

class SqliteSourceTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = dir_.File("source.db");
        Db db(path_);
        db.Exec(
            "CREATE TABLE types (i INTEGER, d DECIMAL(12,2), r REAL, ts TIMESTAMP, dt DATE, b BOOLEAN, s TEXT, "
            "bl BLOB, v VARCHAR(10));"
            "INSERT INTO types VALUES (42, '1234.5', 2.5, '2017-03-04 05:06:07.123456', '2017-12-31', 1, "
            "'héllo wörld ✓ 日本', x'616263', 'v');"
            "INSERT INTO types VALUES (-7, 10, -0.25, 1500000000, '2000-02-29', 'false', '', x'', '');"
            "INSERT INTO types VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);"
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);"
            "INSERT INTO users (name) VALUES ('alice'), ('bob'), ('carol');");
    }

    std::unique_ptr<SqliteSource> Open(std::vector<std::pair<std::string, std::string>> extra = {}) {
        extra.emplace_back("dsn", path_);
        return std::make_unique<SqliteSource>(testing::Args(std::move(extra)));
    }

    // All rows of a query as '|'-joined cells.
    static std::vector<std::string> RowsOf(sdk::RowStream& stream) {
        std::vector<std::string> rows;
        for (auto& batch : Drain(stream)) {
            sdk::BatchView view(*batch, stream.schema());
            for (int64_t r = 0; r < view.rows(); ++r) {
                std::string row;
                for (size_t c = 0; c < view.columns(); ++c) row += (c > 0 ? "|" : "") + Cell(view, c, r);
                rows.push_back(row);
            }
        }
        return rows;
    }

    TempDir dir_;
    std::string path_;
};

TEST_F(SqliteSourceTest, ReadsEveryTypeIncludingNulls) {
    auto source = Open();
    auto stream = source->Execute(MakeQuery("types", "SELECT * FROM types ORDER BY rowid"));
    const sdk::Schema expected = {
        {"i", ColumnType::kBigInt},     {"d", ColumnType::kDecimal}, {"r", ColumnType::kDouble},
        {"ts", ColumnType::kTimestamp}, {"dt", ColumnType::kDate},   {"b", ColumnType::kBoolean},
        {"s", ColumnType::kText},       {"bl", ColumnType::kText},   {"v", ColumnType::kText}};
    EXPECT_EQ(stream->schema(), expected);
    const std::vector<std::string> rows = RowsOf(*stream);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0], "42|1234.5|2.5|2017-03-04 05:06:07.123456|2017-12-31|true|héllo wörld ✓ 日本|abc|v");
    EXPECT_EQ(rows[1], "-7|10|-0.25|2017-07-14 02:40:00|2000-02-29|false|||");
    EXPECT_EQ(rows[2], "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL");
}

TEST_F(SqliteSourceTest, ZeroRowsStillReportTheSchema) {
    auto source = Open();
    auto stream = source->Execute(MakeQuery("none", "SELECT i, s, i + 1 AS expr FROM types WHERE 0"));
    const sdk::Schema expected = {{"i", ColumnType::kBigInt}, {"s", ColumnType::kText}, {"expr", ColumnType::kText}};
    EXPECT_EQ(stream->schema(), expected);
    ArrowArray array{};
    EXPECT_FALSE(stream->Next(&array));
    EXPECT_FALSE(stream->Next(&array));
}

TEST_F(SqliteSourceTest, ExpressionColumnsTakeTheFirstRowsStorageClass) {
    auto source = Open();
    auto stream = source->Execute(
        MakeQuery("expr",
                  "SELECT COUNT(*) AS n, AVG(id) AS mean, group_concat(name) AS names, NULL AS missing, "
                  "MAX(id) AS top FROM users"));
    const sdk::Schema expected = {{"n", ColumnType::kBigInt},
                                  {"mean", ColumnType::kDouble},
                                  {"names", ColumnType::kText},
                                  {"missing", ColumnType::kText},
                                  {"top", ColumnType::kBigInt}};
    EXPECT_EQ(stream->schema(), expected);
    EXPECT_EQ(RowsOf(*stream), std::vector<std::string>{"3|2|alice,bob,carol|NULL|3"});
}

TEST_F(SqliteSourceTest, ExpressionRowsAfterTheFirstAreConvertedOrRejected) {
    auto source = Open();
    auto ok = source->Execute(MakeQuery("ok", "SELECT column1 AS x FROM (VALUES (1), (2.0), (NULL))"));
    EXPECT_EQ(RowsOf(*ok), (std::vector<std::string>{"1", "2", "NULL"}));

    auto bad = source->Execute(MakeQuery("bad", "SELECT column1 AS x FROM (VALUES (1), (2.0), (2.5))"));
    std::string message;
    EXPECT_EQ(CodeOf([&] { Drain(*bad); }, &message), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(message, "column 'x' row 3: value '2.5' is not a BIGINT");
    // A failed stream stays failed.
    ArrowArray array{};
    EXPECT_EQ(CodeOf([&] { bad->Next(&array); }), JOBBER_INVALID_ARGUMENT);
}

TEST_F(SqliteSourceTest, ValuesThatDoNotFitTheDeclaredTypeAreRejected) {
    Db(path_).Exec(
        "CREATE TABLE wrong (i INTEGER, ts TIMESTAMP, dt DATE, b BOOLEAN, d DECIMAL, r REAL);"
        "INSERT INTO wrong (i) VALUES ('abc');"
        "INSERT INTO wrong (ts) VALUES ('yesterday');"
        "INSERT INTO wrong (dt) VALUES ('2017-02-30');"
        "INSERT INTO wrong (b) VALUES ('maybe');"
        "INSERT INTO wrong (d) VALUES ('12,50');"
        "INSERT INTO wrong (r) VALUES ('x');");
    auto source = Open();
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"i", "column 'i' row 1: value 'abc' is not a BIGINT"},
        {"ts", "column 'ts' row 1: value 'yesterday' is not a TIMESTAMP"},
        {"dt", "column 'dt' row 1: value '2017-02-30' is not a DATE"},
        {"b", "column 'b' row 1: value 'maybe' is not a BOOLEAN"},
        {"d", "column 'd' row 1: value '12,50' is not a DECIMAL"},
        {"r", "column 'r' row 1: value 'x' is not a DOUBLE"},
    };
    for (const auto& [column, expected] : cases) {
        const std::string sql = "SELECT " + column + " FROM wrong WHERE " + column + " IS NOT NULL";
        auto stream = source->Execute(MakeQuery("wrong_" + column, sql));
        std::string message;
        EXPECT_EQ(CodeOf([&] { Drain(*stream); }, &message), JOBBER_INVALID_ARGUMENT) << column;
        EXPECT_EQ(message, expected);
    }
}

TEST_F(SqliteSourceTest, WideRowsKeepEveryColumn) {
    std::string create = "CREATE TABLE wide (";
    std::string insert = "INSERT INTO wide VALUES (";
    for (int i = 0; i < 500; ++i) {
        create += (i > 0 ? ", c" : "c") + std::to_string(i) + " INTEGER";
        insert += (i > 0 ? ", " : "") + std::to_string(i * 3);
    }
    Db(path_).Exec(create + "); " + insert + "); " + insert + ");");
    auto source = Open();
    auto stream = source->Execute(MakeQuery("wide", "SELECT * FROM wide"));
    ASSERT_EQ(stream->schema().size(), 500u);
    EXPECT_EQ(stream->schema()[499].name, "c499");
    auto batches = Drain(*stream);
    ASSERT_EQ(batches.size(), 1u);
    sdk::BatchView view(*batches[0], stream->schema());
    EXPECT_EQ(view.rows(), 2);
    EXPECT_EQ(view.Int64(499, 1), 499 * 3);
}

TEST_F(SqliteSourceTest, BindsEveryArgumentType) {
    auto source = Open();
    const std::string sql =
        "SELECT ?1 IS NULL AS is_null, ?2 AS flag, ?3 AS big, ?4 AS real, ?5 AS text, "
        "typeof(?2) AS flag_type, typeof(?5) AS text_type, length(?5) AS text_length";
    ASSERT_EQ(source->Prepare("params", sql, false), 5);
    const std::string text = "naïve ☃ text";
    const jobber_value params[] = {testing::NullValue(), testing::BoolValue(true),
                                   testing::IntValue(std::numeric_limits<int64_t>::min()), testing::DoubleValue(-1.5),
                                   testing::TextValue(text)};
    auto query = MakeQuery("params", sql);
    query.params = params;
    query.param_count = 5;
    auto stream = source->Execute(query);
    EXPECT_EQ(RowsOf(*stream), std::vector<std::string>{"1|1|-9223372036854775808|-1.5|naïve ☃ text|integer|text|12"});
}

TEST_F(SqliteSourceTest, TextArgumentsUseTheirSizeNotATerminator) {
    auto source = Open();
    const std::string storage = "alice-and-more";
    jobber_value param = testing::TextValue(storage);
    param.text_size = 5;
    auto query = MakeQuery("by_name", "SELECT id FROM users WHERE name = ?");
    query.params = &param;
    query.param_count = 1;
    auto stream = source->Execute(query);
    EXPECT_EQ(RowsOf(*stream), std::vector<std::string>{"1"});
}

TEST_F(SqliteSourceTest, WrongArgumentCountIsInvalidArgument) {
    auto source = Open();
    const jobber_value params[] = {testing::IntValue(1)};
    auto query = MakeQuery("two_args", "SELECT * FROM users WHERE id = ? OR name = ?");
    query.params = params;
    query.param_count = 1;
    std::string message;
    EXPECT_EQ(CodeOf([&] { source->Execute(query); }, &message), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(message, "task 'two_args' expects 2 arguments, got 1");

    // The cached statement is still usable with the right arguments.
    const jobber_value right[] = {testing::IntValue(2), testing::TextValue("carol")};
    query.params = right;
    query.param_count = 2;
    auto stream = source->Execute(query);
    EXPECT_EQ(RowsOf(*stream), (std::vector<std::string>{"2|bob", "3|carol"}));
}

TEST_F(SqliteSourceTest, PrepareReportsSqlErrorsWithTheTaskName) {
    auto source = Open();
    std::string message;
    EXPECT_EQ(CodeOf([&] { source->Prepare("broken", "SELECT * FROM missing_table", false); }, &message),
              JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(message, "task 'broken': no such table: missing_table");
    EXPECT_EQ(CodeOf([&] { source->Prepare("syntax", "SELEC 1", false); }, &message), JOBBER_INVALID_ARGUMENT);
    EXPECT_NE(message.find("task 'syntax': near \"SELEC\""), std::string::npos) << message;
    EXPECT_EQ(CodeOf([&] { source->Prepare("empty", "  -- nothing\n", false); }, &message), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(message, "task 'empty': no SQL statement found");
}

TEST_F(SqliteSourceTest, PrepareRejectsMoreThanOneStatement) {
    auto source = Open();
    std::string message;
    EXPECT_EQ(CodeOf([&] { source->Prepare("two", "SELECT 1; SELECT 2", false); }, &message), JOBBER_INVALID_ARGUMENT);
    EXPECT_NE(message.find("more than one SQL statement"), std::string::npos) << message;
    EXPECT_EQ(source->Prepare("trailing", "SELECT ?; -- done\n/* really */ ;", false), 1);
}

TEST_F(SqliteSourceTest, RawTasksAreNotPreparedButStillRun) {
    auto source = Open();
    EXPECT_EQ(source->Prepare("raw", "SELECT * FROM not_yet_created", true), -1);
    Db(path_).Exec("CREATE TABLE not_yet_created (x INTEGER); INSERT INTO not_yet_created VALUES (5);");
    auto query = MakeQuery("raw", "SELECT x FROM not_yet_created WHERE x > ?");
    query.raw = true;
    const jobber_value params[] = {testing::IntValue(1)};
    query.params = params;
    query.param_count = 1;
    auto stream = source->Execute(query);
    EXPECT_EQ(RowsOf(*stream), std::vector<std::string>{"5"});
}

TEST_F(SqliteSourceTest, MissingDatabaseIsUnavailableAndNamesThePath) {
    const std::string missing = dir_.File("does-not-exist.db");
    SqliteSource source(testing::Args({{"dsn", missing}}));
    std::string message;
    EXPECT_EQ(CodeOf([&] { source.Prepare("t", "SELECT 1", false); }, &message), JOBBER_UNAVAILABLE);
    EXPECT_NE(message.find(missing), std::string::npos) << message;
    EXPECT_EQ(CodeOf([&] { source.Ping(); }), JOBBER_UNAVAILABLE);
    EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(SqliteSourceTest, ReadOnlyConnectionsRefuseWrites) {
    auto source = Open();
    auto stream = source->Execute(MakeQuery("write", "DELETE FROM users"));
    std::string message;
    EXPECT_EQ(CodeOf([&] { Drain(*stream); }, &message), JOBBER_INVALID_ARGUMENT);
    EXPECT_NE(message.find("readonly"), std::string::npos) << message;
    EXPECT_EQ(Db(path_).One("SELECT COUNT(*) FROM users"), "3");
}

TEST_F(SqliteSourceTest, FileUriDsnWorks) {
    SqliteSource source(testing::Args({{"dsn", "file:" + path_ + "?cache=private"}}));
    auto stream = source.Execute(MakeQuery("uri", "SELECT name FROM users WHERE id = 1"));
    EXPECT_EQ(RowsOf(*stream), std::vector<std::string>{"alice"});
}

TEST_F(SqliteSourceTest, ConfigIsValidated) {
    EXPECT_EQ(CodeOf([] { SqliteSource source(testing::Args({})); }), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] { Open({{"max_connections", "0"}}); }), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] { Open({{"busy_timeout", "-1"}}); }), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] { Open({{"read_only", "maybe"}}); }), JOBBER_INVALID_ARGUMENT);
}

TEST_F(SqliteSourceTest, CancelFromAnotherThreadStopsTheQueryAndFreesTheConnection) {
    auto source = Open({{"max_connections", "1"}});
    auto query = MakeQuery("slow", kSlowSql, 77);
    std::atomic<bool> stop{false};
    // Keeps cancelling until the query is seen to stop: the cancel may arrive before Execute
    // has registered the query, which is then a documented no-op.
    std::thread canceller([&] {
        while (!stop.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            source->Cancel(77);
        }
    });
    const auto started = std::chrono::steady_clock::now();
    std::string message;
    const jobber_code code = CodeOf(
        [&] {
            auto stream = source->Execute(query);
            Drain(*stream);
        },
        &message);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    stop = true;
    canceller.join();
    EXPECT_EQ(code, JOBBER_CANCELLED);
    EXPECT_EQ(message, "query cancelled");
    // Far below the query's own run time of many seconds.
    EXPECT_LT(elapsed, std::chrono::seconds(5));

    // The single pooled connection is usable again.
    auto after = source->Execute(MakeQuery("after", "SELECT COUNT(*) AS n FROM users", 78));
    EXPECT_EQ(RowsOf(*after), std::vector<std::string>{"3"});
}

TEST_F(SqliteSourceTest, CancelBetweenBatchesStopsTheStream) {
    auto source = Open({{"max_connections", "1"}});
    auto query = MakeQuery("many",
                           "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                           "SELECT CAST(x AS INTEGER) AS x FROM c",
                           5);
    query.batch_rows = 100;
    auto stream = source->Execute(query);
    ArrowArray array{};
    ASSERT_TRUE(stream->Next(&array));
    sdk::OwnedArray first(&array);
    source->Cancel(5);
    EXPECT_EQ(CodeOf([&] { stream->Next(&array); }), JOBBER_CANCELLED);
    stream.reset();
    auto after = source->Execute(MakeQuery("after", "SELECT 1 AS one", 6));
    EXPECT_EQ(RowsOf(*after), std::vector<std::string>{"1"});
}

TEST_F(SqliteSourceTest, CancelEndsAWaitForAConnection) {
    auto source = Open({{"max_connections", "1"}});
    auto holder = source->Execute(MakeQuery("hold", "SELECT * FROM users", 1));
    auto waiting = std::async(std::launch::async,
                              [&] { return CodeOf([&] { source->Execute(MakeQuery("waits", "SELECT 1", 2)); }); });
    while (waiting.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) source->Cancel(2);
    EXPECT_EQ(waiting.get(), JOBBER_CANCELLED);
    holder.reset();
    auto after = source->Execute(MakeQuery("after", "SELECT 1 AS one", 3));
    EXPECT_EQ(RowsOf(*after), std::vector<std::string>{"1"});
}

TEST_F(SqliteSourceTest, CancellingAnUnknownQueryIsANoOp) {
    auto source = Open();
    source->Cancel(12345);
    auto stream = source->Execute(MakeQuery("t", "SELECT 1 AS one", 12346));
    EXPECT_EQ(RowsOf(*stream), std::vector<std::string>{"1"});
}

TEST_F(SqliteSourceTest, TimeoutStopsTheQueryWithDeadlineExceeded) {
    auto source = Open({{"max_connections", "1"}});
    auto query = MakeQuery("slow", kSlowSql, 9);
    query.timeout_ms = 200;
    std::string message;
    EXPECT_EQ(CodeOf(
                  [&] {
                      auto stream = source->Execute(query);
                      Drain(*stream);
                  },
                  &message),
              JOBBER_DEADLINE_EXCEEDED);
    EXPECT_EQ(message, "query exceeded its timeout of 200ms");
    auto after = source->Execute(MakeQuery("after", "SELECT 1 AS one", 10));
    EXPECT_EQ(RowsOf(*after), std::vector<std::string>{"1"});
}

TEST_F(SqliteSourceTest, PingWorksAndDoesNotWaitForBusyConnections) {
    auto source = Open({{"max_connections", "1"}});
    source->Ping();
    auto holder = source->Execute(MakeQuery("hold", "SELECT * FROM users", 1));
    source->Ping();
}

TEST_F(SqliteSourceTest, ConcurrentQueriesShareThePool) {
    auto source = Open({{"max_connections", "2"}});
    ASSERT_EQ(source->Prepare("by_id", "SELECT name FROM users WHERE id = ?", false), 1);
    std::vector<std::future<std::string>> results;
    for (int i = 0; i < 8; ++i) {
        results.push_back(std::async(std::launch::async, [&, i] {
            std::string last;
            for (int round = 0; round < 20; ++round) {
                const jobber_value params[] = {testing::IntValue(i % 3 + 1)};
                auto query = MakeQuery("by_id", "SELECT name FROM users WHERE id = ?", 1000 + i * 100 + round);
                query.params = params;
                query.param_count = 1;
                auto stream = source->Execute(query);
                last = RowsOf(*stream).at(0);
            }
            return last;
        }));
    }
    const char* names[] = {"alice", "bob", "carol"};
    for (int i = 0; i < 8; ++i) EXPECT_EQ(results[static_cast<size_t>(i)].get(), names[i % 3]);
}

}  // namespace
}  // namespace jobber::sqlite
