// Identifier quoting, table-name checks and results column names.
#include "identifiers.hpp"

#include <gtest/gtest.h>

#include "jobber/sdk/error.hpp"

namespace jobber::postgres {
namespace {

TEST(IdentifiersTest, QuotingDoublesEmbeddedQuotes) {
    EXPECT_EQ(QuoteIdentifier("plain"), "\"plain\"");
    EXPECT_EQ(QuoteIdentifier("a\"b; DROP TABLE x; --"), "\"a\"\"b; DROP TABLE x; --\"");
}

TEST(IdentifiersTest, TableNamesOverSixtyThreeBytesOrReservedAreRefused) {
    EXPECT_NO_THROW(CheckTableName(std::string(63, 'a')));
    EXPECT_NO_THROW(CheckTableName("results_ünïcødé"));
    for (const std::string& bad : {std::string(), std::string(64, 'a'), std::string("_jobber_results"),
                                   std::string("_jobber_tmp_0123"), std::string("a\0b", 3)}) {
        EXPECT_THROW(CheckTableName(bad), sdk::Error) << bad;
    }
}

TEST(IdentifiersTest, ColumnNamesAreShortenedAtCharactersAndMadeUnique) {
    const std::string long_a(70, 'a');
    // 30 two-byte characters: 60 bytes; plus "é" would cross 63 mid-way.
    std::string accented;
    for (int i = 0; i < 40; ++i) accented += "é";
    const sdk::Schema schema = {{"id", sdk::ColumnType::kBigInt},   {"id", sdk::ColumnType::kBigInt},
                                {"id_2", sdk::ColumnType::kBigInt}, {"ID", sdk::ColumnType::kBigInt},
                                {"", sdk::ColumnType::kText},       {long_a, sdk::ColumnType::kText},
                                {long_a, sdk::ColumnType::kText},   {accented, sdk::ColumnType::kText}};
    const auto names = ResultColumnNames(schema);
    ASSERT_EQ(names.size(), schema.size());
    EXPECT_EQ(names[0], "id");
    EXPECT_EQ(names[1], "id_2");
    EXPECT_EQ(names[2], "id_2_2");
    EXPECT_EQ(names[3], "ID");  // quoted names are case-sensitive in PostgreSQL
    EXPECT_EQ(names[4], "column_5");
    EXPECT_EQ(names[5].size(), 63u);
    EXPECT_EQ(names[5].substr(0, 54), std::string(54, 'a'));
    EXPECT_EQ(names[5][54], '_');
    EXPECT_EQ(names[6].size(), 63u);
    EXPECT_NE(names[6], names[5]);
    EXPECT_LE(names[7].size(), 63u);
    EXPECT_EQ(names[7].substr(0, 54), accented.substr(0, 54));  // 27 whole characters
    for (const auto& name : names) EXPECT_LE(name.size(), 63u) << name;
}

}  // namespace
}  // namespace jobber::postgres
