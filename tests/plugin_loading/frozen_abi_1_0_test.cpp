// The frozen ABI 1.0 plugin binary (tests/fixtures/prebuilt, never rebuilt) must keep loading into
// this host and streaming rows: the compatibility promise of ABI 1.x, checked on a real old binary
// rather than on a rebuild from today's headers.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jobber/plugin/plugin_library.hpp"
#include "jobber/plugin/source_client.hpp"
#include "jobber/sdk/batch.hpp"
#include "loading_test_support.hpp"

namespace jobber::plugin {
namespace {

using jobber::sdk::BatchView;
using jobber::sdk::OwnedArray;
using testing::ExpectPluginError;

std::string FrozenPath() {
    return std::string(JOBBER_TEST_PREBUILT_FIXTURE_DIR) + "/libjobber_abi_1_0_source.so";
}

std::shared_ptr<PluginLibrary> Frozen() {
    static const std::shared_ptr<PluginLibrary> library = PluginLibrary::Load(FrozenPath());
    return library;
}

QueryRequest Count(uint64_t id, int64_t rows, int64_t batch_rows) {
    QueryRequest request;
    request.query_id = id;
    request.task_name = "numbers";
    request.sql = "-- ignored by the generator";
    jobber_value value{};
    value.type = JOBBER_VALUE_INT64;
    value.int_value = rows;
    request.params = {value};
    request.batch_rows = batch_rows;
    return request;
}

TEST(FrozenAbi10Test, TheCommittedBinaryIsThere) {
    ASSERT_TRUE(std::filesystem::exists(FrozenPath()))
        << FrozenPath() << " is missing; it is committed, see tests/fixtures/prebuilt/README.md";
}

TEST(FrozenAbi10Test, LoadsWithItsAbi10Manifest) {
    const Manifest& m = Frozen()->manifest();
    EXPECT_EQ(m.name, "abi_1_0_source");
    EXPECT_EQ(m.abi_major, 1u);
    EXPECT_EQ(m.abi_minor, 0u);
    EXPECT_EQ(m.version, "1.0.0");
    ASSERT_EQ(m.roles.size(), 1u);
    EXPECT_EQ(m.roles[0].role, JOBBER_ROLE_SOURCE);
    ASSERT_EQ(m.roles[0].fields.size(), 1u);
    EXPECT_EQ(m.roles[0].fields[0].name, "prefix");
    EXPECT_EQ(m.roles[0].fields[0].default_value, "row");
    EXPECT_NE(m.build_info.find("12.2.0"), std::string::npos) << "not the frozen build: " << m.build_info;
}

TEST(FrozenAbi10Test, StreamsRowsInBatches) {
    SourceClient source(Frozen(), "frozen", {{"prefix", "old"}});
    EXPECT_EQ(source.Prepare("numbers", "SELECT ?", false), 1);
    auto reader = source.Execute(Count(1, 25, 10));
    std::vector<int64_t> sizes;
    std::vector<std::pair<int64_t, std::string>> rows;
    OwnedArray batch;
    while (reader->Next(batch)) {
        BatchView view(*batch, reader->schema());
        sizes.push_back(view.rows());
        for (int64_t r = 0; r < view.rows(); ++r) rows.emplace_back(view.Int64(0, r), std::string(view.Text(1, r)));
    }
    EXPECT_EQ(sizes, (std::vector<int64_t>{10, 10, 5}));
    ASSERT_EQ(rows.size(), 25u);
    for (int64_t n = 1; n <= 25; ++n) {
        EXPECT_EQ(rows[static_cast<size_t>(n - 1)], std::make_pair(n, "old " + std::to_string(n)));
    }
}

TEST(FrozenAbi10Test, CancelAndErrorsStillCrossTheBoundary) {
    SourceClient source(Frozen(), "frozen", {});
    auto reader = source.Execute(Count(7, 100, 10));
    OwnedArray batch;
    ASSERT_TRUE(reader->Next(batch));
    source.Cancel(7);
    ExpectPluginError([&] { reader->Next(batch); }, JOBBER_CANCELLED, {"generator query 7 was cancelled"});
    ExpectPluginError([&] { source.Execute(Count(8, -1, 10)); }, JOBBER_INVALID_ARGUMENT, {"must not be negative"});
    source.Ping();
}

}  // namespace
}  // namespace jobber::plugin
