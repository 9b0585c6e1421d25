#include "jobber/tasks/goyesql_line.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jobber::tasks {
namespace {

using Kind = GoyesqlLineKind;

TEST(ClassifyGoyesqlLineTest, Blank) {
    EXPECT_EQ(ClassifyGoyesqlLine("").kind, Kind::kBlank);
    EXPECT_EQ(ClassifyGoyesqlLine("  \t \r").kind, Kind::kBlank);
}

TEST(ClassifyGoyesqlLineTest, Sql) {
    EXPECT_EQ(ClassifyGoyesqlLine("SELECT 1;").kind, Kind::kSql);
    EXPECT_EQ(ClassifyGoyesqlLine("  WHERE a = 1 -- name: x").kind, Kind::kSql);
    EXPECT_EQ(ClassifyGoyesqlLine("-").kind, Kind::kSql);
    EXPECT_EQ(ClassifyGoyesqlLine("/* -- name: x */").kind, Kind::kSql);
}

TEST(ClassifyGoyesqlLineTest, Tags) {
    const GoyesqlLine tag = ClassifyGoyesqlLine("-- name: get_profit_summary");
    EXPECT_EQ(tag.kind, Kind::kTag);
    EXPECT_EQ(tag.key, "name");
    EXPECT_EQ(tag.value, "get_profit_summary");

    const GoyesqlLine spaced = ClassifyGoyesqlLine("  \t--   db  :   db0, other_db   \t");
    EXPECT_EQ(spaced.kind, Kind::kTag);
    EXPECT_EQ(spaced.key, "db");
    EXPECT_EQ(spaced.value, "db0, other_db");

    const GoyesqlLine tight = ClassifyGoyesqlLine("--raw:1");
    EXPECT_EQ(tight.key, "raw");
    EXPECT_EQ(tight.value, "1");

    // The key is a word, so a value may contain colons.
    const GoyesqlLine colons = ClassifyGoyesqlLine("-- note: a: b: c");
    EXPECT_EQ(colons.key, "note");
    EXPECT_EQ(colons.value, "a: b: c");

    const GoyesqlLine dashed = ClassifyGoyesqlLine("-- max-rows_2: 5");
    EXPECT_EQ(dashed.key, "max-rows_2");

    const GoyesqlLine empty = ClassifyGoyesqlLine("-- db:");
    EXPECT_EQ(empty.kind, Kind::kTag);
    EXPECT_EQ(empty.key, "db");
    EXPECT_EQ(empty.value, "");
}

TEST(ClassifyGoyesqlLineTest, Comments) {
    for (const char* line : {"--", "-- just words", "-- This query will not be prepared (raw=1)", "---- name: x",
                             "-- 1st: not a key", "-- : no key", "-- two words: x", "-- ñame: x", "--- -"}) {
        EXPECT_EQ(ClassifyGoyesqlLine(line).kind, Kind::kComment) << line;
    }
}

TEST(ClassifyGoyesqlLineTest, HugeAndBinaryLines) {
    const std::string huge_value = "-- name: " + std::string(1 << 20, 'a');
    EXPECT_EQ(ClassifyGoyesqlLine(huge_value).value.size(), size_t{1} << 20);
    const std::string huge_key = "-- " + std::string(1 << 20, 'k');
    EXPECT_EQ(ClassifyGoyesqlLine(huge_key).kind, Kind::kComment);
    EXPECT_EQ(ClassifyGoyesqlLine(std::string("\0\xff--", 4)).kind, Kind::kSql);
    EXPECT_EQ(ClassifyGoyesqlLine(std::string("--\0name: x", 10)).kind, Kind::kComment);
}

}  // namespace
}  // namespace jobber::tasks
