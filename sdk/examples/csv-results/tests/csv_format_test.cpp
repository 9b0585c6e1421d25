// The CSV text itself: quoting, NULL versus empty text, every column type.
#include "csv_format.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "csv_reader.hpp"
#include "jobber/sdk/batch.hpp"

namespace jobber_csv {
namespace {

using jobber::sdk::BatchBuilder;
using jobber::sdk::BatchView;
using jobber::sdk::ColumnType;
using jobber::sdk::OwnedArray;
using jobber::sdk::Schema;

std::string Field(const std::string& text) {
    std::string out;
    AppendField(out, text);
    return out;
}

TEST(CsvFormatTest, QuotesOnlyWhatNeedsIt) {
    EXPECT_EQ(Field("plain"), "plain");
    EXPECT_EQ(Field("h\xc3\xa9llo"), "h\xc3\xa9llo");
    EXPECT_EQ(Field("a,b"), "\"a,b\"");
    EXPECT_EQ(Field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(Field("two\nlines"), "\"two\nlines\"");
    EXPECT_EQ(Field("cr\r"), "\"cr\r\"");
    EXPECT_EQ(Field(" padded"), "\" padded\"");
    EXPECT_EQ(Field(""), "\"\"") << "the empty text must differ from NULL";
}

std::string Render(const Schema& schema, BatchBuilder& builder, const CsvStyle& style = {}) {
    OwnedArray array;
    builder.Finish(array.get());
    BatchView view(*array, schema);
    std::string out;
    AppendHeader(out, schema, style);
    AppendRows(out, view, style);
    return out;
}

TEST(CsvFormatTest, RendersEveryTypeAndNull) {
    const Schema schema{{"big", ColumnType::kBigInt},   {"dec", ColumnType::kDecimal}, {"dbl", ColumnType::kDouble},
                        {"ts", ColumnType::kTimestamp}, {"day", ColumnType::kDate},    {"flag", ColumnType::kBoolean},
                        {"txt", ColumnType::kText}};
    BatchBuilder builder(schema);
    builder.AppendInt64(0, -9007199254740993LL);
    builder.AppendText(1, "12345678901234567890.10");
    builder.AppendDouble(2, 0.1);
    builder.AppendInt64(3, 1483326245LL * 1000000 + 250000);
    builder.AppendDate(4, 17168);
    builder.AppendBool(5, false);
    builder.AppendText(6, "");
    for (size_t c = 0; c < schema.size(); ++c) builder.AppendNull(c);
    EXPECT_EQ(Render(schema, builder),
              "big,dec,dbl,ts,day,flag,txt\r\n"
              "-9007199254740993,12345678901234567890.10,0.1,2017-01-02 03:04:05.250000,2017-01-02,false,\"\"\r\n"
              ",,,,,,\r\n");
}

TEST(CsvFormatTest, DoublesReadBackExactly) {
    const Schema schema{{"x", ColumnType::kDouble}};
    BatchBuilder builder(schema);
    const double values[] = {1.0 / 3, 1e300, -2.5e-310, std::numeric_limits<double>::infinity(), std::nan("")};
    for (double v : values) builder.AppendDouble(0, v);
    const auto rows = testing::ParseCsv(Render(schema, builder, CsvStyle{"\n"}));
    ASSERT_EQ(rows.size(), 6u);
    // strtod, not stod: stod refuses the subnormal value.
    for (size_t i = 0; i < 3; ++i)
        EXPECT_EQ(std::strtod(rows[i + 1][0]->c_str(), nullptr), values[i]) << *rows[i + 1][0];
    EXPECT_EQ(*rows[4][0], "Infinity");
    EXPECT_EQ(*rows[5][0], "NaN");
}

TEST(CsvFormatTest, TheReaderGetsBackWhatWasWritten) {
    const Schema schema{{"a,b", ColumnType::kText}, {"n", ColumnType::kBigInt}};
    BatchBuilder builder(schema);
    const std::string tricky = "x\"y\r\nz, \"";
    builder.AppendText(0, tricky);
    builder.AppendInt64(1, 1);
    builder.AppendNull(0);
    builder.AppendInt64(1, 2);
    const auto rows = testing::ParseCsv(Render(schema, builder));
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0], (testing::CsvRow{"a,b", "n"}));
    EXPECT_EQ(rows[1], (testing::CsvRow{tricky, "1"}));
    EXPECT_EQ(rows[2], (testing::CsvRow{std::nullopt, "2"}));
}

}  // namespace
}  // namespace jobber_csv
