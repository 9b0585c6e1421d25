// Jobs from a MySQL source into PostgreSQL results tables, through the HTTP API of the real binary:
// every MySQL type the source maps (unsigned BIGINT beyond int64 as DECIMAL, exact DECIMAL, DOUBLE
// and FLOAT, DATETIME/TIMESTAMP, DATE, BOOL, YEAR, TIME, text), NULLs, unicode and zero rows, read
// back from PostgreSQL in both COPY formats.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "cross_engine_server.hpp"

namespace jobber::cross_engine {
namespace {

using e2e::JsonInt;
using e2e::JsonString;
using e2e::ToJson;

// Extremes of every integer type, a DECIMAL with all its 30 digits, the DATETIME/TIMESTAMP range
// ends, 2- to 4-byte UTF-8, quotes, a backslash and a tab; row 3 is NULL in every column.
constexpr const char* kSourceTable = R"sql(
CREATE TABLE xe_types (
  id INT PRIMARY KEY, tiny TINYINT, small SMALLINT UNSIGNED, medium MEDIUMINT, i INT UNSIGNED, big BIGINT,
  ubig BIGINT UNSIGNED, amount DECIMAL(30, 10), ratio DOUBLE, f FLOAT, at DATETIME(6), stamped TIMESTAMP(6) NULL,
  day DATE, paid BOOL, yr YEAR, t TIME, note TEXT, code VARCHAR(20)) DEFAULT CHARSET = utf8mb4)sql";

constexpr const char* kSourceRows = R"sql(
INSERT INTO xe_types VALUES
  (1, -128, 65535, -8388608, 4294967295, -9223372036854775808, 18446744073709551615,
   12345678901234567890.0123456789, 0.1, 1.1, '2017-03-04 05:06:07.000008', '2038-01-19 03:14:07.999999',
   '1000-01-01', TRUE, 2024, '12:34:56', 'café ☕ 支払い "quoted" \\ tab\tend', ''),
  (2, 127, 0, 8388607, 0, 9223372036854775807, 9223372036854775808, -0.0000000001, -1.5e300, -0.5,
   '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', '9999-12-31', FALSE, 1901, '-838:59:59',
   '😀 emoji', 'x'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL))sql";

// Two tasks per results backend: every row, and none.
std::string Tasks(const std::string& results) {
    return "-- name: types_to_" + results + "\n-- db: my\n-- results: " + results +
           "\nSELECT * FROM xe_types WHERE id <= ? ORDER BY id;\n\n"
           "-- name: none_to_" +
           results + "\n-- db: my\n-- results: " + results + "\nSELECT * FROM xe_types WHERE id < 0;\n\n";
}

const std::vector<std::string> kColumnTypes{"id|bigint",
                                            "tiny|bigint",
                                            "small|bigint",
                                            "medium|bigint",
                                            "i|bigint",
                                            "big|bigint",
                                            "ubig|numeric",
                                            "amount|numeric",
                                            "ratio|double precision",
                                            "f|double precision",
                                            "at|timestamp without time zone",
                                            "stamped|timestamp without time zone",
                                            "day|date",
                                            "paid|boolean",
                                            "yr|bigint",
                                            "t|text",
                                            "note|text",
                                            "code|text"};

class MysqlToPostgresTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (const std::string missing = MissingServers(); !missing.empty()) GTEST_SKIP() << missing;
        server_ = std::make_unique<CrossEngineServer>();
        server_->mysql().Exec(kSourceTable);
        server_->mysql().Exec(kSourceRows);
        server_->Start(Tasks(GetParam()));
    }

    void TearDown() override {
        if (server_ && HasFailure()) std::cerr << "[cross-engine] server log:\n" << server_->harness().LogSince(0, 80);
    }

    std::unique_ptr<CrossEngineServer> server_;
};

TEST_P(MysqlToPostgresTest, EveryTypeKeepsItsValue) {
    const auto job = server_->RunJob("types_to_" + GetParam(), "types", "[10]");
    ASSERT_TRUE(job);
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(JsonInt(job, "count"), 3);
    EXPECT_EQ(server_->PostgresColumns("results_types"), kColumnTypes);
    // PostgreSQL's text output (UTC, ISO dates, shortest exact floats, t/f).
    EXPECT_EQ(server_->postgres().Rows("SELECT * FROM results_types ORDER BY id"),
              (std::vector<std::string>{
                  "1|-128|65535|-8388608|4294967295|-9223372036854775808|18446744073709551615|"
                  "12345678901234567890.0123456789|0.1|1.1|2017-03-04 05:06:07.000008|2038-01-19 03:14:07.999999|"
                  "1000-01-01|t|2024|12:34:56|café ☕ 支払い \"quoted\" \\ tab\tend|",
                  "2|127|0|8388607|0|9223372036854775807|9223372036854775808|-0.0000000001|-1.5e+300|-0.5|"
                  "9999-12-31 23:59:59.999999|1970-01-01 00:00:01|9999-12-31|f|1901|-838:59:59|😀 emoji|x",
                  "3|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL"}));
    // Exact, not merely equal as text: the unsigned value beyond int64 compares as a number.
    EXPECT_EQ(server_->postgres().One("SELECT ubig = 18446744073709551615 AND amount * 10000000000 = "
                                      "123456789012345678900123456789 FROM results_types WHERE id = 1"),
              "t");
}

TEST_P(MysqlToPostgresTest, ZeroRowsPublishAnEmptyTableWithTheSourceColumns) {
    const auto job = server_->RunJob("none_to_" + GetParam(), "none");
    ASSERT_TRUE(job);
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(JsonInt(job, "count"), 0);
    EXPECT_EQ(server_->postgres().One("SELECT count(*) FROM results_none"), "0");
    EXPECT_EQ(server_->PostgresColumns("results_none"), kColumnTypes);
}

INSTANTIATE_TEST_SUITE_P(CopyFormats,
                         MysqlToPostgresTest,
                         ::testing::Values("pg_results", "pg_results_text"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace jobber::cross_engine
