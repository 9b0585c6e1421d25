#include "identifiers.hpp"

#include <gtest/gtest.h>

namespace jobber::sqlite {
namespace {

using sdk::ColumnType;

TEST(IdentifiersTest, QuoteDoublesEmbeddedQuotes) {
    EXPECT_EQ(QuoteIdentifier("plain"), "\"plain\"");
    EXPECT_EQ(QuoteIdentifier("with space"), "\"with space\"");
    EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
    EXPECT_EQ(QuoteIdentifier("\"; DROP TABLE x; --"), "\"\"\"; DROP TABLE x; --\"");
    EXPECT_EQ(QuoteIdentifier(""), "\"\"");
}

TEST(IdentifiersTest, SameIdentifierIgnoresAsciiCase) {
    EXPECT_TRUE(SameIdentifier("Id", "iD"));
    EXPECT_FALSE(SameIdentifier("id", "id2"));
    EXPECT_FALSE(SameIdentifier("é", "É"));  // SQLite folds ASCII only
}

TEST(IdentifiersTest, DuplicateColumnsGetDeterministicSuffixes) {
    sdk::Schema schema = {{"id", ColumnType::kBigInt}, {"ID", ColumnType::kBigInt}, {"id_2", ColumnType::kText},
                          {"name", ColumnType::kText}, {"", ColumnType::kText},     {"id", ColumnType::kText}};
    const std::vector<std::string> expected = {"id", "ID_2", "id_2_2", "name", "column_5", "id_3"};
    EXPECT_EQ(UniqueColumnNames(schema), expected);
}

}  // namespace
}  // namespace jobber::sqlite
