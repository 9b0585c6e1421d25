// The source role against a real server: type mapping, arguments, batches, prepared statements.
#include "pg_source.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jobber/sdk/error.hpp"
#include "pg_test_support.hpp"

namespace jobber::postgres {
namespace {

using testing::Args;
using testing::Drain;
using testing::MakeQuery;
using testing::Psql;
using testing::Rows;
using testing::TestSchema;

class PgSourceTest : public ::testing::Test {
protected:
    void SetUp() override {
        JOBBER_REQUIRE_POSTGRES();
        schema_ = std::make_unique<TestSchema>();
        psql_ = std::make_unique<Psql>(schema_->dsn());
    }

    std::unique_ptr<PgSource> Open(const std::string& max_connections = "2") {
        return std::make_unique<PgSource>(Args({{"dsn", schema_->dsn()}, {"max_connections", max_connections}}));
    }

    std::unique_ptr<TestSchema> schema_;
    std::unique_ptr<Psql> psql_;
};

TEST_F(PgSourceTest, MapsEveryTypeFromTheResultOids) {
    psql_->Exec(
        "CREATE TABLE t (i2 int2, i4 int4, i8 int8, n numeric, f4 float4, f8 float8, ts timestamp, tstz timestamptz, "
        "d date, b bool, t text, vc varchar(10), u uuid, j jsonb, arr int[], iv interval);"
        "INSERT INTO t VALUES (-32768, 2147483647, -9223372036854775808, "
        "'12345678901234567890.123456789012345678901234567890', 1.5, 0.1, '2017-03-04 05:06:07.123456', "
        "'2017-03-04 05:06:07.5+05:30', '2017-03-04', true, 'café ☕ 支払い', 'v', "
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": [1, 2]}', '{1,2,3}', '1 day 02:00:00');"
        "INSERT INTO t VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        "NULL, NULL);"
        "INSERT INTO t (n, f8, ts, d, b, t) VALUES ('-0.000100', 'NaN', '0044-03-15 12:00:00 BC', '0001-01-01 BC', "
        "false, '');"
        "INSERT INTO t (n, f8, ts, d) VALUES ('NaN', '-Infinity', '10000-01-01 00:00:00.000001', '5874897-12-31');");
    auto source = Open();
    auto stream = source->Execute(MakeQuery("all_types", "SELECT * FROM t"));
    const sdk::Schema expected = {
        {"i2", sdk::ColumnType::kBigInt},    {"i4", sdk::ColumnType::kBigInt},      {"i8", sdk::ColumnType::kBigInt},
        {"n", sdk::ColumnType::kDecimal},    {"f4", sdk::ColumnType::kDouble},      {"f8", sdk::ColumnType::kDouble},
        {"ts", sdk::ColumnType::kTimestamp}, {"tstz", sdk::ColumnType::kTimestamp}, {"d", sdk::ColumnType::kDate},
        {"b", sdk::ColumnType::kBoolean},    {"t", sdk::ColumnType::kText},         {"vc", sdk::ColumnType::kText},
        {"u", sdk::ColumnType::kText},       {"j", sdk::ColumnType::kText},         {"arr", sdk::ColumnType::kText},
        {"iv", sdk::ColumnType::kText}};
    EXPECT_EQ(stream->schema(), expected);
    const auto rows = Rows(Drain(*stream), stream->schema());
    ASSERT_EQ(rows.size(), 4u);
    // numeric stays exact text; timestamptz arrives in UTC; floats round-trip exactly.
    EXPECT_EQ(rows[0],
              "-32768|2147483647|-9223372036854775808|12345678901234567890.123456789012345678901234567890|1.5|0.1|"
              "2017-03-04 05:06:07.123456|2017-03-03 23:36:07.500000|2017-03-04|true|café ☕ 支払い|v|"
              "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{\"k\": [1, 2]}|{1,2,3}|1 day 02:00:00");
    EXPECT_EQ(rows[1], "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL");
    // Year 0 is 1 BC, -43 is 44 BC: sdk::FormatDate prints the astronomical year.
    EXPECT_EQ(rows[2],
              "NULL|NULL|NULL|-0.000100|NULL|nan|-043-03-15 12:00:00|NULL|0000-01-01|false||NULL|NULL|NULL|NULL|NULL");
    EXPECT_EQ(rows[3],
              "NULL|NULL|NULL|NaN|NULL|-inf|10000-01-01 00:00:00.000001|NULL|5874897-12-31|NULL|NULL|NULL|NULL|NULL|"
              "NULL|NULL");
}

TEST_F(PgSourceTest, EmptyResultHasColumnsAndNoBatches) {
    auto source = Open();
    auto stream = source->Execute(MakeQuery("empty", "SELECT 1::int8 AS a, 'x'::text AS b WHERE false"));
    const sdk::Schema expected = {{"a", sdk::ColumnType::kBigInt}, {"b", sdk::ColumnType::kText}};
    EXPECT_EQ(stream->schema(), expected);
    EXPECT_TRUE(Drain(*stream).empty());
}

TEST_F(PgSourceTest, ArgumentsAreBoundNeverSpliced) {
    psql_->Exec(
        "CREATE TABLE users (name text, age int, active bool); INSERT INTO users VALUES ('ann', 30, true), "
        "('bob', NULL, false)");
    auto source = Open();
    const std::string sql =
        "SELECT name, $2::int AS n, $3::bool AS flag, $4::text IS NULL AS missing FROM users "
        "WHERE name = $1";
    EXPECT_EQ(source->Prepare("find", sql, false), 4);
    const std::string hostile = "ann' OR '1'='1";
    jobber_value params[] = {testing::TextValue(hostile), testing::IntValue(7), testing::BoolValue(true),
                             testing::NullValue()};
    auto query = MakeQuery("find", sql);
    query.params = params;
    query.param_count = 4;
    auto stream = source->Execute(query);
    EXPECT_TRUE(Drain(*stream).empty());  // the quote is part of the value, so nobody matches
    params[0] = testing::TextValue("ann");
    stream = source->Execute(query);
    EXPECT_EQ(Rows(Drain(*stream), stream->schema()), std::vector<std::string>{"ann|7|true|true"});
    EXPECT_EQ(psql_->One("SELECT count(*) FROM users"), "2");
}

TEST_F(PgSourceTest, WrongArgumentCountNamesBothCounts) {
    auto source = Open();
    const std::string sql = "SELECT $1::int + $2::int";
    jobber_value params[] = {testing::IntValue(1)};
    auto query = MakeQuery("sum", sql);
    query.params = params;
    query.param_count = 1;
    try {
        source->Execute(query);
        FAIL() << "expected an error";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
        EXPECT_STREQ(e.what(), "task 'sum' expects 2 arguments, got 1");
    }
    // A raw task is checked by the server itself; still not retryable.
    query.raw = true;
    try {
        source->Execute(query);
        FAIL() << "expected an error";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT) << e.what();
        EXPECT_NE(std::string(e.what()).find("requires 2"), std::string::npos) << e.what();
    }
}

TEST_F(PgSourceTest, PrepareReportsSqlErrorsWithSqlstate) {
    auto source = Open();
    EXPECT_EQ(source->Prepare("raw", "anything at all", true), -1);
    try {
        source->Prepare("bad", "SELECT nope FROM missing_table", false);
        FAIL() << "expected an error";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
        EXPECT_EQ(e.sqlstate(), "42P01");
        EXPECT_EQ(std::string(e.what()),
                  "task 'bad': relation \"missing_table\" does not exist at character 18 (SQLSTATE 42P01)");
    }
}

TEST_F(PgSourceTest, RawTasksRunUnpreparedWithBoundArguments) {
    auto source = Open();
    const std::string sql = "SELECT $1::text || '!' AS shout";
    jobber_value params[] = {testing::TextValue("hey")};
    auto query = MakeQuery("raw", sql);
    query.raw = true;
    query.params = params;
    query.param_count = 1;
    auto stream = source->Execute(query);
    EXPECT_EQ(Rows(Drain(*stream), stream->schema()), std::vector<std::string>{"hey!"});
}

TEST_F(PgSourceTest, StatementsArePreparedOncePerConnection) {
    auto source = Open("1");  // one connection, so every run shares it
    const std::string sql = "SELECT generate_series(1, 3) AS n";
    for (int i = 0; i < 3; ++i) {
        auto stream = source->Execute(MakeQuery("series", sql));
        EXPECT_EQ(Rows(Drain(*stream), stream->schema()), (std::vector<std::string>{"1", "2", "3"}));
    }
    const std::string check = "SELECT statement FROM pg_prepared_statements ORDER BY prepare_time";
    auto stream = source->Execute(MakeQuery("check", check));
    EXPECT_EQ(Rows(Drain(*stream), stream->schema()), (std::vector<std::string>{sql, check}));
}

TEST_F(PgSourceTest, RowsArriveInBatchesOfBatchRows) {
    auto source = Open();
    auto query = MakeQuery("series", "SELECT n, 'row ' || n AS label FROM generate_series(1, 25000) AS n");
    query.batch_rows = 10000;
    auto stream = source->Execute(query);
    const auto batches = Drain(*stream);
    ASSERT_EQ(batches.size(), 3u);
    EXPECT_EQ((*batches[0]).length, 10000);
    EXPECT_EQ((*batches[1]).length, 10000);
    EXPECT_EQ((*batches[2]).length, 5000);
    sdk::BatchView last(*batches[2], stream->schema());
    EXPECT_EQ(testing::Cell(last, 0, 4999), "25000");
    EXPECT_EQ(testing::Cell(last, 1, 4999), "row 25000");
}

TEST_F(PgSourceTest, WideRowsCutBatchesBySize) {
    auto source = Open();
    // 200 rows of 100 KB: about 20 MB, more than two 8 MiB batches.
    auto query = MakeQuery("wide", "SELECT n, repeat('x', 100000) AS wide FROM generate_series(1, 200) AS n");
    auto stream = source->Execute(query);
    const auto batches = Drain(*stream);
    ASSERT_GE(batches.size(), 3u);
    int64_t total = 0;
    for (const auto& batch : batches) {
        EXPECT_LE((*batch).length, 85);  // 8 MiB / 100 KB, plus the row that crossed the line
        total += (*batch).length;
    }
    EXPECT_EQ(total, 200);
}

TEST_F(PgSourceTest, InfiniteDatesFailNamingColumnAndRow) {
    auto source = Open();
    auto stream =
        source->Execute(MakeQuery("inf", "SELECT d FROM (VALUES ('2017-01-01'::date), ('infinity')) AS v(d)"));
    try {
        Drain(*stream);
        FAIL() << "expected an error";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
        EXPECT_EQ(std::string(e.what()).substr(0, 46), "column 'd' row 2: value 'infinity' is not a DA");
    }
}

TEST_F(PgSourceTest, TimestampsBeyondInt64MicrosecondsFail) {
    // PostgreSQL's last timestamp (year 294276) does not fit int64 microseconds since 1970.
    auto source = Open();
    auto stream = source->Execute(MakeQuery("far", "SELECT '294276-12-31 23:59:59'::timestamp AS ts"));
    try {
        Drain(*stream);
        FAIL() << "expected an error";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
        EXPECT_STREQ(e.what(), "column 'ts' row 1: value '294276-12-31 23:59:59' is not a TIMESTAMP");
    }
}

TEST_F(PgSourceTest, QueryErrorsMidStreamFailTheStream) {
    auto source = Open();
    // Division by zero at row 3000: the first rows arrive, then the error.
    auto query = MakeQuery("div", "SELECT 1 / (3000 - n) AS x FROM generate_series(1, 5000) AS n");
    query.batch_rows = 1000;
    auto stream = source->Execute(query);
    ArrowArray batch{};
    ASSERT_TRUE(stream->Next(&batch));
    sdk::OwnedArray owned(&batch);
    try {
        Drain(*stream);
        FAIL() << "expected an error";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
        EXPECT_EQ(e.sqlstate(), "22012");
    }
    // The connection is clean again.
    auto again = source->Execute(MakeQuery("one", "SELECT 1 AS one"));
    EXPECT_EQ(Rows(Drain(*again), again->schema()), std::vector<std::string>{"1"});
}

TEST_F(PgSourceTest, UnreachableServerIsUnavailableAndNamesIt) {
    try {
        PgSource source(Args({{"dsn", "postgresql://nobody@127.0.0.1:1/none"}, {"connect_timeout", "2000"}}));
        FAIL() << "expected an error";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE);
        EXPECT_NE(std::string(e.what()).find("cannot connect to PostgreSQL at host=127.0.0.1 port=1 dbname=none"),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(PgSourceTest, PasswordsStayOutOfMessages) {
    try {
        PgSource source(Args({{"dsn", "postgresql://user:s3cret@127.0.0.1:1/none"}}));
        FAIL() << "expected an error";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace jobber::postgres
