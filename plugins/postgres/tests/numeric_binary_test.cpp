// Decimal text to binary numeric: the bytes PostgreSQL's numeric_recv expects.
#include "numeric_binary.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace jobber::postgres {
namespace {

// ndigits, weight, sign, dscale, digits... as integers, read back from the bytes.
std::vector<int> Decode(const std::string& text) {
    std::string out;
    if (!AppendNumericBinary(text, out)) return {-1};
    std::vector<int> words;
    for (size_t i = 0; i + 1 < out.size(); i += 2) {
        const auto word = static_cast<uint16_t>((static_cast<uint8_t>(out[i]) << 8) | static_cast<uint8_t>(out[i + 1]));
        words.push_back(i == 2 ? static_cast<int16_t>(word) : word);  // the weight is signed
    }
    return words;
}

TEST(NumericBinaryTest, GroupsDigitsInBaseTenThousandAroundThePoint) {
    EXPECT_EQ(Decode("12345.6"), (std::vector<int>{3, 1, 0x0000, 1, 1, 2345, 6000}));
    EXPECT_EQ(Decode("-12345.60"), (std::vector<int>{3, 1, 0x4000, 2, 1, 2345, 6000}));
    EXPECT_EQ(Decode("0.00001"), (std::vector<int>{1, -2, 0x0000, 5, 1000}));
    EXPECT_EQ(Decode("10000"), (std::vector<int>{1, 1, 0x0000, 0, 1}));
    EXPECT_EQ(Decode("1e3"), (std::vector<int>{1, 0, 0x0000, 0, 1000}));
    EXPECT_EQ(Decode("1.5E-3"), (std::vector<int>{1, -1, 0x0000, 4, 15}));
    EXPECT_EQ(Decode("+007.250"), (std::vector<int>{2, 0, 0x0000, 3, 7, 2500}));
    EXPECT_EQ(Decode("12345678901234567890.123456789"),
              (std::vector<int>{8, 4, 0x0000, 9, 1234, 5678, 9012, 3456, 7890, 1234, 5678, 9000}));
}

TEST(NumericBinaryTest, ZeroKeepsItsScale) {
    EXPECT_EQ(Decode("0"), (std::vector<int>{0, 0, 0x0000, 0}));
    EXPECT_EQ(Decode("-0.000"), (std::vector<int>{0, 0, 0x0000, 3}));
}

TEST(NumericBinaryTest, SpecialValues) {
    EXPECT_EQ(Decode("NaN"), (std::vector<int>{0, 0, 0xC000, 0}));
    EXPECT_EQ(Decode("nan"), (std::vector<int>{0, 0, 0xC000, 0}));
    EXPECT_EQ(Decode("Infinity"), (std::vector<int>{0, 0, 0xD000, 0}));
    EXPECT_EQ(Decode("-Infinity"), (std::vector<int>{0, 0, 0xF000, 0}));
}

TEST(NumericBinaryTest, RefusesWhatIsNotADecimalAndLeavesTheBufferAlone) {
    for (const char* bad : {"", "-", ".", "1.2.3", "12a", "1e", "1e+", "abc", "1,5", "0x10", "1e9999999"}) {
        std::string out = "keep";
        EXPECT_FALSE(AppendNumericBinary(bad, out)) << bad;
        EXPECT_EQ(out, "keep") << bad;
    }
}

}  // namespace
}  // namespace jobber::postgres
