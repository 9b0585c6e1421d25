// Jobs from a PostgreSQL source into MySQL results tables, through the HTTP API of the real binary:
// every PostgreSQL type the source maps (int2/4/8, exact numeric, float4/float8, timestamp and
// timestamptz, date, bool, and the types that become text: varchar, uuid, jsonb, arrays, interval),
// NULLs, unicode and zero rows, read back from MySQL for both write methods (INSERT, LOAD DATA).
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

// Extremes of every integer type, a numeric with 20 + 10 digits, a timestamptz off UTC, the
// timestamp range end MySQL's DATETIME takes, 2- to 4-byte UTF-8, quotes, a backslash and a tab;
// row 3 is NULL in every column.
constexpr const char* kSourceSql = R"sql(
CREATE TABLE xe_types (
  id int8 PRIMARY KEY, small int2, medium int4, big int8, amount numeric(30, 10), ratio float4, price float8,
  created timestamp, stamped timestamptz, day date, paid bool, note text, code varchar(8), tag uuid, doc jsonb,
  list int[], span interval);
INSERT INTO xe_types VALUES
  (1, -32768, -2147483648, -9223372036854775808, 12345678901234567890.0123456789, 1.1, 0.1,
   '2017-03-04 05:06:07.000008', '2017-01-01 00:00:00+05:30', '1000-01-01', true,
   'café ☕ 支払い "quoted" \ tab	end', '', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, "ü"]}', '{1,2,NULL}',
   '1 day 02:03:04'),
  (2, 32767, 2147483647, 9223372036854775807, -0.0000000001, -0.5, -1.5e300, '9999-12-31 23:59:59.999999',
   '1970-01-01 00:00:00+00', '9999-12-31', false, '😀 emoji', 'x', '00000000-0000-0000-0000-000000000000', '[]',
   '{}', '-00:00:01'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
)sql";

// Two tasks per results backend: every row, and none.
std::string Tasks(const std::string& results) {
    return "-- name: types_to_" + results + "\n-- db: pg\n-- results: " + results +
           "\nSELECT * FROM xe_types WHERE id <= $1 ORDER BY id;\n\n"
           "-- name: none_to_" +
           results + "\n-- db: pg\n-- results: " + results + "\nSELECT * FROM xe_types WHERE id < 0;\n\n";
}

const std::vector<std::string> kColumnTypes{
    "id|bigint(20)",   "small|bigint(20)", "medium|bigint(20)",   "big|bigint(20)",      "amount|decimal(65,30)",
    "ratio|double",    "price|double",     "created|datetime(6)", "stamped|datetime(6)", "day|date",
    "paid|tinyint(1)", "note|longtext",    "code|longtext",       "tag|longtext",        "doc|longtext",
    "list|longtext",   "span|longtext"};

class PostgresToMysqlTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (const std::string missing = MissingServers(); !missing.empty()) GTEST_SKIP() << missing;
        server_ = std::make_unique<CrossEngineServer>();
        server_->postgres().Exec(kSourceSql);
        server_->Start(Tasks(GetParam()));
    }

    void TearDown() override {
        if (server_ && HasFailure()) std::cerr << "[cross-engine] server log:\n" << server_->harness().LogSince(0, 80);
    }

    std::unique_ptr<CrossEngineServer> server_;
};

TEST_P(PostgresToMysqlTest, EveryTypeKeepsItsValue) {
    const auto job = server_->RunJob("types_to_" + GetParam(), "types", "[\"10\"]");
    ASSERT_TRUE(job);
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(JsonInt(job, "count"), 3);
    EXPECT_EQ(server_->MysqlColumns("results_types"), kColumnTypes);
    // MySQL's text protocol (session time zone UTC): DECIMAL(65,30) with its 30 fraction digits,
    // DATETIME(6) with 6, BOOL as 1/0; timestamptz arrives as its UTC time.
    EXPECT_EQ(server_->mysql().Lines("SELECT * FROM results_types ORDER BY id"),
              (std::vector<std::string>{
                  "1|-32768|-2147483648|-9223372036854775808|12345678901234567890.012345678900000000000000000000|1.1|"
                  "0.1|2017-03-04 05:06:07.000008|2016-12-31 18:30:00.000000|1000-01-01|1|"
                  "café ☕ 支払い \"quoted\" \\ tab\tend||a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|"
                  "{\"k\": [1, \"ü\"]}|{1,2,NULL}|1 day 02:03:04",
                  "2|32767|2147483647|9223372036854775807|-0.000000000100000000000000000000|-0.5|-1.5e300|"
                  "9999-12-31 23:59:59.999999|1970-01-01 00:00:00.000000|9999-12-31|0|😀 emoji|x|"
                  "00000000-0000-0000-0000-000000000000|[]|{}|-00:00:01",
                  "3|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL"}));
    // Exact, not merely equal as text: compared as numbers in MySQL.
    EXPECT_EQ(server_->mysql().One("SELECT amount = 12345678901234567890.0123456789 AND big = -9223372036854775808 "
                                   "FROM results_types WHERE id = 1"),
              "1");
}

TEST_P(PostgresToMysqlTest, ZeroRowsPublishAnEmptyTableWithTheSourceColumns) {
    const auto job = server_->RunJob("none_to_" + GetParam(), "none");
    ASSERT_TRUE(job);
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(JsonInt(job, "count"), 0);
    EXPECT_EQ(server_->mysql().One("SELECT COUNT(*) FROM results_none"), "0");
    EXPECT_EQ(server_->MysqlColumns("results_none"), kColumnTypes);
}

INSTANTIATE_TEST_SUITE_P(WriteMethods,
                         PostgresToMysqlTest,
                         ::testing::Values("my_results", "my_results_load"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace jobber::cross_engine
