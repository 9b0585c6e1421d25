// PostgreSQL's text forms of dates, timestamps and numbers, both ways.
#include "text_values.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "jobber/sdk/time.hpp"

namespace jobber::postgres {
namespace {

std::string Date(int32_t days) {
    std::string out;
    AppendDate(days, out);
    return out;
}

std::string Timestamp(int64_t micros) {
    std::string out;
    AppendTimestamp(micros, out);
    return out;
}

TEST(TextValuesTest, DatesRoundTripIncludingBcAndLongYears) {
    for (const char* text : {"1970-01-01", "2017-03-04", "2000-02-29", "0001-01-01", "0001-12-31 BC", "4713-01-01 BC",
                             "10000-01-01", "5874897-12-31"}) {
        const auto days = ParseDate(text);
        ASSERT_TRUE(days.has_value()) << text;
        EXPECT_EQ(Date(*days), text);
    }
    EXPECT_EQ(*ParseDate("1970-01-02"), 1);
    EXPECT_EQ(*ParseDate("0001-12-31 BC"), sdk::DaysFromCivil(0, 12, 31));
}

TEST(TextValuesTest, MalformedOrInfiniteDatesAreRefused) {
    for (const char* text :
         {"", "infinity", "-infinity", "2017-02-30", "17-01-01", "2017-1-1", "2017-01-01x", "2017-13-01"}) {
        EXPECT_FALSE(ParseDate(text).has_value()) << text;
    }
}

TEST(TextValuesTest, TimestampsRoundTripAndOffsetsConvertToUtc) {
    for (const char* text : {"1970-01-01 00:00:00", "2017-03-04 05:06:07.123456", "2017-03-04 05:06:07.5",
                             "1969-12-31 23:59:59.999999", "0044-03-15 12:00:00 BC", "10000-01-01 00:00:00"}) {
        const auto micros = ParseTimestamp(text);
        ASSERT_TRUE(micros.has_value()) << text;
        std::string expected = text;
        if (expected == "2017-03-04 05:06:07.5") expected = "2017-03-04 05:06:07.500000";
        EXPECT_EQ(Timestamp(*micros), expected);
    }
    EXPECT_EQ(*ParseTimestamp("2017-03-04 05:06:07+00"), *ParseTimestamp("2017-03-04 05:06:07"));
    EXPECT_EQ(*ParseTimestamp("2017-03-04 05:06:07+05:30"), *ParseTimestamp("2017-03-03 23:36:07"));
    EXPECT_EQ(*ParseTimestamp("2017-03-04 05:06:07-00:00:30"), *ParseTimestamp("2017-03-04 05:06:37"));
    EXPECT_EQ(*ParseTimestamp("1970-01-01 00:00:01"), 1000000);
}

TEST(TextValuesTest, TimestampsOutsideInt64MicrosecondsAreRefused) {
    EXPECT_FALSE(ParseTimestamp("294276-12-31 23:59:59").has_value());
    EXPECT_FALSE(ParseTimestamp("infinity").has_value());
    EXPECT_FALSE(ParseTimestamp("2017-03-04").has_value());
    EXPECT_FALSE(ParseTimestamp("2017-03-04 25:00:00").has_value());
}

TEST(TextValuesTest, NumbersAndBooleans) {
    EXPECT_EQ(*ParseInt64("-9223372036854775808"), std::numeric_limits<int64_t>::min());
    EXPECT_FALSE(ParseInt64("9223372036854775808").has_value());
    EXPECT_FALSE(ParseInt64("1.0").has_value());
    EXPECT_EQ(*ParseDouble("0.1"), 0.1);
    EXPECT_EQ(*ParseDouble("-1e+300"), -1e300);
    EXPECT_TRUE(std::isnan(*ParseDouble("NaN")));
    EXPECT_EQ(*ParseDouble("-Infinity"), -std::numeric_limits<double>::infinity());
    EXPECT_EQ(*ParseBool("t"), true);
    EXPECT_EQ(*ParseBool("f"), false);
    EXPECT_FALSE(ParseBool("true").has_value());

    std::string out;
    AppendDouble(0.1, out);
    out += ' ';
    AppendDouble(std::numeric_limits<double>::quiet_NaN(), out);
    out += ' ';
    AppendDouble(-std::numeric_limits<double>::infinity(), out);
    out += ' ';
    AppendInt64(std::numeric_limits<int64_t>::min(), out);
    EXPECT_EQ(out, "0.1 NaN -Infinity -9223372036854775808");
}

}  // namespace
}  // namespace jobber::postgres
