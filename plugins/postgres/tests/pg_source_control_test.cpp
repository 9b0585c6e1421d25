// Cancel, timeouts, abandoned streams and broken connections, against a real server.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "jobber/sdk/error.hpp"
#include "pg_source.hpp"
#include "pg_test_support.hpp"

namespace jobber::postgres {
namespace {

using namespace std::chrono_literals;
using testing::Args;
using testing::Drain;
using testing::MakeQuery;
using testing::Psql;
using testing::Rows;
using testing::TestSchema;
using testing::WaitUntil;

class PgSourceControlTest : public ::testing::Test {
protected:
    void SetUp() override {
        JOBBER_REQUIRE_POSTGRES();
        schema_ = std::make_unique<TestSchema>();
        psql_ = std::make_unique<Psql>(testing::ServerUri());
        // One connection: every query runs on it, so "the connection is reused" is observable.
        source_ = std::make_unique<PgSource>(Args({{"dsn", schema_->dsn()}, {"max_connections", "1"}}));
    }

    // The backend pid of the source's (only) connection.
    std::string BackendPid() {
        auto stream = source_->Execute(MakeQuery("pid", "SELECT pg_backend_pid() AS pid"));
        return Rows(Drain(*stream), stream->schema()).at(0);
    }

    // How many sessions run `marker` right now (the marker is a comment inside the query).
    int Running(const std::string& marker) {
        return std::stoi(psql_->One("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%" +
                                    marker + "%' AND pid <> pg_backend_pid()"));
    }

    std::unique_ptr<TestSchema> schema_;
    std::unique_ptr<Psql> psql_;
    std::unique_ptr<PgSource> source_;
};

TEST_F(PgSourceControlTest, CancelStopsTheQueryInTheServerAndKeepsTheConnection) {
    const std::string pid = BackendPid();
    const std::string sql = "SELECT pg_sleep(30) /* cancel-me */";
    auto running = std::async(std::launch::async, [&] {
        try {
            source_->Execute(MakeQuery("sleep", sql, 42));
            return std::string("no error");
        } catch (const sdk::Error& e) {
            return std::string(sdk::CodeName(e.code())) + ": " + e.what();
        }
    });
    ASSERT_TRUE(WaitUntil([&] { return Running("cancel-me") == 1; }, 5s));
    const auto cancelled_at = std::chrono::steady_clock::now();
    source_->Cancel(42);
    ASSERT_EQ(running.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(running.get(), "CANCELLED: query cancelled");
    EXPECT_TRUE(WaitUntil([&] { return Running("cancel-me") == 0; }, 1s));
    EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, 1s);
    EXPECT_EQ(BackendPid(), pid);  // the same connection, usable
    source_->Cancel(42);           // no longer running: a no-op
}

TEST_F(PgSourceControlTest, CancelBetweenBatchesFailsTheNextOne) {
    auto query = MakeQuery("endless", "SELECT generate_series(1, 1000000000) AS n /* endless */", 7);
    query.batch_rows = 1000;
    auto stream = source_->Execute(query);
    ArrowArray batch{};
    ASSERT_TRUE(stream->Next(&batch));
    sdk::OwnedArray owned(&batch);
    source_->Cancel(7);
    try {
        for (int i = 0; i < 100000 && stream->Next(&batch); ++i) sdk::OwnedArray more(&batch);
        FAIL() << "expected the stream to fail";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_CANCELLED);
    }
    stream.reset();
    EXPECT_EQ(Running("endless"), 0);
    EXPECT_EQ(BackendPid().empty(), false);
}

TEST_F(PgSourceControlTest, TimeoutCancelsTheQuery) {
    auto query = MakeQuery("sleep", "SELECT pg_sleep(30) /* too-slow */");
    query.timeout_ms = 300;
    const auto started = std::chrono::steady_clock::now();
    try {
        source_->Execute(query);
        FAIL() << "expected a timeout";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_DEADLINE_EXCEEDED);
        EXPECT_STREQ(e.what(), "query exceeded its timeout of 300ms and was cancelled");
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_EQ(Running("too-slow"), 0);
}

TEST_F(PgSourceControlTest, CancelWhileWaitingForAConnectionEndsTheWait) {
    auto busy = source_->Execute(MakeQuery("endless", "SELECT generate_series(1, 1000000000) AS n", 1));
    auto waiting = std::async(std::launch::async, [&] {
        try {
            source_->Execute(MakeQuery("second", "SELECT 1", 2));
            return std::string("no error");
        } catch (const sdk::Error& e) {
            return std::string(sdk::CodeName(e.code()));
        }
    });
    std::this_thread::sleep_for(100ms);
    source_->Cancel(2);
    ASSERT_EQ(waiting.wait_for(2s), std::future_status::ready);
    EXPECT_EQ(waiting.get(), "CANCELLED");
}

TEST_F(PgSourceControlTest, AbandonedStreamStopsItsQueryAndFreesTheConnection) {
    const std::string pid = BackendPid();
    auto query = MakeQuery("endless", "SELECT generate_series(1, 1000000000) AS n /* abandoned */");
    query.batch_rows = 100;
    auto stream = source_->Execute(query);
    ArrowArray batch{};
    ASSERT_TRUE(stream->Next(&batch));
    sdk::OwnedArray owned(&batch);
    const auto released_at = std::chrono::steady_clock::now();
    stream.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - released_at, 2s);
    EXPECT_EQ(Running("abandoned"), 0);
    EXPECT_EQ(BackendPid(), pid);
}

TEST_F(PgSourceControlTest, ConnectionKilledByTheServerIsReplaced) {
    const std::string pid = BackendPid();
    psql_->Exec("SELECT pg_terminate_backend(" + pid + ")");
    ASSERT_TRUE(
        WaitUntil([&] { return psql_->One("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) == "0"; }, 5s));
    const std::string replaced = BackendPid();
    EXPECT_NE(replaced, pid);
    EXPECT_FALSE(replaced.empty());
}

}  // namespace
}  // namespace jobber::postgres
