#include "jobber/sdk/columns.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "sdk_test_support.hpp"

namespace jobber::sdk {
namespace {

using testing::ExpectError;

// Arrow's metadata encoding, written out independently of the SDK's encoder.
std::string Metadata(const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::string out;
    auto put = [&out](int32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
    put(static_cast<int32_t>(pairs.size()));
    for (const auto& [key, value] : pairs) {
        put(static_cast<int32_t>(key.size()));
        out += key;
        put(static_cast<int32_t>(value.size()));
        out += value;
    }
    return out;
}

using Columns = std::vector<std::pair<const char*, const char*>>;

// A hand-built struct schema whose children the test controls completely.
struct HandSchema {
    std::vector<ArrowSchema> children;
    std::vector<ArrowSchema*> pointers;
    ArrowSchema root{};

    HandSchema(const HandSchema&) = delete;
    HandSchema& operator=(const HandSchema&) = delete;
    explicit HandSchema(Columns columns, std::vector<const char*> metadata = {}) {
        children.resize(columns.size());
        for (size_t i = 0; i < columns.size(); ++i) {
            children[i] = ArrowSchema{};
            children[i].name = columns[i].first;
            children[i].format = columns[i].second;
            children[i].metadata = i < metadata.size() ? metadata[i] : nullptr;
            pointers.push_back(&children[i]);
        }
        root.format = "+s";
        root.name = "";
        root.n_children = static_cast<int64_t>(columns.size());
        root.children = pointers.data();
    }
};

TEST(ColumnsTest, TypeNamesAndArrowFormatsMatchTheAbiTable) {
    struct Row {
        ColumnType type;
        const char* name;
        const char* format;
    };
    // The formats are fixed by jobber/abi/source.h.
    const Row rows[] = {{ColumnType::kBigInt, "BIGINT", "l"}, {ColumnType::kDecimal, "DECIMAL", "u"},
                        {ColumnType::kDouble, "DOUBLE", "g"}, {ColumnType::kTimestamp, "TIMESTAMP", "tsu:UTC"},
                        {ColumnType::kDate, "DATE", "tdD"},   {ColumnType::kBoolean, "BOOLEAN", "b"},
                        {ColumnType::kText, "TEXT", "u"}};
    for (const Row& row : rows) {
        EXPECT_STREQ(TypeName(row.type), row.name);
        EXPECT_STREQ(ArrowFormat(row.type), row.format);
    }
}

TEST(ExportSchemaTest, WritesANullableStructWithOneChildPerColumn) {
    const Schema schema{{"id", ColumnType::kBigInt},    {"amount", ColumnType::kDecimal},
                        {"ratio", ColumnType::kDouble}, {"at", ColumnType::kTimestamp},
                        {"day", ColumnType::kDate},     {"flag", ColumnType::kBoolean},
                        {"note", ColumnType::kText}};
    OwnedSchema out;
    ExportSchema(schema, out.get());
    const ArrowSchema& root = *out;
    ASSERT_NE(root.release, nullptr);
    EXPECT_STREQ(root.format, "+s");
    EXPECT_STREQ(root.name, "");
    EXPECT_EQ(root.metadata, nullptr);
    EXPECT_EQ(root.dictionary, nullptr);
    ASSERT_EQ(root.n_children, 7);
    const char* formats[] = {"l", "u", "g", "tsu:UTC", "tdD", "b", "u"};
    for (int64_t i = 0; i < root.n_children; ++i) {
        const ArrowSchema& child = *root.children[i];
        SCOPED_TRACE(child.name);
        EXPECT_STREQ(child.name, schema[static_cast<size_t>(i)].name.c_str());
        EXPECT_STREQ(child.format, formats[i]);
        EXPECT_EQ(child.flags, ARROW_FLAG_NULLABLE);  // every column is nullable
        EXPECT_EQ(child.n_children, 0);
        EXPECT_EQ(child.dictionary, nullptr);
        EXPECT_NE(child.release, nullptr);
        if (i != 1) {
            EXPECT_EQ(child.metadata, nullptr);
        }
    }
    // The decimal column carries exactly one pair, byte for byte.
    const std::string expected = Metadata({{"ARROW:extension:name", "jobber.decimal"}});
    ASSERT_NE(root.children[1]->metadata, nullptr);
    EXPECT_EQ(std::memcmp(root.children[1]->metadata, expected.data(), expected.size()), 0);
}

TEST(ExportSchemaTest, RoundTripsNamesWithQuotesUnicodeAndEmptyNames) {
    const Schema schema{{"plain", ColumnType::kText},
                        {"with \"double\" quotes", ColumnType::kBigInt},
                        {"it's", ColumnType::kDecimal},
                        {"naïve 列 🎉", ColumnType::kDate},
                        {"", ColumnType::kDouble},
                        {"semi;colon--comment", ColumnType::kTimestamp},
                        {"  spaced  ", ColumnType::kBoolean},
                        {"second decimal", ColumnType::kDecimal}};
    OwnedSchema out;
    ExportSchema(schema, out.get());
    EXPECT_EQ(ImportSchema(*out), schema);
}

TEST(ExportSchemaTest, EmptySchemaRoundTrips) {
    OwnedSchema out;
    ExportSchema(Schema{}, out.get());
    EXPECT_EQ((*out).n_children, 0);
    EXPECT_TRUE(ImportSchema(*out).empty());
}

TEST(ExportSchemaTest, ReleaseMarksTheSchemaReleasedAndIsSafeToRepeat) {
    ArrowSchema raw{};
    ExportSchema(Schema{{"a", ColumnType::kDecimal}, {"b", ColumnType::kText}}, &raw);
    ASSERT_NE(raw.release, nullptr);
    raw.release(&raw);
    EXPECT_EQ(raw.release, nullptr);
    detail::ReleaseSchema(&raw);  // a released schema is left alone
}

// Arrow lets a consumer move a child schema out and release the parent; the child then lives
// until its own release.
TEST(ExportSchemaTest, ChildMovedOutOfTheSchemaOutlivesItsParent) {
    ArrowSchema raw{};
    ExportSchema(Schema{{"keep me", ColumnType::kDecimal}, {"b", ColumnType::kText}}, &raw);
    ArrowSchema child = *raw.children[0];
    raw.children[0]->release = nullptr;
    raw.release(&raw);
    std::vector<std::string> churn(64, std::string(4096, '#'));
    EXPECT_STREQ(child.name, "keep me");
    EXPECT_STREQ(child.format, "u");
    child.release(&child);
    EXPECT_EQ(child.release, nullptr);
}

TEST(ImportSchemaTest, ReadsHandBuiltSchemas) {
    const std::string decimal = Metadata({{"ARROW:extension:name", "jobber.decimal"}});
    HandSchema in(
        Columns{{"n", "l"}, {"d", "u"}, {"t", "u"}, {"x", "g"}, {"ts", "tsu:UTC"}, {"day", "tdD"}, {"b", "b"}},
        {nullptr, decimal.data()});
    const Schema expected{{"n", ColumnType::kBigInt}, {"d", ColumnType::kDecimal},    {"t", ColumnType::kText},
                          {"x", ColumnType::kDouble}, {"ts", ColumnType::kTimestamp}, {"day", ColumnType::kDate},
                          {"b", ColumnType::kBoolean}};
    EXPECT_EQ(ImportSchema(in.root), expected);
}

TEST(ImportSchemaTest, FindsTheDecimalExtensionAmongOtherMetadata) {
    const std::string second = Metadata({{"comment", "money"}, {"ARROW:extension:name", "jobber.decimal"}});
    const std::string other = Metadata({{"ARROW:extension:name", "arrow.uuid"}});
    const std::string metadata_only = Metadata({{"ARROW:extension:metadata", "jobber.decimal"}});
    HandSchema in(Columns{{"a", "u"}, {"b", "u"}, {"c", "u"}}, {second.data(), other.data(), metadata_only.data()});
    const Schema schema = ImportSchema(in.root);
    ASSERT_EQ(schema.size(), 3u);
    EXPECT_EQ(schema[0].type, ColumnType::kDecimal);
    EXPECT_EQ(schema[1].type, ColumnType::kText);  // another extension is plain text to us
    EXPECT_EQ(schema[2].type, ColumnType::kText);  // only the extension *name* counts
}

TEST(ImportSchemaTest, RefusesUnsupportedColumnFormatsNamingTheColumn) {
    for (const char* format :
         {"i", "L", "f", "z", "U", "tsu:", "tsn:UTC", "tsu:Europe/Paris", "tdm", "d:10,2", "+l", "+s", "n", ""}) {
        SCOPED_TRACE(format);
        HandSchema in(Columns{{"ok", "l"}, {"bad \"col\"", format}});
        ExpectError([&] { ImportSchema(in.root); }, JOBBER_INVALID_ARGUMENT,
                    {"'bad \"col\"'", "unsupported Arrow format '" + std::string(format) + "'"});
    }
}

TEST(ImportSchemaTest, RefusesANullChildFormat) {
    HandSchema in(Columns{{"nothing", nullptr}});
    ExpectError([&] { ImportSchema(in.root); }, JOBBER_INVALID_ARGUMENT, {"'nothing'", "unsupported"});
}

TEST(ImportSchemaTest, RefusesATopLevelThatIsNotAStruct) {
    HandSchema in(Columns{{"a", "l"}});
    in.root.format = "l";
    ExpectError([&] { ImportSchema(in.root); }, JOBBER_INVALID_ARGUMENT, {"'+s'"});
    in.root.format = nullptr;
    ExpectError([&] { ImportSchema(in.root); }, JOBBER_INVALID_ARGUMENT, {"'+s'"});
}

TEST(OwnedSchemaTest, ReleasesOnResetAndDestruction) {
    static_assert(!std::is_copy_constructible_v<OwnedSchema>);
    static_assert(!std::is_copy_assignable_v<OwnedSchema>);
    OwnedSchema owned;
    EXPECT_EQ((*owned).release, nullptr);
    ExportSchema(Schema{{"a", ColumnType::kText}}, owned.get());
    EXPECT_NE((*owned).release, nullptr);
    owned.Reset();
    EXPECT_EQ((*owned).release, nullptr);
    EXPECT_EQ((*owned).format, nullptr);
    owned.Reset();  // idempotent
    // Re-filled after a reset; the destructor releases this one (checked under ASan).
    ExportSchema(Schema{{"b", ColumnType::kDecimal}}, owned.get());
    EXPECT_EQ(ImportSchema(*owned), (Schema{{"b", ColumnType::kDecimal}}));
}

}  // namespace
}  // namespace jobber::sdk
