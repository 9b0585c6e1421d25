#include "jobber/sdk/time.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace jobber::sdk {
namespace {

constexpr int64_t kSecond = kMicrosPerSecond;
// Day numbers checked against `date -u -d <date> +%s` / 86400.
constexpr int32_t kDay20240101 = 19723;
constexpr int32_t kDay20240229 = 19782;
constexpr int32_t kDay20000229 = 11016;
constexpr int32_t kDay00010101 = -719162;
constexpr int32_t kDay99991231 = 2932896;

TEST(DateTest, FormatsKnownDays) {
    EXPECT_EQ(FormatDate(0), "1970-01-01");
    EXPECT_EQ(FormatDate(-1), "1969-12-31");
    EXPECT_EQ(FormatDate(-165), "1969-07-20");
    EXPECT_EQ(FormatDate(-25567), "1900-01-01");
    EXPECT_EQ(FormatDate(kDay20240101), "2024-01-01");
    EXPECT_EQ(FormatDate(kDay20240229), "2024-02-29");
    EXPECT_EQ(FormatDate(kDay20240229 + 1), "2024-03-01");
    EXPECT_EQ(FormatDate(kDay20000229), "2000-02-29");
    EXPECT_EQ(FormatDate(kDay00010101), "0001-01-01");
    EXPECT_EQ(FormatDate(kDay99991231), "9999-12-31");
}

TEST(DateTest, ParsesKnownDates) {
    EXPECT_EQ(ParseDate("1970-01-01"), 0);
    EXPECT_EQ(ParseDate("1969-12-31"), -1);
    EXPECT_EQ(ParseDate("1969-07-20"), -165);
    EXPECT_EQ(ParseDate("1900-01-01"), -25567);
    EXPECT_EQ(ParseDate("2024-02-29"), kDay20240229);
    EXPECT_EQ(ParseDate("2000-02-29"), kDay20000229);
    EXPECT_EQ(ParseDate("0001-01-01"), kDay00010101);
    EXPECT_EQ(ParseDate("9999-12-31"), kDay99991231);
}

TEST(DateTest, LeapDaysFollowTheGregorianRules) {
    EXPECT_TRUE(ParseDate("2024-02-29"));   // divisible by 4
    EXPECT_TRUE(ParseDate("2000-02-29"));   // divisible by 400
    EXPECT_FALSE(ParseDate("2023-02-29"));  // not divisible by 4
    EXPECT_FALSE(ParseDate("1900-02-29"));  // divisible by 100 only
    EXPECT_FALSE(ParseDate("2100-02-29"));
    EXPECT_FALSE(ParseDate("2024-02-30"));
}

TEST(DateTest, RefusesMalformedAndImpossibleDates) {
    for (const char* text : {"",
                             "2024",
                             "2024-01",
                             "2024-1-01",
                             "2024-01-1",
                             "24-01-01",
                             "2024/01/01",
                             "2024-01-01x",
                             " 2024-01-01",
                             "2024-01-01 ",
                             "abcd-ef-gh",
                             "2024-13-01",
                             "2024-00-10",
                             "2024-01-00",
                             "2024-04-31",
                             "2024-06-31",
                             "2024-01-32",
                             "+2024-01-01",
                             "-001-01-01",
                             "2024-01-01T00:00",
                             "２０２４-01-01"}) {
        EXPECT_EQ(ParseDate(text), std::nullopt) << "'" << text << "'";
    }
}

TEST(DateTest, EveryDayFromYearOneToYear9999RoundTrips) {
    for (int32_t day = kDay00010101; day <= kDay99991231; day += 17) {
        const std::string text = FormatDate(day);
        ASSERT_EQ(text.size(), 10u) << day;
        ASSERT_EQ(ParseDate(text), day) << text;
    }
    EXPECT_EQ(ParseDate(FormatDate(kDay99991231)), kDay99991231);
}

TEST(TimestampTest, FormatsWholeAndFractionalSeconds) {
    EXPECT_EQ(FormatTimestamp(0), "1970-01-01 00:00:00");
    EXPECT_EQ(FormatTimestamp(1), "1970-01-01 00:00:00.000001");
    EXPECT_EQ(FormatTimestamp(int64_t{kDay20240229} * kMicrosPerDay + 45296 * kSecond + 789000),
              "2024-02-29 12:34:56.789000");
    EXPECT_EQ(FormatTimestamp(int64_t{kDay20240101} * kMicrosPerDay - 1), "2023-12-31 23:59:59.999999");
}

TEST(TimestampTest, FormatsInstantsBeforeTheEpoch) {
    EXPECT_EQ(FormatTimestamp(-1), "1969-12-31 23:59:59.999999");
    EXPECT_EQ(FormatTimestamp(-kSecond), "1969-12-31 23:59:59");
    EXPECT_EQ(FormatTimestamp(-kMicrosPerDay), "1969-12-31 00:00:00");
    EXPECT_EQ(FormatTimestamp(-kMicrosPerDay - 1), "1969-12-30 23:59:59.999999");
    EXPECT_EQ(FormatTimestamp(-14182940 * kSecond), "1969-07-20 20:17:40");
    EXPECT_EQ(FormatTimestamp(int64_t{kDay00010101} * kMicrosPerDay), "0001-01-01 00:00:00");
}

TEST(TimestampTest, ParsesTheAcceptedForms) {
    const int64_t noon = int64_t{kDay20240101} * kMicrosPerDay + 12 * 3600 * kSecond;
    EXPECT_EQ(ParseTimestamp("2024-01-01"), int64_t{kDay20240101} * kMicrosPerDay);  // a bare date is midnight
    EXPECT_EQ(ParseTimestamp("2024-01-01 12:00"), noon);
    EXPECT_EQ(ParseTimestamp("2024-01-01T12:00:00"), noon);
    EXPECT_EQ(ParseTimestamp("2024-01-01t12:00:00"), noon);
    EXPECT_EQ(ParseTimestamp("2024-01-01 12:00:00Z"), noon);
    EXPECT_EQ(ParseTimestamp("2024-01-01 12:00:00z"), noon);
    EXPECT_EQ(ParseTimestamp("2024-01-01 12:00Z"), noon);
    EXPECT_EQ(ParseTimestamp("2024-01-01T12:00:00+00:00"), noon);
}

TEST(TimestampTest, AppliesUtcOffsets) {
    const int64_t midnight = int64_t{kDay20240101} * kMicrosPerDay;
    EXPECT_EQ(ParseTimestamp("2024-01-01T05:30:00+05:30"), midnight);
    EXPECT_EQ(ParseTimestamp("2024-01-01T05:30:00+0530"), midnight);
    EXPECT_EQ(ParseTimestamp("2024-01-01T05:00:00+05"), midnight);
    EXPECT_EQ(ParseTimestamp("2023-12-31T16:00:00-08:00"), midnight);
    EXPECT_EQ(ParseTimestamp("2023-12-31 14:15-09:45"), midnight);
    // An offset moves the instant across the epoch.
    EXPECT_EQ(ParseTimestamp("1970-01-01 00:30:00+01:00"), -30 * 60 * kSecond);
}

TEST(TimestampTest, ParsesFractionalSecondsToMicroseconds) {
    const int64_t base = int64_t{kDay20240229} * kMicrosPerDay + 45296 * kSecond;
    EXPECT_EQ(ParseTimestamp("2024-02-29 12:34:56.789"), base + 789000);
    EXPECT_EQ(ParseTimestamp("2024-02-29 12:34:56.5"), base + 500000);
    EXPECT_EQ(ParseTimestamp("2024-02-29 12:34:56.000001"), base + 1);
    EXPECT_EQ(ParseTimestamp("2024-02-29 12:34:56.123456"), base + 123456);
    EXPECT_EQ(ParseTimestamp("2024-02-29 12:34:56.123456789"), base + 123456);  // truncated to micros
    EXPECT_EQ(ParseTimestamp("2024-02-29 12:34:56.25+01:00"), base - 3600 * kSecond + 250000);
}

TEST(TimestampTest, ParsesInstantsBeforeTheEpoch) {
    EXPECT_EQ(ParseTimestamp("1969-12-31 23:59:59.999999"), -1);
    EXPECT_EQ(ParseTimestamp("1969-07-20 20:17:40"), -14182940 * kSecond);
    EXPECT_EQ(ParseTimestamp("1969-07-20T20:17:40.5-05:00"), -14182940 * kSecond + 5 * 3600 * kSecond + 500000);
    EXPECT_EQ(ParseTimestamp("0001-01-01 00:00:00"), int64_t{kDay00010101} * kMicrosPerDay);
}

TEST(TimestampTest, RefusesInvalidDatesTimesAndGarbage) {
    for (const char* text : {"",
                             "garbage",
                             "2023-02-29 00:00:00",
                             "2024-02-30",
                             "2024-13-01 00:00",
                             "2024-01-01 24:00:00",
                             "2024-01-01 23:60",
                             "2024-01-01 23:59:61",
                             "2024-01-01 1:00",
                             "2024-01-01 10",
                             "2024-01-01 10:",
                             "2024-01-01 10:00:",
                             "2024-01-01 10:00:0",
                             "2024-01-01 10:00:00.",
                             "2024-01-01 10:00:00.x",
                             "2024-01-01 10:00:00+5",
                             "2024-01-01 10:00:00+05:3",
                             "2024-01-01 10:00:00 UTC",
                             "2024-01-01 10:00:00Zjunk",
                             "2024-01-01_10:00:00",
                             "2024-01-01Z",
                             "2024-01-01 ",
                             "2024-01-01T",
                             "10:00:00",
                             "2024-01-01 10:00:00+",
                             "2024-01-01 10:00:00 +05:00"}) {
        EXPECT_EQ(ParseTimestamp(text), std::nullopt) << "'" << text << "'";
    }
}

TEST(TimestampTest, FormattedTimestampsParseBackExactly) {
    std::mt19937_64 random(20240229);
    std::uniform_int_distribution<int64_t> any(int64_t{kDay00010101} * kMicrosPerDay,
                                               int64_t{kDay99991231 + 1} * kMicrosPerDay - 1);
    for (int i = 0; i < 20000; ++i) {
        const int64_t micros = i < 3 ? int64_t{i} - 1 : any(random);
        const std::string text = FormatTimestamp(micros);
        ASSERT_EQ(ParseTimestamp(text), micros) << text;
    }
}

TEST(CivilTest, DaysFromCivilAndBackAreInverse) {
    static_assert(DaysFromCivil(1970, 1, 1) == 0);
    static_assert(DaysFromCivil(2000, 3, 1) == kDay20000229 + 1);
    static_assert(CivilFromDays(-1).year == 1969 && CivilFromDays(-1).month == 12 && CivilFromDays(-1).day == 31);
    for (int64_t day = -800000; day <= 3000000; day += 997) {
        const CivilDate c = CivilFromDays(day);
        ASSERT_EQ(DaysFromCivil(c.year, c.month, c.day), day);
    }
}

TEST(CivilTest, FloorDivRoundsTowardsNegativeInfinity) {
    EXPECT_EQ(FloorDiv(7, 2), 3);
    EXPECT_EQ(FloorDiv(-7, 2), -4);
    EXPECT_EQ(FloorDiv(-8, 2), -4);
    EXPECT_EQ(FloorDiv(7, -2), -4);
    EXPECT_EQ(FloorDiv(-1, kMicrosPerDay), -1);
    EXPECT_EQ(FloorDiv(0, kMicrosPerDay), 0);
}

}  // namespace
}  // namespace jobber::sdk
