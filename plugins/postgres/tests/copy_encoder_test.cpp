// The bytes of COPY FROM STDIN in both formats.
#include "copy_encoder.hpp"

#include <gtest/gtest.h>

#include <string>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/time.hpp"

namespace jobber::postgres {
namespace {

const sdk::Schema kSchema = {{"n", sdk::ColumnType::kBigInt}, {"d", sdk::ColumnType::kDecimal},
                             {"f", sdk::ColumnType::kDouble}, {"ts", sdk::ColumnType::kTimestamp},
                             {"day", sdk::ColumnType::kDate}, {"b", sdk::ColumnType::kBoolean},
                             {"t", sdk::ColumnType::kText}};

sdk::OwnedArray Batch(const std::string& decimal) {
    sdk::BatchBuilder b(kSchema);
    b.AppendInt64(0, -2);
    b.AppendText(1, decimal);
    b.AppendDouble(2, 1.5);
    b.AppendInt64(3, *sdk::ParseTimestamp("2000-01-01 00:00:01"));
    b.AppendDate(4, *sdk::ParseDate("2000-01-02"));
    b.AppendBool(5, true);
    b.AppendText(6, "a\tb\nc\\d\re");
    for (size_t c = 0; c < kSchema.size(); ++c) b.AppendNull(c);
    ArrowArray array{};
    b.Finish(&array);
    return sdk::OwnedArray(&array);
}

std::string Hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

TEST(CopyEncoderTest, TextFormatEscapesAndMarksNulls) {
    CopyEncoder encoder(CopyFormat::kText, kSchema, "t");
    EXPECT_STREQ(encoder.CopyOptions(), "(FORMAT text)");
    auto batch = Batch("12.50");
    std::string out;
    encoder.AppendHeader(out);
    encoder.AppendBatch(sdk::BatchView(*batch, kSchema), out);
    encoder.AppendTrailer(out);
    EXPECT_EQ(out,
              "-2\t12.50\t1.5\t2000-01-01 00:00:01\t2000-01-02\tt\ta\\tb\\nc\\\\d\\re\n"
              "\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n");
}

TEST(CopyEncoderTest, BinaryFormatFramesEveryField) {
    CopyEncoder encoder(CopyFormat::kBinary, kSchema, "t");
    EXPECT_STREQ(encoder.CopyOptions(), "(FORMAT binary)");
    auto batch = Batch("12.5");
    std::string out;
    encoder.AppendHeader(out);
    EXPECT_EQ(Hex(out),
              "5047434f50590aff0d0a00"
              "00000000"
              "00000000");
    out.clear();
    encoder.AppendBatch(sdk::BatchView(*batch, kSchema), out);
    EXPECT_EQ(Hex(out),
              "0007"  // 7 fields
              "00000008"
              "fffffffffffffffe"  // int8 -2
              "0000000c"
              "0002"
              "0000"
              "0000"
              "0001"
              "000c"
              "1388"  // numeric 12.5: 12, 5000; dscale 1
              "00000008"
              "3ff8000000000000"  // float8 1.5
              "00000008"
              "00000000000f4240"  // 1 s after 2000-01-01
              "00000004"
              "00000001"  // 1 day after 2000-01-01
              "00000001"
              "01"  // true
              "00000009"
              "610962"
              "0a63"
              "5c640d65"  // raw text
              "0007"
              "ffffffff"
              "ffffffff"
              "ffffffff"
              "ffffffff"
              "ffffffff"
              "ffffffff"
              "ffffffff");
    out.clear();
    encoder.AppendTrailer(out);
    EXPECT_EQ(Hex(out), "ffff");
}

TEST(CopyEncoderTest, BinaryFormatRefusesBadDecimalsNamingColumnAndRow) {
    CopyEncoder encoder(CopyFormat::kBinary, kSchema, "results_x");
    auto good = Batch("1");
    auto bad = Batch("1,5");
    std::string out;
    encoder.AppendBatch(sdk::BatchView(*good, kSchema), out);
    try {
        encoder.AppendBatch(sdk::BatchView(*bad, kSchema), out);
        FAIL() << "expected an error";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
        EXPECT_STREQ(e.what(),
                     "result table 'results_x' column 'd' row 3: '1,5' is not a decimal number PostgreSQL can store");
    }
}

TEST(CopyEncoderTest, FormatNamesFromConfig) {
    EXPECT_EQ(ParseCopyFormat("binary"), CopyFormat::kBinary);
    EXPECT_EQ(ParseCopyFormat("text"), CopyFormat::kText);
    EXPECT_THROW(ParseCopyFormat("csv"), sdk::Error);
}

}  // namespace
}  // namespace jobber::postgres
