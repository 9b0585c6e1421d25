#include "identifiers.hpp"

#include <gtest/gtest.h>

#include "jobber/sdk/error.hpp"

namespace jobber::mysql {
namespace {

TEST(MysqlIdentifiersTest, QuotesWithBackticksDoubled) {
    EXPECT_EQ(QuoteIdentifier("plain"), "`plain`");
    EXPECT_EQ(QuoteIdentifier("we`ird"), "`we``ird`");
    EXPECT_EQ(QuoteIdentifier("a; DROP TABLE x"), "`a; DROP TABLE x`");
}

TEST(MysqlIdentifiersTest, CountsCharactersNotBytes) {
    EXPECT_EQ(IdentifierLength("abc"), 3u);
    EXPECT_EQ(IdentifierLength("r\xc3\xa9sum\xc3\xa9"), 6u);  // résumé
}

TEST(MysqlIdentifiersTest, TableNamesWithinMysqlLimits) {
    EXPECT_NO_THROW(CheckTableName(std::string(64, 'a')));
    EXPECT_NO_THROW(CheckTableName("results_job:1-a"));
    EXPECT_NO_THROW(CheckTableName(std::string(64, 'a').replace(0, 2, "\xc3\xa9")));  // 63 chars, 64 bytes
    auto rejects = [](const std::string& name, const std::string& fragment) {
        try {
            CheckTableName(name);
            ADD_FAILURE() << "'" << name << "' was accepted";
        } catch (const sdk::Error& e) {
            EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        }
    };
    rejects(std::string(65, 'a'), "longer than MySQL's limit of 64");
    rejects("", "empty");
    rejects("trailing ", "ends with a space");
    rejects("_jobber_results", "reserved");
    rejects("_JOBBER_tmp_x", "reserved");
    rejects("emoji_\xf0\x9f\x98\x80", "outside the BMP");
    rejects(std::string("nul\0x", 5), "NUL");
    rejects("bad\xff", "not valid UTF-8");
}

TEST(MysqlIdentifiersTest, ColumnNamesAreUniqueIgnoringCase) {
    const sdk::Schema schema = {{"id", sdk::ColumnType::kBigInt},
                                {"ID", sdk::ColumnType::kBigInt},
                                {"id_2", sdk::ColumnType::kBigInt},
                                {"", sdk::ColumnType::kText}};
    EXPECT_EQ(UniqueColumnNames(schema), (std::vector<std::string>{"id", "ID_2", "id_2_2", "column_4"}));
}

TEST(MysqlIdentifiersTest, ColumnNamesAreCutTo64CharactersAndStayUnique) {
    const std::string long_name(100, 'x');
    const sdk::Schema schema = {{long_name, sdk::ColumnType::kText}, {long_name, sdk::ColumnType::kText}};
    const auto names = UniqueColumnNames(schema);
    EXPECT_EQ(names[0], std::string(64, 'x'));
    EXPECT_EQ(names[1], std::string(62, 'x') + "_2");
}

TEST(MysqlIdentifiersTest, ColumnNamesLoseWhatMysqlRejects) {
    const sdk::Schema schema = {{"smile \xf0\x9f\x98\x80", sdk::ColumnType::kText},
                                {"pad  ", sdk::ColumnType::kText},
                                {std::string("a\0b", 3), sdk::ColumnType::kText},
                                {"COUNT(*)", sdk::ColumnType::kBigInt}};
    EXPECT_EQ(UniqueColumnNames(schema), (std::vector<std::string>{"smile _", "pad", "a_b", "COUNT(*)"}));
}

}  // namespace
}  // namespace jobber::mysql
