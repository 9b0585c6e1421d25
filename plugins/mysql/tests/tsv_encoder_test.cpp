#include "tsv_encoder.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "jobber/sdk/time.hpp"

namespace jobber::mysql {
namespace {

TEST(MysqlTsvEncoderTest, EncodesEveryTypeAndNull) {
    const sdk::Schema schema = {{"i", sdk::ColumnType::kBigInt},     {"d", sdk::ColumnType::kDouble},
                                {"b", sdk::ColumnType::kBoolean},    {"dt", sdk::ColumnType::kDate},
                                {"ts", sdk::ColumnType::kTimestamp}, {"dec", sdk::ColumnType::kDecimal},
                                {"t", sdk::ColumnType::kText}};
    sdk::BatchBuilder builder(schema);
    builder.AppendInt64(0, -9223372036854775807LL - 1);
    builder.AppendDouble(1, 0.1);
    builder.AppendBool(2, true);
    builder.AppendDate(3, *sdk::ParseDate("2024-02-29"));
    builder.AppendInt64(4, *sdk::ParseTimestamp("1969-12-31 23:59:59.5"));
    builder.AppendText(5, "-12345678901234567890.125");
    builder.AppendText(6, "h\xc3\xa9llo");
    for (size_t c = 0; c < schema.size(); ++c) builder.AppendNull(c);
    ArrowArray array{};
    builder.Finish(&array);
    sdk::OwnedArray owned(&array);
    std::string out;
    AppendTsv(sdk::BatchView(*owned, schema), out);
    EXPECT_EQ(out,
              "-9223372036854775808\t0.1\t1\t2024-02-29\t1969-12-31 23:59:59.500000\t-12345678901234567890.125\t"
              "h\xc3\xa9llo\n"
              "\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n");
}

TEST(MysqlTsvEncoderTest, EscapesSeparatorsBackslashAndNul) {
    const sdk::Schema schema = {{"t", sdk::ColumnType::kText}};
    sdk::BatchBuilder builder(schema);
    builder.AppendText(0, std::string("a\tb\nc\\d\0e", 9));
    builder.AppendText(0, "\\N");  // the text, not NULL
    builder.AppendText(0, "");
    ArrowArray array{};
    builder.Finish(&array);
    sdk::OwnedArray owned(&array);
    std::string out;
    AppendTsv(sdk::BatchView(*owned, schema), out);
    EXPECT_EQ(out, "a\\tb\\nc\\\\d\\0e\n\\\\N\n\n");
}

TEST(MysqlTsvEncoderTest, NonFiniteDoublesBecomeNull) {
    const sdk::Schema schema = {{"d", sdk::ColumnType::kDouble}};
    sdk::BatchBuilder builder(schema);
    builder.AppendDouble(0, std::numeric_limits<double>::infinity());
    builder.AppendDouble(0, std::numeric_limits<double>::quiet_NaN());
    builder.AppendDouble(0, 1e300);
    ArrowArray array{};
    builder.Finish(&array);
    sdk::OwnedArray owned(&array);
    std::string out;
    AppendTsv(sdk::BatchView(*owned, schema), out);
    EXPECT_EQ(out, "\\N\n\\N\n1e+300\n");
}

}  // namespace
}  // namespace jobber::mysql
