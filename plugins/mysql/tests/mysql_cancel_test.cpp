// Cancel and timeouts: KILL QUERY from a side connection stops the query in the server, the
// stream fails with CANCELLED / DEADLINE_EXCEEDED, and the pool keeps working.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "jobber/sdk/error.hpp"
#include "mysql_source.hpp"
#include "test_support.hpp"

namespace jobber::mysql {
namespace {

using namespace testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class MysqlCancelTest : public ::testing::Test {
protected:
    void SetUp() override {
        JOBBER_REQUIRE_MYSQL();
        admin_ = std::make_unique<Admin>(SourceDsn());
        source_ = std::make_unique<MysqlSource>(Args({{"dsn", SourceDsn()}, {"max_connections", "1"}}));
        marker_ = UniqueName("cancel");
    }

    // A query the processlist can tell apart from other tests' queries.
    std::string SleepSql(int seconds) const {
        return "SELECT SLEEP(" + std::to_string(seconds) + ") AS slept, '" + marker_ + "' AS marker";
    }

    // Waits until no query carrying the marker runs in the server; returns how long that took.
    std::chrono::milliseconds WaitUntilGone(std::chrono::milliseconds limit) {
        const auto start = Clock::now();
        while (Clock::now() - start < limit && admin_->RunningQueries(marker_) > 0) std::this_thread::sleep_for(20ms);
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    }

    void WaitUntilRunning() {
        const auto start = Clock::now();
        while (Clock::now() - start < 5s && admin_->RunningQueries(marker_) == 0) std::this_thread::sleep_for(10ms);
        ASSERT_EQ(admin_->RunningQueries(marker_), 1) << "the query never showed up in the processlist";
    }

    void ExpectPoolHealthy() {
        auto stream = source_->Execute(MakeQuery("after", "SELECT 42 AS answer", 999));
        const auto batches = Drain(*stream);
        EXPECT_EQ(AllRows(batches, stream->schema()), std::vector<std::string>{"42"});
        EXPECT_LE(source_->open_connections(), 1u);
    }

    std::unique_ptr<Admin> admin_;
    std::unique_ptr<MysqlSource> source_;
    std::string marker_;
};

TEST_F(MysqlCancelTest, CancelKillsASleepingQueryInTheServer) {
    const std::string sql = SleepSql(30);
    auto run = std::async(std::launch::async, [&] {
        sdk::Query query = MakeQuery("sleep30", sql, 5);
        auto stream = source_->Execute(query);
        Drain(*stream);
    });
    WaitUntilRunning();
    const auto cancelled_at = Clock::now();
    source_->Cancel(5);
    try {
        run.get();
        FAIL() << "the cancelled query finished normally";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_CANCELLED) << e.what();
        EXPECT_NE(std::string(e.what()).find("cancelled"), std::string::npos) << e.what();
    }
    EXPECT_LT(Clock::now() - cancelled_at, 1s);
    EXPECT_LT(WaitUntilGone(2s), 1s) << "the query was still in SHOW PROCESSLIST";
    ExpectPoolHealthy();
}

TEST_F(MysqlCancelTest, CancelBetweenBatchesStopsTheStream) {
    const std::string sql = "SELECT SLEEP(0.001) AS s, '" + marker_ +
                            "' AS marker FROM information_schema.COLUMNS a,"
                            " information_schema.COLLATIONS b";
    sdk::Query query = MakeQuery("many", sql, 6);
    query.batch_rows = 10;
    auto stream = source_->Execute(query);
    ArrowArray first{};
    ASSERT_TRUE(stream->Next(&first));
    sdk::OwnedArray owned(&first);
    source_->Cancel(6);
    try {
        for (ArrowArray next{}; stream->Next(&next); next = ArrowArray{}) sdk::OwnedArray discard(&next);
        FAIL() << "the stream ended normally after a cancel";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_CANCELLED) << e.what();
    }
    stream.reset();
    EXPECT_LT(WaitUntilGone(2s), 1s);
    ExpectPoolHealthy();
}

TEST_F(MysqlCancelTest, TimeoutKillsTheQuery) {
    const std::string sql = SleepSql(30);
    sdk::Query query = MakeQuery("slow", sql, 7);
    query.timeout_ms = 300;
    const auto start = Clock::now();
    try {
        auto stream = source_->Execute(query);
        Drain(*stream);
        FAIL() << "the query outlived its timeout";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_DEADLINE_EXCEEDED) << e.what();
        EXPECT_NE(std::string(e.what()).find("timeout of 300ms"), std::string::npos) << e.what();
    }
    const auto elapsed = Clock::now() - start;
    EXPECT_GE(elapsed, 300ms);
    EXPECT_LT(elapsed, 1500ms);
    EXPECT_LT(WaitUntilGone(2s), 1s);
    ExpectPoolHealthy();
}

TEST_F(MysqlCancelTest, ReleasingAnUnreadStreamKillsTheQueryInsteadOfDrainingIt) {
    const std::string sql = "SELECT a.COLUMN_NAME, '" + marker_ +
                            "' AS marker FROM information_schema.COLUMNS a, information_schema.COLUMNS b,"
                            " information_schema.COLUMNS c";
    sdk::Query query = MakeQuery("huge", sql, 8);
    query.batch_rows = 100;
    auto stream = source_->Execute(query);
    ArrowArray first{};
    ASSERT_TRUE(stream->Next(&first));
    sdk::OwnedArray owned(&first);
    ASSERT_EQ(admin_->RunningQueries(marker_), 1) << "the big query should still be sending rows";
    const auto start = Clock::now();
    stream.reset();
    EXPECT_LT(Clock::now() - start, 1s) << "releasing the stream read the rest of the result";
    EXPECT_LT(WaitUntilGone(2s), 1s);
    ExpectPoolHealthy();
}

TEST_F(MysqlCancelTest, CancelWhileWaitingForAConnection) {
    // max_connections is 1: hold it with one stream, then cancel a second query waiting for it.
    auto holder = source_->Execute(MakeQuery("holder", "SELECT 1 AS one", 10));
    auto waiting = std::async(std::launch::async, [&] { source_->Execute(MakeQuery("waiter", "SELECT 2", 11)); });
    std::this_thread::sleep_for(100ms);
    source_->Cancel(11);
    try {
        waiting.get();
        FAIL() << "the waiting query got a connection";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_CANCELLED) << e.what();
    }
    Drain(*holder);
    holder.reset();
    ExpectPoolHealthy();
}

TEST_F(MysqlCancelTest, CancelOfAnUnknownQueryIsANoOp) {
    source_->Cancel(123456);
    ExpectPoolHealthy();
}

TEST_F(MysqlCancelTest, CancelAfterTheLastRowStillReportsCancelled) {
    // A killed SLEEP returns 1 without an error: the plugin's flag decides, not the server.
    const std::string sql = SleepSql(0);
    auto stream = source_->Execute(MakeQuery("quick", sql, 12));
    source_->Cancel(12);
    EXPECT_THROW(Drain(*stream), sdk::Error);
    stream.reset();
    ExpectPoolHealthy();
}

}  // namespace
}  // namespace jobber::mysql
