// The ABI 1.0 generator source must keep loading and streaming rows through the host's
// SourceClient and RowStreamReader.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "jobber/plugin/broker_client.hpp"
#include "jobber/plugin/plugin_library.hpp"
#include "jobber/plugin/source_client.hpp"
#include "jobber/sdk/batch.hpp"
#include "loading_test_support.hpp"

namespace jobber::plugin {
namespace {

using jobber::sdk::BatchView;
using jobber::sdk::ColumnType;
using jobber::sdk::OwnedArray;
using testing::ExpectPluginError;
using testing::FixturePath;

std::shared_ptr<PluginLibrary> Generator() {
    static const std::shared_ptr<PluginLibrary> library = PluginLibrary::Load(FixturePath("abi_1_0_source"));
    return library;
}

jobber_value IntValue(int64_t v) {
    jobber_value value{};
    value.type = JOBBER_VALUE_INT64;
    value.int_value = v;
    return value;
}

jobber_value TextValue(const std::string& text) {
    jobber_value value{};
    value.type = JOBBER_VALUE_TEXT;
    value.text = text.c_str();
    value.text_size = text.size();
    return value;
}

QueryRequest Request(uint64_t id, std::vector<jobber_value> params, int64_t batch_rows) {
    QueryRequest request;
    request.query_id = id;
    request.task_name = "numbers";
    request.sql = "-- any text: the generator ignores it";
    request.params = std::move(params);
    request.batch_rows = batch_rows;
    return request;
}

// Reads the whole stream; returns the batch sizes and appends (n, label) pairs to `rows`.
std::vector<int64_t> Drain(RowStreamReader& reader, std::vector<std::pair<int64_t, std::string>>& rows) {
    std::vector<int64_t> sizes;
    OwnedArray batch;
    while (reader.Next(batch)) {
        BatchView view(*batch, reader.schema());
        sizes.push_back(view.rows());
        for (int64_t r = 0; r < view.rows(); ++r) {
            EXPECT_FALSE(view.IsNull(0, r));
            EXPECT_FALSE(view.IsNull(1, r));
            rows.emplace_back(view.Int64(0, r), std::string(view.Text(1, r)));
        }
    }
    return sizes;
}

TEST(Abi10SourceTest, LoadsWithItsManifest) {
    const Manifest& m = Generator()->manifest();
    EXPECT_EQ(m.name, "abi_1_0_source");
    EXPECT_EQ(m.abi_major, 1u);
    // Rebuilt from source it declares the SDK's current minor; the frozen binary of
    // frozen_abi_1_0_test.cpp is the one that stays 1.0.
    EXPECT_EQ(m.abi_minor, uint32_t{JOBBER_ABI_MINOR});
    EXPECT_EQ(m.version, "1.0.0");
    ASSERT_EQ(m.roles.size(), 1u);
    EXPECT_EQ(m.roles[0].role, JOBBER_ROLE_SOURCE);
    ASSERT_EQ(m.roles[0].fields.size(), 1u);
    EXPECT_EQ(m.roles[0].fields[0].name, "prefix");
    EXPECT_EQ(m.roles[0].fields[0].type, JOBBER_FIELD_STRING);
    EXPECT_TRUE(m.roles[0].fields[0].has_default);
    EXPECT_EQ(m.roles[0].fields[0].default_value, "row");
    EXPECT_FALSE(m.roles[0].fields[0].required);
}

TEST(Abi10SourceTest, StreamsTheRequestedRowsInBatches) {
    SourceClient source(Generator(), "gen", {});
    EXPECT_EQ(source.label(), "db 'gen' (abi_1_0_source)");
    EXPECT_EQ(source.Prepare("numbers", "SELECT ?", false), 1);
    auto reader = source.Execute(Request(1, {IntValue(25)}, 10));

    EXPECT_EQ(reader->schema(), (jobber::sdk::Schema{{"n", ColumnType::kBigInt}, {"label", ColumnType::kText}}));
    EXPECT_STREQ(reader->arrow_schema().format, "+s");
    ASSERT_EQ(reader->arrow_schema().n_children, 2);
    EXPECT_STREQ(reader->arrow_schema().children[1]->name, "label");

    std::vector<std::pair<int64_t, std::string>> rows;
    EXPECT_EQ(Drain(*reader, rows), (std::vector<int64_t>{10, 10, 5}));
    ASSERT_EQ(rows.size(), 25u);
    for (int64_t n = 1; n <= 25; ++n) {
        EXPECT_EQ(rows[static_cast<size_t>(n - 1)].first, n);
        EXPECT_EQ(rows[static_cast<size_t>(n - 1)].second, "row " + std::to_string(n));
    }
    OwnedArray after_end;
    EXPECT_FALSE(reader->Next(after_end)) << "the end of a stream stays the end";
}

TEST(Abi10SourceTest, UsesItsConfigAndTextParameters) {
    SourceClient source(Generator(), "gen", {{"prefix", "item"}});
    const std::string count = "3";
    auto reader = source.Execute(Request(2, {TextValue(count)}, 100));
    std::vector<std::pair<int64_t, std::string>> rows;
    EXPECT_EQ(Drain(*reader, rows), (std::vector<int64_t>{3}));
    EXPECT_EQ(rows, (std::vector<std::pair<int64_t, std::string>>{{1, "item 1"}, {2, "item 2"}, {3, "item 3"}}));
}

TEST(Abi10SourceTest, ZeroRowsIsAnEmptyStreamWithASchema) {
    SourceClient source(Generator(), "gen", {});
    auto reader = source.Execute(Request(3, {IntValue(0)}, 10));
    EXPECT_EQ(reader->schema().size(), 2u);
    OwnedArray batch;
    EXPECT_FALSE(reader->Next(batch));
}

TEST(Abi10SourceTest, SeveralStreamsOfOneInstanceAreIndependent) {
    SourceClient source(Generator(), "gen", {});
    auto a = source.Execute(Request(4, {IntValue(3)}, 2));
    auto b = source.Execute(Request(5, {IntValue(4)}, 3));
    std::vector<std::pair<int64_t, std::string>> rows_a;
    std::vector<std::pair<int64_t, std::string>> rows_b;
    OwnedArray batch;
    ASSERT_TRUE(a->Next(batch));
    EXPECT_EQ(Drain(*b, rows_b), (std::vector<int64_t>{3, 1}));
    EXPECT_EQ(Drain(*a, rows_a), (std::vector<int64_t>{1}));
    EXPECT_EQ(rows_b.size(), 4u);
    ASSERT_EQ(rows_a.size(), 1u);
    EXPECT_EQ(rows_a[0].first, 3);
}

TEST(Abi10SourceTest, BadParametersAreInvalidArgument) {
    SourceClient source(Generator(), "gen", {});
    ExpectPluginError([&] { source.Execute(Request(6, {}, 10)); }, JOBBER_INVALID_ARGUMENT,
                      {"db 'gen' (abi_1_0_source): execute failed: ", "row count as the first parameter"});
    ExpectPluginError([&] { source.Execute(Request(7, {IntValue(-1)}, 10)); }, JOBBER_INVALID_ARGUMENT,
                      {"must not be negative"});
    const std::string words = "many";
    ExpectPluginError([&] { source.Execute(Request(8, {TextValue(words)}, 10)); }, JOBBER_INVALID_ARGUMENT,
                      {"'many' is not an integer"});
}

TEST(Abi10SourceTest, CancelStopsARunningStream) {
    SourceClient source(Generator(), "gen", {});
    auto reader = source.Execute(Request(42, {IntValue(100)}, 10));
    OwnedArray batch;
    ASSERT_TRUE(reader->Next(batch));
    source.Cancel(42);
    ExpectPluginError([&] { reader->Next(batch); }, JOBBER_CANCELLED,
                      {"db 'gen' (abi_1_0_source): reading rows failed: ", "generator query 42 was cancelled"});
    source.Cancel(9999);  // not running: OK
    source.Ping();
}

TEST(Abi10SourceTest, AClientForARoleThePluginLacksIsRefused) {
    ExpectPluginError([&] { BrokerClient broker(Generator(), "b", {}); }, JOBBER_INVALID_ARGUMENT,
                      {"broker 'b' (abi_1_0_source) is not a broker"});
}

}  // namespace
}  // namespace jobber::plugin
