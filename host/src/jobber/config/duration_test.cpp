#include "jobber/config/duration.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace jobber::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Returns the what() of the invalid_argument ParseDuration throws, or fails the test.
std::string ParseError(std::string_view text) {
    try {
        ParseDuration(text);
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    ADD_FAILURE() << "ParseDuration accepted \"" << text << "\"";
    return {};
}

TEST(ParseDurationTest, BareIntegerIsSeconds) {
    EXPECT_EQ(ParseDuration("90"), seconds(90));
    EXPECT_EQ(ParseDuration("0"), milliseconds(0));
    EXPECT_EQ(ParseDuration("007"), seconds(7));
}

TEST(ParseDurationTest, SingleUnits) {
    EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
    EXPECT_EQ(ParseDuration("90s"), seconds(90));
    EXPECT_EQ(ParseDuration("5m"), minutes(5));
    EXPECT_EQ(ParseDuration("1h"), hours(1));
    EXPECT_EQ(ParseDuration("24h"), hours(24));
    EXPECT_EQ(ParseDuration("0s"), milliseconds(0));
}

TEST(ParseDurationTest, CombinationsAddUp) {
    EXPECT_EQ(ParseDuration("1h30m"), minutes(90));
    EXPECT_EQ(ParseDuration("1m30s"), seconds(90));
    EXPECT_EQ(ParseDuration("1h2m3s4ms"), hours(1) + minutes(2) + seconds(3) + milliseconds(4));
    // Go's time.ParseDuration accepts any order and repeats; so do we, for configs carried over from Go.
    EXPECT_EQ(ParseDuration("30m1h"), minutes(90));
    EXPECT_EQ(ParseDuration("1s1s"), seconds(2));
}

TEST(ParseDurationTest, SurroundingWhitespaceIsIgnored) {
    EXPECT_EQ(ParseDuration("  5m\t"), minutes(5));
    EXPECT_EQ(ParseDuration("\n30\r\n"), seconds(30));
}

TEST(ParseDurationTest, RejectsEmpty) {
    EXPECT_NE(ParseError("").find("empty"), std::string::npos);
    EXPECT_NE(ParseError("   ").find("empty"), std::string::npos);
}

TEST(ParseDurationTest, RejectsNegative) {
    const std::string message = ParseError("-5s");
    EXPECT_NE(message.find("\"-5s\""), std::string::npos) << message;
    EXPECT_NE(message.find("negative"), std::string::npos) << message;
    EXPECT_NE(ParseError("-1").find("negative"), std::string::npos);
}

TEST(ParseDurationTest, RejectsGarbageAndQuotesInput) {
    for (const char* text : {"abc", "5x", "5 m", "1h30", "ms", "s5", "+5s", "5S", "5M", "1d", "2w", "5us", "5ns",
                             "1h-30m", "0x10", "5mm", "1e3", "five", "5,000"}) {
        const std::string message = ParseError(text);
        EXPECT_NE(message.find(std::string("\"") + text + "\""), std::string::npos) << message;
        EXPECT_NE(message.find("invalid duration"), std::string::npos) << message;
    }
}

TEST(ParseDurationTest, FractionsGetAHint) {
    const std::string message = ParseError("1.5h");
    EXPECT_NE(message.find("fractions"), std::string::npos) << message;
}

TEST(ParseDurationTest, UnknownUnitNamesValidUnits) {
    const std::string message = ParseError("2d");
    EXPECT_NE(message.find("ms, s, m or h"), std::string::npos) << message;
}

TEST(ParseDurationTest, RejectsOverflow) {
    EXPECT_NE(ParseError("99999999999999999999").find("too large"), std::string::npos);
    EXPECT_NE(ParseError("9223372036854775807").find("too large"), std::string::npos);  // fits in s, not in ms
    EXPECT_NE(ParseError("9223372036854775807h").find("too large"), std::string::npos);
    EXPECT_NE(ParseError("9223372036854775807ms1ms").find("too large"), std::string::npos);
    EXPECT_EQ(ParseDuration("9223372036854775807ms"), milliseconds(9223372036854775807LL));
}

TEST(ParseDurationTest, HostileInputGivesShortMessage) {
    const std::string huge(1 << 20, '7');
    const std::string message = ParseError(huge + "x");
    EXPECT_LT(message.size(), 300u);
    EXPECT_NE(message.find("..."), std::string::npos);

    const std::string binary("\x00\xff\xfe\x01s", 5);
    EXPECT_NE(ParseError(binary).find("invalid duration"), std::string::npos);
}

TEST(FormatDurationTest, CompactGoLikeForms) {
    EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
    EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
    EXPECT_EQ(FormatDuration(seconds(90)), "1m30s");
    EXPECT_EQ(FormatDuration(minutes(90)), "1h30m");
    EXPECT_EQ(FormatDuration(hours(24)), "24h");
    EXPECT_EQ(FormatDuration(seconds(1) + milliseconds(5)), "1s5ms");
    EXPECT_EQ(FormatDuration(milliseconds(-1500)), "-1s500ms");
}

TEST(FormatDurationTest, ExtremesDoNotOverflow) {
    EXPECT_FALSE(FormatDuration(milliseconds::max()).empty());
    EXPECT_EQ(FormatDuration(milliseconds::min()).front(), '-');
}

TEST(FormatDurationTest, RoundTripsThroughParse) {
    for (long long ms : {0LL, 1LL, 999LL, 1000LL, 61'001LL, 3'600'000LL, 86'399'999LL, 9'223'372'036'854'775'807LL}) {
        EXPECT_EQ(ParseDuration(FormatDuration(milliseconds(ms))), milliseconds(ms)) << ms;
    }
}

}  // namespace
}  // namespace jobber::config
