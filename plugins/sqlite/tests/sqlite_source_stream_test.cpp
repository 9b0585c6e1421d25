// Batching: rows and bytes per batch, and flat memory on large results.
#include <gtest/gtest.h>

#include <algorithm>

#include "sqlite_row_stream.hpp"
#include "sqlite_source.hpp"
#include "test_support.hpp"

namespace jobber::sqlite {
namespace {

using testing::BatchBytes;
using testing::Db;
using testing::MakeQuery;
using testing::TempDir;

class SqliteStreamTest : public ::testing::Test {
protected:
    void SetUp() override { path_ = dir_.File("stream.db"); }

    std::unique_ptr<SqliteSource> Open() { return std::make_unique<SqliteSource>(testing::Args({{"dsn", path_}})); }

    TempDir dir_;
    std::string path_;
};

TEST_F(SqliteStreamTest, BatchesHoldBatchRowsRows) {
    Db(path_).Exec(
        "CREATE TABLE numbers (n INTEGER, label TEXT);"
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 25000) "
        "INSERT INTO numbers SELECT x, 'row ' || x FROM c;");
    auto source = Open();
    auto query = MakeQuery("numbers", "SELECT n, label FROM numbers ORDER BY n");
    query.batch_rows = 1000;
    auto stream = source->Execute(query);
    auto batches = testing::Drain(*stream);
    ASSERT_EQ(batches.size(), 25u);
    int64_t expected = 1;
    for (auto& batch : batches) {
        sdk::BatchView view(*batch, stream->schema());
        ASSERT_EQ(view.rows(), 1000);
        for (int64_t r = 0; r < view.rows(); ++r, ++expected) {
            ASSERT_EQ(view.Int64(0, r), expected);
            ASSERT_EQ(view.Text(1, r), "row " + std::to_string(expected));
        }
    }
    EXPECT_EQ(expected, 25001);
}

TEST_F(SqliteStreamTest, WideValuesCutBatchesByBytes) {
    // 20 rows of 1 MiB each: a batch passes 8 MiB on its 8th row, whatever batch_rows says.
    Db(path_).Exec(
        "CREATE TABLE blobs (id INTEGER, body TEXT);"
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20) "
        "INSERT INTO blobs SELECT x, hex(zeroblob(524288)) FROM c;");
    auto source = Open();
    auto query = MakeQuery("blobs", "SELECT id, body FROM blobs ORDER BY id");
    query.batch_rows = 10000;
    auto stream = source->Execute(query);
    auto batches = testing::Drain(*stream);
    std::vector<int64_t> sizes;
    for (auto& batch : batches) sizes.push_back((*batch).length);
    EXPECT_EQ(sizes, (std::vector<int64_t>{8, 8, 4}));
    for (auto& batch : batches) {
        sdk::BatchView view(*batch, stream->schema());
        EXPECT_EQ(view.Text(1, 0).size(), 1048576u);
    }
}

TEST_F(SqliteStreamTest, AMillionRowsStreamInBoundedBatches) {
    Db(path_).Exec(
        "CREATE TABLE big (id INTEGER PRIMARY KEY, user_id TEXT, amount REAL, created_at TIMESTAMP);"
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) "
        "INSERT INTO big SELECT x, 'USER' || (x % 20), x / 100.0, '2017-01-01 00:00:00' FROM c;");
    auto source = Open();
    auto query = MakeQuery("big", "SELECT * FROM big");
    query.batch_rows = 10000;
    auto stream = source->Execute(query);
    int64_t rows = 0;
    size_t batches = 0;
    size_t largest = 0;
    int64_t id_sum = 0;
    for (;;) {
        ArrowArray array{};
        if (!stream->Next(&array)) break;
        // Each batch is released before the next is pulled, as the host does.
        sdk::OwnedArray batch(&array);
        sdk::BatchView view(*batch, stream->schema());
        largest = std::max(largest, BatchBytes(*batch, stream->schema()));
        rows += view.rows();
        for (int64_t r = 0; r < view.rows(); ++r) id_sum += view.Int64(0, r);
        ++batches;
    }
    EXPECT_EQ(rows, 1000000);
    EXPECT_EQ(id_sum, int64_t{1000000} * 1000001 / 2);
    EXPECT_EQ(batches, 100u);
    // 10,000 rows of about 8 + 4 + 6 + 8 + 8 bytes: far below a megabyte per batch.
    EXPECT_LT(largest, size_t{1} << 20);
    EXPECT_LE(largest, kMaxBatchBytes);
}

}  // namespace
}  // namespace jobber::sqlite
