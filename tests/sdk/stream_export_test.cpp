// detail::ExportStream: a plugin's RowStream as an ArrowArrayStream, errors as errno codes.
#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "jobber/sdk/plugin.hpp"

namespace jobber::sdk {
namespace {

// Stands in for garbage left in an out-parameter; it must be overwritten, never called.
void PoisonRelease(ArrowArray*) {
    ADD_FAILURE() << "a stale release callback was called";
}

// Produces `batches` batches of (n BIGINT, s TEXT), then the end; `fail` (when set) runs instead
// of the batch with index `fail_at`, and `schema_fail` instead of schema().
class FakeRowStream : public RowStream {
public:
    FakeRowStream(int batches, bool* destroyed) : batches_(batches), destroyed_(destroyed) {}
    ~FakeRowStream() override {
        if (destroyed_ != nullptr) *destroyed_ = true;
    }

    const Schema& schema() const override {
        if (schema_fail) schema_fail();
        return schema_;
    }

    bool Next(ArrowArray* out) override {
        if (fail && produced_ == fail_at) fail();
        if (produced_ == batches_) return false;
        BatchBuilder builder(schema_);
        for (int i = 0; i <= produced_; ++i) {
            builder.AppendInt64(0, produced_ * 100 + i);
            builder.AppendText(1, "batch " + std::to_string(produced_));
        }
        builder.Finish(out);
        ++produced_;
        return true;
    }

    std::function<void()> fail;
    int fail_at = 0;
    std::function<void()> schema_fail;

private:
    Schema schema_{{"n", ColumnType::kBigInt}, {"s", ColumnType::kText}};
    int batches_;
    int produced_ = 0;
    bool* destroyed_;
};

class StreamExportTest : public ::testing::Test {
protected:
    FakeRowStream* Export(int batches) {
        auto rows = std::make_unique<FakeRowStream>(batches, &destroyed_);
        FakeRowStream* raw = rows.get();
        detail::ExportStream(std::move(rows), &stream_);
        return raw;
    }
    void TearDown() override {
        if (stream_.release != nullptr) stream_.release(&stream_);
        EXPECT_TRUE(destroyed_) << "releasing the stream must destroy the RowStream";
    }
    std::string LastError() {
        const char* text = stream_.get_last_error(&stream_);
        return text != nullptr ? text : "<null>";
    }

    ArrowArrayStream stream_{};
    bool destroyed_ = false;
};

TEST_F(StreamExportTest, GetSchemaExportsTheRowStreamsSchema) {
    Export(0);
    OwnedSchema schema;
    ASSERT_EQ(stream_.get_schema(&stream_, schema.get()), 0);
    EXPECT_EQ(ImportSchema(*schema), (Schema{{"n", ColumnType::kBigInt}, {"s", ColumnType::kText}}));
    OwnedSchema again;
    ASSERT_EQ(stream_.get_schema(&stream_, again.get()), 0);  // may be asked more than once
    EXPECT_EQ((*again).n_children, 2);
    EXPECT_EQ(stream_.get_last_error(&stream_), nullptr);
}

TEST_F(StreamExportTest, GetNextYieldsEveryBatchThenAReleasedArrayAtTheEnd) {
    Export(3);
    const Schema schema{{"n", ColumnType::kBigInt}, {"s", ColumnType::kText}};
    for (int b = 0; b < 3; ++b) {
        OwnedArray batch;
        ASSERT_EQ(stream_.get_next(&stream_, batch.get()), 0);
        ASSERT_TRUE(batch.valid()) << "batch " << b;
        BatchView view(*batch, schema);
        ASSERT_EQ(view.rows(), b + 1);
        EXPECT_EQ(view.Int64(0, b), b * 100 + b);
        EXPECT_EQ(view.Text(1, 0), "batch " + std::to_string(b));
    }
    // End of stream: success with release == NULL, and it stays at the end.
    for (int i = 0; i < 2; ++i) {
        ArrowArray end;
        end.release = &PoisonRelease;  // garbage the producer must overwrite
        ASSERT_EQ(stream_.get_next(&stream_, &end), 0);
        EXPECT_EQ(end.release, nullptr);
    }
    EXPECT_EQ(stream_.get_last_error(&stream_), nullptr);
}

TEST_F(StreamExportTest, ReleaseDestroysTheRowStreamAndMarksTheStreamReleased) {
    Export(1);
    stream_.release(&stream_);
    EXPECT_EQ(stream_.release, nullptr);
    EXPECT_TRUE(destroyed_);
}

TEST_F(StreamExportTest, ReleaseMidStreamDestroysTheRowStream) {
    Export(5);
    OwnedArray batch;
    ASSERT_EQ(stream_.get_next(&stream_, batch.get()), 0);
    stream_.release(&stream_);
    EXPECT_TRUE(destroyed_);
    EXPECT_TRUE(batch.valid()) << "a batch handed out outlives its stream";
}

struct ErrnoCase {
    const char* name;
    std::function<void()> fail;
    int expected_errno;
    const char* expected_text;
};

std::vector<ErrnoCase> ErrnoCases() {
    return {
        {"cancelled", [] { throw Error(JOBBER_CANCELLED, "query 7 was cancelled"); }, ECANCELED,
         "query 7 was cancelled"},
        {"deadline", [] { throw Error(JOBBER_DEADLINE_EXCEEDED, "timeout after 5000 ms"); }, ETIMEDOUT,
         "timeout after 5000 ms"},
        {"invalid", [] { throw Error(JOBBER_INVALID_ARGUMENT, "bad parameter 2"); }, EINVAL, "bad parameter 2"},
        {"unavailable", [] { throw Error(JOBBER_UNAVAILABLE, "connection reset"); }, EAGAIN, "connection reset"},
        {"internal", [] { throw Error(JOBBER_INTERNAL, "invariant broken"); }, EIO, "invariant broken"},
        {"runtime_error", [] { throw std::runtime_error("driver said no"); }, EIO, "driver said no"},
        {"bad_alloc", [] { throw std::bad_alloc(); }, ENOMEM, "out of memory"},
        {"non_std", [] { throw 42; }, EIO, "plugin threw a non-standard exception"},
    };
}

TEST_F(StreamExportTest, NextErrorsMapToErrnoWithTheTextInGetLastError) {
    for (const ErrnoCase& c : ErrnoCases()) {
        SCOPED_TRACE(c.name);
        if (stream_.release != nullptr) stream_.release(&stream_);
        destroyed_ = false;
        FakeRowStream* rows = Export(3);
        rows->fail = c.fail;
        rows->fail_at = 1;
        OwnedArray first;
        ASSERT_EQ(stream_.get_next(&stream_, first.get()), 0);
        ArrowArray failed;
        failed.release = &PoisonRelease;
        EXPECT_EQ(stream_.get_next(&stream_, &failed), c.expected_errno);
        EXPECT_EQ(failed.release, nullptr) << "a failed get_next must not hand out an array";
        EXPECT_EQ(LastError(), c.expected_text);
    }
}

TEST_F(StreamExportTest, SchemaErrorsMapToErrnoWithTheTextInGetLastError) {
    for (const ErrnoCase& c : ErrnoCases()) {
        SCOPED_TRACE(c.name);
        if (stream_.release != nullptr) stream_.release(&stream_);
        destroyed_ = false;
        FakeRowStream* rows = Export(1);
        rows->schema_fail = c.fail;
        ArrowSchema schema{};
        EXPECT_EQ(stream_.get_schema(&stream_, &schema), c.expected_errno);
        EXPECT_EQ(schema.release, nullptr);
        EXPECT_EQ(LastError(), c.expected_text);
    }
}

TEST(StreamErrnoTest, ErrnoForMapsTheRetryableCodesApart) {
    EXPECT_EQ(detail::ErrnoFor(JOBBER_CANCELLED), ECANCELED);
    EXPECT_EQ(detail::ErrnoFor(JOBBER_DEADLINE_EXCEEDED), ETIMEDOUT);
    EXPECT_EQ(detail::ErrnoFor(JOBBER_INVALID_ARGUMENT), EINVAL);
    EXPECT_EQ(detail::ErrnoFor(JOBBER_UNAVAILABLE), EAGAIN);  // "a retry may help" survives the stream
    EXPECT_EQ(detail::ErrnoFor(JOBBER_NOT_FOUND), EIO);
    EXPECT_EQ(detail::ErrnoFor(JOBBER_INTERNAL), EIO);
}

}  // namespace
}  // namespace jobber::sdk
