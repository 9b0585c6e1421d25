#include "jobber/sdk/batch.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "sdk_test_support.hpp"

namespace jobber::sdk {
namespace {

using testing::ExpectError;
using testing::TrackRelease;

// One optional value per row for every column type, so a batch can be compared cell by cell.
struct Model {
    std::vector<std::optional<int64_t>> big;
    std::vector<std::optional<std::string>> decimal;
    std::vector<std::optional<double>> dbl;
    std::vector<std::optional<int64_t>> ts;
    std::vector<std::optional<int32_t>> date;
    std::vector<std::optional<bool>> flag;
    std::vector<std::optional<std::string>> text;

    size_t rows() const { return big.size(); }
};

enum Col : size_t { kBig, kDec, kDbl, kTs, kDate, kFlag, kText, kColumnCount };

Schema AllTypesSchema() {
    return {{"id", ColumnType::kBigInt},    {"amount", ColumnType::kDecimal}, {"ratio", ColumnType::kDouble},
            {"at", ColumnType::kTimestamp}, {"day", ColumnType::kDate},       {"flag", ColumnType::kBoolean},
            {"note", ColumnType::kText}};
}

// 19 rows: crosses the 8- and 16-bit boundaries of the bitmaps. Nulls sit on bit 0, bit 7, bit 8,
// bit 15, bit 16 and the last bit of different columns; `ratio` has none, `at` has only nulls.
Model MakeModel() {
    const std::set<size_t> big_nulls{0, 8, 18};
    const std::set<size_t> dec_nulls{7, 15, 16};
    const std::set<size_t> date_nulls{3};
    const std::set<size_t> flag_nulls{2, 9, 17};
    const std::set<size_t> text_nulls{5, 6};
    const std::vector<std::string> texts = {"",
                                            "héllo",
                                            "日本語",
                                            "🎉",
                                            "a\"b'c",
                                            "x",
                                            "y",
                                            "tab\there",
                                            "",
                                            "z",
                                            "long text with spaces",
                                            "",
                                            "ü",
                                            "\\",
                                            "%s",
                                            "row15",
                                            "é",
                                            "end",
                                            std::string("nul\0inside", 10)};
    Model m;
    for (size_t r = 0; r < 19; ++r) {
        int64_t big = static_cast<int64_t>(r) * 1000003 - 500000000000000000LL;
        if (r == 1) big = std::numeric_limits<int64_t>::min();
        if (r == 2) big = std::numeric_limits<int64_t>::max();
        m.big.push_back(big_nulls.count(r) ? std::nullopt : std::optional<int64_t>(big));
        m.decimal.push_back(dec_nulls.count(r) ? std::nullopt
                                               : std::optional<std::string>((r % 2 ? "-" : "") + std::to_string(r) +
                                                                            "1234567890123456789.000000001"));
        double dbl = static_cast<double>(r) * 0.5 - 3.0;
        if (r == 4) dbl = -0.0;
        if (r == 10) dbl = std::numeric_limits<double>::infinity();
        if (r == 11) dbl = std::numeric_limits<double>::quiet_NaN();
        if (r == 12) dbl = std::numeric_limits<double>::denorm_min();
        m.dbl.push_back(dbl);
        m.ts.push_back(std::nullopt);
        m.date.push_back(date_nulls.count(r) ? std::nullopt
                                             : std::optional<int32_t>(static_cast<int32_t>(r) * 366 - 4000));
        m.flag.push_back(flag_nulls.count(r) ? std::nullopt : std::optional<bool>(r % 3 == 0));
        m.text.push_back(text_nulls.count(r) ? std::nullopt : std::optional<std::string>(texts[r]));
    }
    return m;
}

void AppendCell(BatchBuilder& builder, const Model& m, size_t row, size_t column) {
    switch (column) {
        case kBig:
            return m.big[row] ? builder.AppendInt64(kBig, *m.big[row]) : builder.AppendNull(kBig);
        case kDec:
            return m.decimal[row] ? builder.AppendText(kDec, *m.decimal[row]) : builder.AppendNull(kDec);
        case kDbl:
            return m.dbl[row] ? builder.AppendDouble(kDbl, *m.dbl[row]) : builder.AppendNull(kDbl);
        case kTs:
            return m.ts[row] ? builder.AppendInt64(kTs, *m.ts[row]) : builder.AppendNull(kTs);
        case kDate:
            return m.date[row] ? builder.AppendDate(kDate, *m.date[row]) : builder.AppendNull(kDate);
        case kFlag:
            return m.flag[row] ? builder.AppendBool(kFlag, *m.flag[row]) : builder.AppendNull(kFlag);
        case kText:
            return m.text[row] ? builder.AppendText(kText, *m.text[row]) : builder.AppendNull(kText);
    }
    FAIL() << "no column " << column;
}

// Appends rows [begin, end) of the model; odd rows append their columns in reverse order, which
// the builder allows.
void AppendRows(BatchBuilder& builder, const Model& m, size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
        for (size_t i = 0; i < kColumnCount; ++i) AppendCell(builder, m, r, r % 2 ? kColumnCount - 1 - i : i);
    }
}

bool SameDouble(double a, double b) {
    return std::memcmp(&a, &b, sizeof(a)) == 0;
}

// Checks every cell of `view` against model rows starting at `first`.
void ExpectViewMatches(const BatchView& view, const Model& m, size_t first) {
    for (int64_t row = 0; row < view.rows(); ++row) {
        const size_t r = first + static_cast<size_t>(row);
        SCOPED_TRACE("view row " + std::to_string(row) + " = model row " + std::to_string(r));
        EXPECT_EQ(view.IsNull(kBig, row), !m.big[r]);
        if (m.big[r]) {
            EXPECT_EQ(view.Int64(kBig, row), *m.big[r]);
        }
        EXPECT_EQ(view.IsNull(kDec, row), !m.decimal[r]);
        if (m.decimal[r]) {
            EXPECT_EQ(view.Text(kDec, row), *m.decimal[r]);
        }
        EXPECT_EQ(view.IsNull(kDbl, row), !m.dbl[r]);
        if (m.dbl[r]) {
            EXPECT_TRUE(SameDouble(view.Double(kDbl, row), *m.dbl[r])) << view.Double(kDbl, row);
        }
        EXPECT_EQ(view.IsNull(kTs, row), !m.ts[r]);
        if (m.ts[r]) {
            EXPECT_EQ(view.Int64(kTs, row), *m.ts[r]);
        }
        EXPECT_EQ(view.IsNull(kDate, row), !m.date[r]);
        if (m.date[r]) {
            EXPECT_EQ(view.Date(kDate, row), *m.date[r]);
        }
        EXPECT_EQ(view.IsNull(kFlag, row), !m.flag[r]);
        if (m.flag[r]) {
            EXPECT_EQ(view.Bool(kFlag, row), *m.flag[r]);
        }
        EXPECT_EQ(view.IsNull(kText, row), !m.text[r]);
        if (m.text[r]) {
            EXPECT_EQ(view.Text(kText, row), *m.text[r]);
        }
    }
}

bool Bit(const void* bitmap, int64_t index) {
    return (static_cast<const uint8_t*>(bitmap)[index / 8] >> (index % 8)) & 1u;
}

template <class T>
int64_t CountNulls(const std::vector<std::optional<T>>& values) {
    int64_t n = 0;
    for (const auto& v : values) n += v ? 0 : 1;
    return n;
}

TEST(BatchBuilderTest, AllColumnTypesRoundTripWithNullsAcrossBitBoundaries) {
    const Schema schema = AllTypesSchema();
    const Model m = MakeModel();
    BatchBuilder builder(schema);
    AppendRows(builder, m, 0, m.rows());
    EXPECT_EQ(builder.rows(), 19);

    OwnedArray batch;
    builder.Finish(batch.get());
    const ArrowArray& a = *batch;
    ASSERT_NE(a.release, nullptr);
    EXPECT_EQ(a.length, 19);
    EXPECT_EQ(a.offset, 0);
    EXPECT_EQ(a.null_count, 0);
    EXPECT_EQ(a.n_buffers, 1);  // a struct array has only a validity buffer
    EXPECT_EQ(a.buffers[0], nullptr);
    ASSERT_EQ(a.n_children, 7);

    const int64_t expected_nulls[] = {CountNulls(m.big),  CountNulls(m.decimal), CountNulls(m.dbl), CountNulls(m.ts),
                                      CountNulls(m.date), CountNulls(m.flag),    CountNulls(m.text)};
    for (size_t c = 0; c < kColumnCount; ++c) {
        SCOPED_TRACE("column " + schema[c].name);
        const ArrowArray& child = *a.children[c];
        EXPECT_NE(child.release, nullptr);
        EXPECT_EQ(child.length, 19);
        EXPECT_EQ(child.offset, 0);
        EXPECT_EQ(child.null_count, expected_nulls[c]);
        EXPECT_EQ(child.n_children, 0);
        EXPECT_EQ(child.dictionary, nullptr);
        const bool text = c == kDec || c == kText;
        EXPECT_EQ(child.n_buffers, text ? 3 : 2);
        // Arrow allows omitting the validity bitmap only when there are no nulls.
        EXPECT_EQ(child.buffers[0] == nullptr, expected_nulls[c] == 0);
    }
    EXPECT_EQ(a.children[kTs]->null_count, 19);

    // The validity bitmaps, read raw: bit i set <=> row i is valid.
    for (int64_t r = 0; r < 19; ++r) {
        const size_t i = static_cast<size_t>(r);
        EXPECT_EQ(Bit(a.children[kBig]->buffers[0], r), m.big[i].has_value()) << r;
        EXPECT_EQ(Bit(a.children[kDec]->buffers[0], r), m.decimal[i].has_value()) << r;
        EXPECT_FALSE(Bit(a.children[kTs]->buffers[0], r)) << r;
        EXPECT_EQ(Bit(a.children[kDate]->buffers[0], r), m.date[i].has_value()) << r;
        EXPECT_EQ(Bit(a.children[kFlag]->buffers[0], r), m.flag[i].has_value()) << r;
        EXPECT_EQ(Bit(a.children[kText]->buffers[0], r), m.text[i].has_value()) << r;
    }
    // The fixed-width value buffers, read raw.
    const auto* big = static_cast<const int64_t*>(a.children[kBig]->buffers[1]);
    const auto* days = static_cast<const int32_t*>(a.children[kDate]->buffers[1]);
    for (size_t r = 0; r < 19; ++r) {
        if (m.big[r]) {
            EXPECT_EQ(big[r], *m.big[r]);
        }
        if (m.date[r]) {
            EXPECT_EQ(days[r], *m.date[r]);
        }
        if (m.flag[r]) {
            EXPECT_EQ(Bit(a.children[kFlag]->buffers[1], static_cast<int64_t>(r)), *m.flag[r]);
        }
    }

    BatchView view(*batch, schema);
    EXPECT_EQ(view.rows(), 19);
    EXPECT_EQ(view.columns(), 7u);
    ExpectViewMatches(view, m, 0);
}

TEST(BatchBuilderTest, BooleansAreBitPackedLeastSignificantBitFirst) {
    const Schema schema{{"flag", ColumnType::kBoolean}};
    BatchBuilder builder(schema);
    const bool values[] = {true, false, true, true, false, false, false, true, true, false};
    for (bool v : values) builder.AppendBool(0, v);
    builder.AppendNull(0);
    OwnedArray batch;
    builder.Finish(batch.get());
    const ArrowArray& child = *(*batch).children[0];
    ASSERT_EQ(child.length, 11);
    const auto* bits = static_cast<const uint8_t*>(child.buffers[1]);
    EXPECT_EQ(bits[0], 0x8D);         // rows 0, 2, 3 and 7
    EXPECT_EQ(bits[1] & 0x07, 0x01);  // row 8; rows 9 (false) and 10 (null) clear
    const auto* validity = static_cast<const uint8_t*>(child.buffers[0]);
    ASSERT_NE(validity, nullptr);
    EXPECT_EQ(validity[0], 0xFF);
    EXPECT_EQ(validity[1] & 0x07, 0x03);  // rows 8 and 9 valid, row 10 null
    EXPECT_EQ(child.null_count, 1);
}

TEST(BatchBuilderTest, TextUsesInt32OffsetsIntoOneDataBuffer) {
    const Schema schema{{"s", ColumnType::kText}};
    BatchBuilder builder(schema);
    builder.AppendText(0, "");
    builder.AppendText(0, "ab");
    builder.AppendNull(0);
    builder.AppendText(0, "日本");
    OwnedArray batch;
    builder.Finish(batch.get());
    const ArrowArray& child = *(*batch).children[0];
    ASSERT_EQ(child.n_buffers, 3);
    const auto* offsets = static_cast<const int32_t*>(child.buffers[1]);
    EXPECT_EQ(offsets[0], 0);
    EXPECT_EQ(offsets[1], 0);
    EXPECT_EQ(offsets[2], 2);
    EXPECT_EQ(offsets[3], 2);  // a NULL takes no bytes
    EXPECT_EQ(offsets[4], 8);  // two 3-byte UTF-8 characters
    EXPECT_EQ(std::string(static_cast<const char*>(child.buffers[2]), 8), "ab日本");

    BatchView view(*batch, schema);
    EXPECT_FALSE(view.IsNull(0, 0));
    EXPECT_EQ(view.Text(0, 0), "");  // an empty string is a value, not a NULL
    EXPECT_TRUE(view.IsNull(0, 2));
    EXPECT_EQ(view.Text(0, 3), "日本");
}

// Every bitmap length around the byte boundaries, with a null on every third row.
TEST(BatchBuilderTest, BitmapsAreSizedAndFilledForEveryLengthAroundByteBoundaries) {
    const Schema schema{{"flag", ColumnType::kBoolean}, {"n", ColumnType::kBigInt}};
    for (int64_t rows : {1, 7, 8, 9, 15, 16, 17, 63, 64, 65}) {
        SCOPED_TRACE("rows " + std::to_string(rows));
        BatchBuilder builder(schema);
        for (int64_t r = 0; r < rows; ++r) {
            if (r % 3 == 1) {
                builder.AppendNull(0);
                builder.AppendNull(1);
            } else {
                builder.AppendBool(0, r % 2 == 0);
                builder.AppendInt64(1, r);
            }
        }
        OwnedArray batch;
        builder.Finish(batch.get());
        BatchView view(*batch, schema);
        ASSERT_EQ(view.rows(), rows);
        for (int64_t r = 0; r < rows; ++r) {
            EXPECT_EQ(view.IsNull(0, r), r % 3 == 1) << r;
            EXPECT_EQ(view.IsNull(1, r), r % 3 == 1) << r;
            if (r % 3 != 1) {
                EXPECT_EQ(view.Bool(0, r), r % 2 == 0) << r;
                EXPECT_EQ(view.Int64(1, r), r) << r;
            }
        }
        EXPECT_EQ((*batch).children[0]->null_count, (rows + 1) / 3);
    }
}

TEST(BatchBuilderTest, DecimalIsCarriedAsExactTextUnderTheDecimalExtension) {
    const Schema schema{{"amount", ColumnType::kDecimal}};
    const std::string values[] = {"0", "-0.0001", "123456789012345678901234567890.123456789012345678901234567890"};
    BatchBuilder builder(schema);
    for (const auto& v : values) builder.AppendText(0, v);
    OwnedArray batch;
    builder.Finish(batch.get());
    OwnedSchema arrow_schema;
    ExportSchema(schema, arrow_schema.get());
    const Schema imported = ImportSchema(*arrow_schema);
    ASSERT_EQ(imported, schema);
    BatchView view(*batch, imported);
    for (int64_t r = 0; r < 3; ++r) EXPECT_EQ(view.Text(0, r), values[r]);
}

TEST(BatchBuilderTest, ZeroRowBatchIsValidForEveryType) {
    const Schema schema = AllTypesSchema();
    BatchBuilder builder(schema);
    OwnedArray batch;
    builder.Finish(batch.get());
    const ArrowArray& a = *batch;
    ASSERT_NE(a.release, nullptr);
    EXPECT_EQ(a.length, 0);
    ASSERT_EQ(a.n_children, 7);
    for (int64_t c = 0; c < a.n_children; ++c) {
        const ArrowArray& child = *a.children[c];
        EXPECT_EQ(child.length, 0);
        EXPECT_EQ(child.null_count, 0);
        EXPECT_EQ(child.buffers[0], nullptr);
        if (child.n_buffers == 3) {
            // Even an empty utf8 array has one offset, 0.
            ASSERT_NE(child.buffers[1], nullptr);
            EXPECT_EQ(static_cast<const int32_t*>(child.buffers[1])[0], 0);
        }
    }
    BatchView view(*batch, schema);
    EXPECT_EQ(view.rows(), 0);
}

TEST(BatchBuilderTest, ZeroColumnSchemaGivesAnEmptyStruct) {
    BatchBuilder builder(Schema{});
    EXPECT_EQ(builder.rows(), 0);
    OwnedArray batch;
    builder.Finish(batch.get());
    EXPECT_EQ((*batch).n_children, 0);
    EXPECT_EQ((*batch).length, 0);
    EXPECT_NE((*batch).release, nullptr);
}

// Builds the 19-row model and slices it, the way a consumer that moved through a batch would.
class SlicedBatchTest : public ::testing::Test {
protected:
    void SetUp() override {
        BatchBuilder builder(schema_);
        AppendRows(builder, model_, 0, model_.rows());
        builder.Finish(batch_.get());
    }

    const Schema schema_ = AllTypesSchema();
    const Model model_ = MakeModel();
    OwnedArray batch_;
};

TEST_F(SlicedBatchTest, ViewHonoursTheStructOffset) {
    ArrowArray& a = *batch_.get();
    a.offset = 3;
    a.length = 14;
    BatchView view(a, schema_);
    EXPECT_EQ(view.rows(), 14);
    ExpectViewMatches(view, model_, 3);
}

TEST_F(SlicedBatchTest, ViewAddsChildOffsetsToTheStructOffset) {
    ArrowArray& a = *batch_.get();
    // Arrow: a child's length counts from its own offset; the parent's rows start at child row
    // parent.offset.
    for (int64_t c = 0; c < a.n_children; ++c) {
        a.children[c]->offset = 2;
        a.children[c]->length = 17;
        a.children[c]->null_count = -1;  // "unknown", as slicing producers report it
    }
    a.offset = 5;
    a.length = 12;
    BatchView view(a, schema_);
    EXPECT_EQ(view.rows(), 12);
    ExpectViewMatches(view, model_, 7);
}

TEST_F(SlicedBatchTest, ViewReadsUnevenChildOffsets) {
    ArrowArray& a = *batch_.get();
    // Only some columns are sliced; each must use its own offset.
    a.children[kBig]->offset = 1;
    a.children[kBig]->length = 18;
    a.children[kText]->offset = 1;
    a.children[kText]->length = 18;
    a.children[kFlag]->offset = 1;
    a.children[kFlag]->length = 18;
    a.offset = 0;
    a.length = 18;
    BatchView view(a, schema_);
    for (int64_t row = 0; row < 18; ++row) {
        const size_t r = static_cast<size_t>(row);
        EXPECT_EQ(view.IsNull(kBig, row), !model_.big[r + 1]) << row;
        if (model_.big[r + 1]) {
            EXPECT_EQ(view.Int64(kBig, row), *model_.big[r + 1]) << row;
        }
        EXPECT_EQ(view.IsNull(kText, row), !model_.text[r + 1]) << row;
        if (model_.text[r + 1]) {
            EXPECT_EQ(view.Text(kText, row), *model_.text[r + 1]) << row;
        }
        EXPECT_EQ(view.IsNull(kFlag, row), !model_.flag[r + 1]) << row;
        if (model_.flag[r + 1]) {
            EXPECT_EQ(view.Bool(kFlag, row), *model_.flag[r + 1]) << row;
        }
        EXPECT_EQ(view.IsNull(kDate, row), !model_.date[r]) << row;
        if (model_.date[r]) {
            EXPECT_EQ(view.Date(kDate, row), *model_.date[r]) << row;
        }
    }
}

TEST_F(SlicedBatchTest, ViewRefusesAChildShorterThanTheSlice) {
    ArrowArray& a = *batch_.get();
    a.offset = 8;
    a.length = 12;  // 8 + 12 = 20 > 19
    ExpectError([&] { BatchView view(a, schema_); }, JOBBER_INVALID_ARGUMENT, {"'id'", "shorter than the batch"});
}

TEST(BatchViewTest, RefusesAColumnCountThatDoesNotMatchTheSchema) {
    const Schema schema{{"a", ColumnType::kBigInt}, {"b", ColumnType::kBigInt}};
    BatchBuilder builder(Schema{{"a", ColumnType::kBigInt}});
    builder.AppendInt64(0, 1);
    OwnedArray batch;
    builder.Finish(batch.get());
    ExpectError([&] { BatchView view(*batch, schema); }, JOBBER_INVALID_ARGUMENT, {"1 columns", "schema has 2"});
}

TEST(BatchBuilderTest, FinishStartsAFreshBatchAndEarlierBatchesStayIntact) {
    const Schema schema = AllTypesSchema();
    const Model m = MakeModel();
    BatchBuilder builder(schema);

    AppendRows(builder, m, 0, 9);
    OwnedArray first;
    builder.Finish(first.get());
    EXPECT_EQ(builder.rows(), 0);
    EXPECT_EQ(builder.ByteSize(), 0u + 4u * 2u);  // only the two text columns' leading offset

    AppendRows(builder, m, 9, 19);
    OwnedArray second;
    builder.Finish(second.get());

    OwnedArray third;
    builder.Finish(third.get());

    // Both earlier batches are alive at once and own separate memory.
    BatchView first_view(*first, schema);
    BatchView second_view(*second, schema);
    ASSERT_EQ(first_view.rows(), 9);
    ASSERT_EQ(second_view.rows(), 10);
    ExpectViewMatches(first_view, m, 0);
    ExpectViewMatches(second_view, m, 9);
    // Null counts restart with each batch: `id` has nulls at rows 0 and 8 | 18.
    EXPECT_EQ((*first).children[kBig]->null_count, 2);
    EXPECT_EQ((*second).children[kBig]->null_count, 1);
    // Text offsets restart at 0.
    EXPECT_EQ(static_cast<const int32_t*>((*second).children[kText]->buffers[1])[0], 0);

    EXPECT_EQ((*third).length, 0);
    EXPECT_EQ((*third).children[kBig]->length, 0);
}

TEST(BatchBuilderTest, ByteSizeGrowsWithAppendedData) {
    BatchBuilder builder(Schema{{"s", ColumnType::kText}, {"n", ColumnType::kBigInt}});
    const size_t empty = builder.ByteSize();
    builder.AppendText(0, std::string(1000, 'x'));
    builder.AppendInt64(1, 7);
    EXPECT_GE(builder.ByteSize(), empty + 1000 + 8);
}

TEST(BatchBuilderTest, MismatchedColumnLengthsThrowAndLeaveTheBuilderUsable) {
    const Schema schema{{"a", ColumnType::kBigInt}, {"b", ColumnType::kText}};
    BatchBuilder builder(schema);
    builder.AppendInt64(0, 1);
    builder.AppendInt64(0, 2);
    builder.AppendText(1, "only one");

    ArrowArray out{};
    ExpectError([&] { builder.Finish(&out); }, JOBBER_INTERNAL, {"'b'", "has 1 values, expected 2"});
    EXPECT_EQ(out.release, nullptr) << "a failed Finish must not hand out an array";

    builder.AppendText(1, "two");
    OwnedArray batch;
    builder.Finish(batch.get());
    BatchView view(*batch, schema);
    ASSERT_EQ(view.rows(), 2);
    EXPECT_EQ(view.Int64(0, 1), 2);
    EXPECT_EQ(view.Text(1, 1), "two");
}

TEST(BatchBuilderTest, AColumnLongerThanTheFirstIsAlsoAMismatch) {
    BatchBuilder builder(Schema{{"a", ColumnType::kBigInt}, {"b", ColumnType::kBigInt}});
    builder.AppendInt64(1, 1);
    ArrowArray out{};
    ExpectError([&] { builder.Finish(&out); }, JOBBER_INTERNAL, {"'b'", "has 1 values, expected 0"});
}

// Each append function against each column type: the wrong ones throw naming the column and its
// type, and do not count as a value.
TEST(BatchBuilderTest, WrongTypeAppendsThrowNamingTheColumn) {
    const Schema schema{{"c_bigint", ColumnType::kBigInt}, {"c_decimal", ColumnType::kDecimal},
                        {"c_double", ColumnType::kDouble}, {"c_timestamp", ColumnType::kTimestamp},
                        {"c_date", ColumnType::kDate},     {"c_boolean", ColumnType::kBoolean},
                        {"c_text", ColumnType::kText}};
    const char* type_names[] = {"BIGINT", "DECIMAL", "DOUBLE", "TIMESTAMP", "DATE", "BOOLEAN", "TEXT"};
    struct Append {
        const char* what;
        std::set<size_t> accepted;
        void (*call)(BatchBuilder&, size_t);
    };
    const Append appends[] = {
        {"an int64", {kBig, kTs}, [](BatchBuilder& b, size_t c) { b.AppendInt64(c, 1); }},
        {"a date", {kDate}, [](BatchBuilder& b, size_t c) { b.AppendDate(c, 1); }},
        {"a double", {kDbl}, [](BatchBuilder& b, size_t c) { b.AppendDouble(c, 1.0); }},
        {"a boolean", {kFlag}, [](BatchBuilder& b, size_t c) { b.AppendBool(c, true); }},
        {"text", {kDec, kText}, [](BatchBuilder& b, size_t c) { b.AppendText(c, "1"); }},
    };
    BatchBuilder builder(schema);
    int64_t accepted_per_column[kColumnCount] = {};
    for (const Append& append : appends) {
        for (size_t c = 0; c < kColumnCount; ++c) {
            SCOPED_TRACE(std::string(append.what) + " into " + schema[c].name);
            if (append.accepted.count(c) != 0) {
                append.call(builder, c);
                ++accepted_per_column[c];
            } else {
                ExpectError([&] { append.call(builder, c); }, JOBBER_INTERNAL,
                            {"'" + schema[c].name + "'", type_names[c], append.what});
            }
        }
    }
    // Each column received exactly one accepted value; the refused ones left no trace.
    for (size_t c = 0; c < kColumnCount; ++c) EXPECT_EQ(accepted_per_column[c], 1) << schema[c].name;
    OwnedArray batch;
    builder.Finish(batch.get());
    EXPECT_EQ((*batch).length, 1);
    for (int64_t c = 0; c < (*batch).n_children; ++c) EXPECT_EQ((*batch).children[c]->length, 1);
}

TEST(BatchBuilderTest, ReleaseRunsOnceAndMarksTheArrayReleased) {
    BatchBuilder builder(AllTypesSchema());
    AppendRows(builder, MakeModel(), 0, 19);
    ArrowArray raw{};
    builder.Finish(&raw);
    int calls = 0;
    TrackRelease(&raw, &calls);
    raw.release(&raw);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(raw.release, nullptr);
}

// Arrow C data interface, "Moving child arrays": a consumer may move a child out of a struct array
// and release the parent; the child must stay valid until its own release. Fails under
// AddressSanitizer (heap-use-after-free) while the children's buffers belong to the parent only.
TEST(BatchBuilderTest, ChildMovedOutOfTheBatchOutlivesItsParent) {
    const Schema schema{{"n", ColumnType::kBigInt}, {"s", ColumnType::kText}};
    BatchBuilder builder(schema);
    for (int i = 0; i < 100; ++i) {
        builder.AppendInt64(0, i * 11);
        builder.AppendText(1, "value " + std::to_string(i));
    }
    ArrowArray parent{};
    builder.Finish(&parent);

    ArrowArray child = *parent.children[1];
    parent.children[1]->release = nullptr;  // moved
    parent.release(&parent);
    // Churn the heap so freed buffers are reused.
    std::vector<std::string> churn(64, std::string(4096, '#'));

    ASSERT_NE(child.release, nullptr);
    const auto* offsets = static_cast<const int32_t*>(child.buffers[1]);
    const auto* data = static_cast<const char*>(child.buffers[2]);
    EXPECT_EQ(std::string(data + offsets[42], static_cast<size_t>(offsets[43] - offsets[42])), "value 42");
    child.release(&child);
    EXPECT_EQ(child.release, nullptr);
}

TEST(OwnedArrayTest, TakesOverAndReleasesExactlyOnce) {
    BatchBuilder builder(Schema{{"n", ColumnType::kBigInt}});
    builder.AppendInt64(0, 5);
    ArrowArray raw{};
    builder.Finish(&raw);
    int calls = 0;
    TrackRelease(&raw, &calls);
    {
        OwnedArray owned(&raw);
        EXPECT_EQ(raw.release, nullptr) << "the source must be marked moved";
        EXPECT_TRUE(owned.valid());
        EXPECT_EQ((*owned).length, 1);
    }
    EXPECT_EQ(calls, 1);
}

TEST(OwnedArrayTest, MoveConstructionAndAssignmentTransferOwnership) {
    static_assert(!std::is_copy_constructible_v<OwnedArray>);
    static_assert(!std::is_copy_assignable_v<OwnedArray>);
    static_assert(std::is_nothrow_move_constructible_v<OwnedArray>);
    static_assert(std::is_nothrow_move_assignable_v<OwnedArray>);

    auto make = [](int64_t value, int* calls) {
        BatchBuilder builder(Schema{{"n", ColumnType::kBigInt}});
        builder.AppendInt64(0, value);
        ArrowArray raw{};
        builder.Finish(&raw);
        TrackRelease(&raw, calls);
        return OwnedArray(&raw);
    };
    int a_calls = 0;
    int b_calls = 0;
    OwnedArray a = make(1, &a_calls);
    OwnedArray b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
    EXPECT_TRUE(b.valid());
    EXPECT_EQ(a_calls, 0);

    OwnedArray c = make(2, &b_calls);
    c = std::move(b);  // c's own array (b_calls) is released, it now holds a's
    EXPECT_EQ(b_calls, 1);
    EXPECT_EQ(a_calls, 0);
    EXPECT_EQ(static_cast<const int64_t*>((*c).children[0]->buffers[1])[0], 1);

    OwnedArray& alias = c;
    c = std::move(alias);  // self-move keeps the array
    EXPECT_TRUE(c.valid());
    EXPECT_EQ(a_calls, 0);

    c.Reset();
    EXPECT_EQ(a_calls, 1);
    EXPECT_FALSE(c.valid());
    c.Reset();  // idempotent
    EXPECT_EQ(a_calls, 1);
}

TEST(OwnedArrayTest, ReleaseHandsTheArrayOnWithoutReleasingIt) {
    int calls = 0;
    BatchBuilder builder(Schema{{"n", ColumnType::kBigInt}});
    builder.AppendInt64(0, 9);
    OwnedArray owned;
    EXPECT_FALSE(owned.valid());
    builder.Finish(owned.get());
    TrackRelease(owned.get(), &calls);
    ArrowArray handed = owned.Release();
    EXPECT_FALSE(owned.valid());
    EXPECT_EQ(calls, 0);
    ASSERT_NE(handed.release, nullptr);
    handed.release(&handed);
    EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace jobber::sdk
