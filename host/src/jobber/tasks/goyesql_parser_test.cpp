#include "jobber/tasks/goyesql_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jobber::tasks {
namespace {

#define EXPECT_HAS(text, part) EXPECT_PRED_FORMAT2(::testing::IsSubstring, part, text)

using std::chrono::milliseconds;

std::string ParseError(std::string_view text) {
    try {
        ParseGoyesql(text, "q.sql");
    } catch (const TaskFileError& error) {
        return error.what();
    }
    ADD_FAILURE() << "parsed:\n" << text;
    return {};
}

// The example from the Go sql-jobber README, with its accidental duplicate renamed.
constexpr const char* kReadmeExample = R"(-- queries.sql

-- name: get_profit_summary
SELECT SUM(amount) AS total, entry_date FROM entries GROUP BY entry_date WHERE user_id = ?;

-- name: get_profit_entries
-- db: db0, other_db
-- queue: myqueue
-- results: my_res_db
SELECT * FROM entries WHERE user_id = ?;

-- name: get_profit_entries_by_date
SELECT * FROM entries WHERE user_id = ? AND timestamp > ? and timestamp < ?;

-- name: get_profit_entries_by_date_raw
-- raw: 1
-- This query will not be prepared (raw=1)
SELECT * FROM entries WHERE user_id = ? AND timestamp > ? and timestamp < ?;
)";

TEST(ParseGoyesqlTest, ReadmeExample) {
    const ParsedTasks parsed = ParseGoyesql(kReadmeExample, "queries.sql");
    EXPECT_TRUE(parsed.warnings.empty());
    ASSERT_EQ(parsed.tasks.size(), 4u);

    const TaskDefinition& summary = parsed.tasks[0];
    EXPECT_EQ(summary.name, "get_profit_summary");
    EXPECT_EQ(summary.sql,
              "SELECT SUM(amount) AS total, entry_date FROM entries GROUP BY entry_date WHERE user_id = ?;");
    EXPECT_TRUE(summary.dbs.empty());
    EXPECT_TRUE(summary.queue.empty());
    EXPECT_TRUE(summary.results.empty());
    EXPECT_FALSE(summary.raw);
    EXPECT_FALSE(summary.timeout.has_value());
    EXPECT_EQ(summary.file, "queries.sql");
    EXPECT_EQ(summary.line, 3);

    const TaskDefinition& entries = parsed.tasks[1];
    EXPECT_EQ(entries.name, "get_profit_entries");
    EXPECT_EQ(entries.dbs, (std::vector<std::string>{"db0", "other_db"}));
    EXPECT_EQ(entries.queue, "myqueue");
    EXPECT_EQ(entries.results, (std::vector<std::string>{"my_res_db"}));
    EXPECT_EQ(entries.sql, "SELECT * FROM entries WHERE user_id = ?;");
    EXPECT_EQ(entries.line, 6);

    EXPECT_EQ(parsed.tasks[2].line, 12);
    const TaskDefinition& raw = parsed.tasks[3];
    EXPECT_TRUE(raw.raw);
    EXPECT_EQ(raw.line, 15);
    // The prose comment sits in the header, so it is skipped rather than kept in the SQL.
    EXPECT_EQ(raw.sql, "SELECT * FROM entries WHERE user_id = ? AND timestamp > ? and timestamp < ?;");
}

TEST(ParseGoyesqlTest, GoyesqlValidSample) {
    const ParsedTasks parsed = ParseGoyesql(
        "-- name: simple\n-- raw: 1\nSELECT * FROM simple;\n\n"
        "-- name: multiline\nSELECT *\nFROM multiline\nWHERE line = 42;\n\n\n"
        "-- name: comments\n-- yoyo\n\nSELECT *\n-- inline\nFROM comments;\n",
        "valid.sql");
    ASSERT_EQ(parsed.tasks.size(), 3u);
    EXPECT_TRUE(parsed.tasks[0].raw);
    EXPECT_EQ(parsed.tasks[0].sql, "SELECT * FROM simple;");
    EXPECT_EQ(parsed.tasks[1].sql, "SELECT *\nFROM multiline\nWHERE line = 42;");
    EXPECT_EQ(parsed.tasks[2].sql, "SELECT *\n-- inline\nFROM comments;");
}

TEST(ParseGoyesqlTest, SqlIsTrimmedButInnerBlankLinesStay) {
    const ParsedTasks parsed = ParseGoyesql("-- name: t\n\n\n   SELECT 1\n\n   , 2   \n\n\n", "q.sql");
    EXPECT_EQ(parsed.tasks.at(0).sql, "SELECT 1\n\n   , 2");
}

TEST(ParseGoyesqlTest, NameIsTrimmedAndValidated) {
    EXPECT_EQ(ParseGoyesql("--name:   a.b-c_D9   \t\nSELECT 1", "q.sql").tasks.at(0).name, "a.b-c_D9");
    EXPECT_EQ(ParseGoyesql("  --  name  :  t\nSELECT 1", "q.sql").tasks.at(0).name, "t");
    EXPECT_HAS(ParseError("\n-- name: get profit\nSELECT 1"), "q.sql:2: invalid task name 'get profit'");
    EXPECT_HAS(ParseError("-- name: t/1\nSELECT 1"), "use only A-Z, a-z, 0-9, '_', '.' and '-'");
    EXPECT_HAS(ParseError("-- name: tâche\nSELECT 1"), "q.sql:1: invalid task name");
    EXPECT_HAS(ParseError("-- name:\nSELECT 1"), "q.sql:1: '-- name:' has no task name");
    EXPECT_HAS(ParseError("-- name:    \nSELECT 1"), "has no task name");
}

TEST(ParseGoyesqlTest, DbAndResultsAreCommaLists) {
    const ParsedTasks parsed = ParseGoyesql("-- name: t\n-- db: a ,b,, c ,\n-- results:r1\nSELECT 1", "q.sql");
    EXPECT_EQ(parsed.tasks.at(0).dbs, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(parsed.tasks.at(0).results, (std::vector<std::string>{"r1"}));

    EXPECT_HAS(ParseError("-- name: t\n-- db: , ,\nSELECT 1"), "q.sql:2: task 't': tag 'db' lists no names");
    EXPECT_HAS(ParseError("-- name: t\n-- db: main other\nSELECT 1"),
               "q.sql:2: task 't': db name 'main other' is not valid");
    EXPECT_HAS(ParseError("-- name: t\n-- results: a;b\nSELECT 1"), "q.sql:2: task 't': results name 'a;b'");
}

TEST(ParseGoyesqlTest, RepeatedListItemIsAWarning) {
    const ParsedTasks parsed = ParseGoyesql("-- name: t\n-- db: a, a\nSELECT 1", "q.sql");
    EXPECT_EQ(parsed.tasks.at(0).dbs, (std::vector<std::string>{"a"}));
    ASSERT_EQ(parsed.warnings.size(), 1u);
    EXPECT_EQ(parsed.warnings[0].line, 2);
    EXPECT_HAS(parsed.warnings[0].message, "listed twice");
}

TEST(ParseGoyesqlTest, Queue) {
    EXPECT_EQ(ParseGoyesql("-- name: t\n-- queue: reports.slow\nSELECT 1", "q.sql").tasks.at(0).queue, "reports.slow");
    EXPECT_HAS(ParseError("-- name: t\n-- queue: a, b\nSELECT 1"), "q.sql:2: task 't': queue 'a, b' must be one");
}

TEST(ParseGoyesqlTest, RawValues) {
    for (const char* yes : {"1", "true", "TRUE", "yes", "Yes"}) {
        EXPECT_TRUE(ParseGoyesql(std::string("-- name: t\n-- raw: ") + yes + "\nSELECT 1", "q").tasks.at(0).raw) << yes;
    }
    for (const char* no : {"0", "false", "False", "no", "NO"}) {
        EXPECT_FALSE(ParseGoyesql(std::string("-- name: t\n-- raw: ") + no + "\nSELECT 1", "q").tasks.at(0).raw) << no;
    }
    EXPECT_HAS(ParseError("-- name: t\n-- raw: maybe\nSELECT 1"),
               "q.sql:2: task 't': raw must be 1, true, yes, 0, false or no, not 'maybe'");
    EXPECT_HAS(ParseError("-- name: t\n-- raw: 2\nSELECT 1"), "q.sql:2:");
}

TEST(ParseGoyesqlTest, Timeout) {
    EXPECT_EQ(ParseGoyesql("-- name: t\n-- timeout: 1m30s\nSELECT 1", "q").tasks.at(0).timeout, milliseconds(90000));
    EXPECT_EQ(ParseGoyesql("-- name: t\n-- timeout: 45\nSELECT 1", "q").tasks.at(0).timeout, milliseconds(45000));
    EXPECT_HAS(ParseError("-- name: t\n\n-- timeout: soon\nSELECT 1"),
               "q.sql:3: task 't': bad timeout: invalid duration \"soon\"");
    EXPECT_HAS(ParseError("-- name: t\n-- timeout: -5s\nSELECT 1"), "q.sql:2: task 't': bad timeout");
    EXPECT_HAS(ParseError("-- name: t\n-- timeout: 0s\nSELECT 1"),
               "q.sql:2: task 't': timeout must be greater than zero");
}

TEST(ParseGoyesqlTest, KnownTagWithoutValueIsAnError) {
    for (const char* tag : {"db", "queue", "results", "raw", "timeout"}) {
        EXPECT_HAS(ParseError(std::string("-- name: t\n-- ") + tag + ":\nSELECT 1"),
                   "q.sql:2: task 't': tag '" + std::string(tag) + "' has no value");
    }
}

TEST(ParseGoyesqlTest, DuplicateTagIsAnError) {
    EXPECT_HAS(ParseError("-- name: t\n-- db: a\n-- queue: q\n-- db: b\nSELECT 1"),
               "q.sql:4: task 't': duplicate tag 'db' (first at line 2)");
    EXPECT_HAS(ParseError("-- name: t\n-- raw: 1\n-- raw: 1\nSELECT 1"), "duplicate tag 'raw'");
}

TEST(ParseGoyesqlTest, UnknownTagsAreWarnings) {
    const ParsedTasks parsed = ParseGoyesql("-- name: t\n-- concurrency: 5\n-- TODO:\n-- db: a\nSELECT 1", "q.sql");
    ASSERT_EQ(parsed.tasks.size(), 1u);
    EXPECT_EQ(parsed.tasks[0].dbs, (std::vector<std::string>{"a"}));
    ASSERT_EQ(parsed.warnings.size(), 1u);
    EXPECT_EQ(parsed.warnings[0].file, "q.sql");
    EXPECT_EQ(parsed.warnings[0].line, 2);
    EXPECT_HAS(parsed.warnings[0].message, "task 't': unknown tag 'concurrency' ignored");
    EXPECT_HAS(parsed.warnings[0].message, "db, queue, results, raw, timeout");
}

TEST(ParseGoyesqlTest, TagsAreCaseSensitive) {
    const ParsedTasks parsed = ParseGoyesql("-- name: t\n-- DB: a\nSELECT 1", "q.sql");
    EXPECT_TRUE(parsed.tasks.at(0).dbs.empty());
    ASSERT_EQ(parsed.warnings.size(), 1u);
    EXPECT_HAS(parsed.warnings[0].message, "unknown tag 'DB'");
}

TEST(ParseGoyesqlTest, HeaderCommentsAndBlankLinesAreSkipped) {
    const ParsedTasks parsed =
        ParseGoyesql("-- name: t\n-- Returns the profit.\n\n-- db: a\n--\n-- queue: q\n\nSELECT 1", "q.sql");
    const TaskDefinition& task = parsed.tasks.at(0);
    EXPECT_EQ(task.dbs, (std::vector<std::string>{"a"}));
    EXPECT_EQ(task.queue, "q");
    EXPECT_EQ(task.sql, "SELECT 1");
    EXPECT_TRUE(parsed.warnings.empty());
}

TEST(ParseGoyesqlTest, CommentsAfterTheSqlStayInIt) {
    const ParsedTasks parsed =
        ParseGoyesql("-- name: t\nSELECT a -- the a\n-- note: x\nFROM b\n-- trailing\n", "q.sql");
    EXPECT_EQ(parsed.tasks.at(0).sql, "SELECT a -- the a\n-- note: x\nFROM b\n-- trailing");
    EXPECT_TRUE(parsed.warnings.empty());
}

TEST(ParseGoyesqlTest, KnownTagAfterSqlIsKeptAndWarned) {
    const ParsedTasks parsed = ParseGoyesql("-- name: t\nSELECT 1\n-- timeout: 5s\n", "q.sql");
    EXPECT_FALSE(parsed.tasks.at(0).timeout.has_value());
    EXPECT_EQ(parsed.tasks.at(0).sql, "SELECT 1\n-- timeout: 5s");
    ASSERT_EQ(parsed.warnings.size(), 1u);
    EXPECT_EQ(parsed.warnings[0].line, 3);
    EXPECT_HAS(parsed.warnings[0].message, "task 't': '-- timeout:' after the first SQL line");
}

TEST(ParseGoyesqlTest, TextBeforeTheFirstName) {
    const ParsedTasks parsed =
        ParseGoyesql("-- Reports, owned by finance.\n-- note: x\n--\n\n-- name: t\nSELECT 1", "q.sql");
    ASSERT_EQ(parsed.tasks.size(), 1u);
    EXPECT_TRUE(parsed.warnings.empty());
    EXPECT_EQ(parsed.tasks[0].line, 5);

    EXPECT_HAS(ParseError("-- header\n\nSELECT 1;\n-- name: t\nSELECT 2"),
               "q.sql:3: SQL before the first '-- name:' tag");
}

TEST(ParseGoyesqlTest, EmptyBody) {
    EXPECT_HAS(ParseError("-- name: t\n-- db: a\n"), "q.sql:1: task 't' has no SQL");
    EXPECT_HAS(ParseError("-- name: t\n-- db: a\n\n-- name: u\nSELECT 1"), "q.sql:1: task 't' has no SQL");
    EXPECT_HAS(ParseError("SELECT 0;\n"), "q.sql:1: SQL before the first");
    EXPECT_HAS(ParseError("-- name: t\n-- only a comment\n   \n"), "task 't' has no SQL");
}

TEST(ParseGoyesqlTest, DuplicateNameInOneFileNamesBothLines) {
    EXPECT_HAS(ParseError("-- name: t\nSELECT 1\n\n-- name: t\nSELECT 2"),
               "q.sql:4: duplicate task 't'; first defined at q.sql:1");
}

TEST(ParseGoyesqlTest, EmptyAndCommentOnlyFilesHaveNoTasks) {
    for (const char* text : {"", "\n\n", "-- nothing here\n", "\xEF\xBB\xBF", "   \r\n\t\r\n"}) {
        const ParsedTasks parsed = ParseGoyesql(text, "q.sql");
        EXPECT_TRUE(parsed.tasks.empty()) << text;
        EXPECT_TRUE(parsed.warnings.empty()) << text;
    }
}

TEST(ParseGoyesqlTest, CrlfAndBom) {
    const ParsedTasks parsed = ParseGoyesql(
        "\xEF\xBB\xBF-- name: t\r\n-- db: a, b\r\n-- raw: yes\r\nSELECT 1\r\nFROM x\r\n\r\n-- name: u\r\nSELECT 2\r\n",
        "win.sql");
    ASSERT_EQ(parsed.tasks.size(), 2u);
    EXPECT_EQ(parsed.tasks[0].name, "t");
    EXPECT_EQ(parsed.tasks[0].dbs, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(parsed.tasks[0].raw);
    EXPECT_EQ(parsed.tasks[0].sql, "SELECT 1\nFROM x");
    EXPECT_EQ(parsed.tasks[1].sql, "SELECT 2");
    EXPECT_EQ(parsed.tasks[1].line, 7);
}

TEST(ParseGoyesqlTest, BomOnlyAtTheStart) {
    EXPECT_HAS(ParseError("\n\xEF\xBB\xBF-- name: t\nSELECT 1"), "q.sql:2: SQL before the first");
}

TEST(ParseGoyesqlTest, NoTrailingNewline) {
    EXPECT_EQ(ParseGoyesql("-- name: t\nSELECT 1", "q.sql").tasks.at(0).sql, "SELECT 1");
}

TEST(ParseGoyesqlTest, HostileInput) {
    std::string binary;
    for (int i = 0; i < 4096; ++i) binary.push_back(static_cast<char>((i * 7919 + 13) % 256));
    EXPECT_THROW(ParseGoyesql(binary, "junk.sql"), TaskFileError);

    // A binary body after a valid name is just (odd) SQL; the database will refuse it, not the parser.
    const ParsedTasks parsed = ParseGoyesql("-- name: t\n" + std::string("\x01\x02\0\xff", 4), "q.sql");
    EXPECT_EQ(parsed.tasks.at(0).sql.size(), 4u);

    const std::string huge_line(1 << 20, 'x');
    EXPECT_EQ(ParseGoyesql("-- name: t\nSELECT '" + huge_line + "'", "q.sql").tasks.at(0).sql.size(),
              huge_line.size() + 9);
    const std::string bad_name = ParseError("-- name: " + huge_line + " y\nSELECT 1");
    EXPECT_LT(bad_name.size(), 300u);
    EXPECT_HAS(ParseError(huge_line), "q.sql:1: SQL before the first");

    std::string many;
    for (int i = 0; i < 5000; ++i) many += "-- name: t" + std::to_string(i) + "\nSELECT " + std::to_string(i) + "\n";
    const ParsedTasks lots = ParseGoyesql(many, "q.sql");
    ASSERT_EQ(lots.tasks.size(), 5000u);
    EXPECT_EQ(lots.tasks.back().line, 9999);
}

}  // namespace
}  // namespace jobber::tasks
