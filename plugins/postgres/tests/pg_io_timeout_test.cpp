// A results server that stops answering (a stopped process, a wedged host: TCP still acknowledges) must fail the
// job within `io_timeout` instead of holding its worker forever, and leave the pool able to serve the next job.
// The test stops only its own backend process (SIGSTOP), so the shared server goes on serving other tests.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "jobber/sdk/error.hpp"
#include "pg_connection.hpp"
#include "pg_results.hpp"
#include "pg_source.hpp"
#include "pg_test_support.hpp"

namespace jobber::postgres {
namespace {

using testing::Args;
using testing::Psql;
using testing::TestSchema;
using Clock = std::chrono::steady_clock;

const sdk::Schema kWide = {{"n", sdk::ColumnType::kBigInt}, {"note", sdk::ColumnType::kText}};

// Rows of ~1 KiB each: a few batches fill the socket buffers of a server that stopped reading.
sdk::OwnedArray WideBatch(int rows) {
    sdk::BatchBuilder b(kWide);
    const std::string note(1000, 'x');
    for (int i = 0; i < rows; ++i) {
        b.AppendInt64(0, i);
        b.AppendText(1, note);
    }
    ArrowArray array{};
    b.Finish(&array);
    return sdk::OwnedArray(&array);
}

// SIGSTOPs a server process for the life of the object; SIGCONT however the test ends.
class StoppedProcess {
public:
    explicit StoppedProcess(int pid) : pid_(pid) { stopped_ = kill(pid_, SIGSTOP) == 0; }
    ~StoppedProcess() {
        if (stopped_) kill(pid_, SIGCONT);
    }
    StoppedProcess(const StoppedProcess&) = delete;
    StoppedProcess& operator=(const StoppedProcess&) = delete;
    bool stopped() const { return stopped_; }

private:
    int pid_;
    bool stopped_ = false;
};

class PgIoTimeoutTest : public ::testing::Test {
protected:
    void SetUp() override {
        JOBBER_REQUIRE_POSTGRES();
        schema_ = std::make_unique<TestSchema>();
        psql_ = std::make_unique<Psql>(schema_->dsn());
        // A name of this test's own, to find the writer's backend among every test's sessions.
        application_ = "jobber_io_" + schema_->name();
        dsn_ = schema_->dsn() + "&application_name=" + application_;
    }

    std::unique_ptr<PgResults> Open(std::vector<std::pair<std::string, std::string>> extra) {
        extra.emplace_back("dsn", dsn_);
        return std::make_unique<PgResults>(Args(extra));
    }

    // The backend of the writer's connection: the only one of this test's sessions inside a transaction.
    int WriterBackendPid() {
        for (int attempt = 0; attempt < 100; ++attempt) {
            const std::vector<std::string> pids =
                psql_->Rows("SELECT pid FROM pg_stat_activity WHERE application_name = '" + application_ +
                            "' AND xact_start IS NOT NULL");
            if (pids.size() == 1) return std::stoi(pids[0]);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ADD_FAILURE() << "cannot find the writer's backend";
        return 0;
    }

    // The one session of this test (a backend just opened, idle in the pool).
    int OnlyBackendPid() {
        const std::vector<std::string> pids =
            psql_->Rows("SELECT pid FROM pg_stat_activity WHERE application_name = '" + application_ + "'");
        EXPECT_EQ(pids.size(), 1u);
        return pids.empty() ? 0 : std::stoi(pids[0]);
    }

    // GET /ready must answer promptly about a server that stopped answering, whatever io_timeout says (the source
    // role has none at all: its queries may compute for hours).
    static void ExpectPingGivesUpWithinItsOwnBound(const std::function<void()>& ping) {
        const auto started = Clock::now();
        try {
            ping();
            ADD_FAILURE() << "the server is stopped; the ping must fail";
        } catch (const sdk::Error& e) {
            EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE) << e.what();
            EXPECT_NE(std::string(e.what()).find("ping of PostgreSQL at"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("did not answer within 5000 ms"), std::string::npos) << e.what();
        }
        const auto waited = Clock::now() - started;
        EXPECT_GE(waited, std::chrono::milliseconds(4900));
        EXPECT_LT(waited, std::chrono::seconds(10));
    }

    std::vector<std::string> Tables() {
        return psql_->Rows("SELECT tablename FROM pg_tables WHERE schemaname = '" + schema_->name() +
                           "' ORDER BY tablename");
    }

    // Waits until the server has rolled back the abandoned transaction (its session ended).
    void AwaitWriterGone() {
        for (int attempt = 0; attempt < 250; ++attempt) {
            if (psql_->One("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + application_ +
                           "' AND xact_start IS NOT NULL") == "0") {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ADD_FAILURE() << "the stalled writer's session never ended";
    }

    static void ExpectIoTimeout(const sdk::Error& e, const std::string& what) {
        EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE) << e.what();
        const std::string message = e.what();
        EXPECT_NE(message.find(what), std::string::npos) << message;
        EXPECT_NE(message.find("did not answer within 1000 ms (config key 'io_timeout')"), std::string::npos)
            << message;
    }

    std::unique_ptr<TestSchema> schema_;
    std::unique_ptr<Psql> psql_;
    std::string application_;
    std::string dsn_;
};

TEST_F(PgIoTimeoutTest, AServerThatStopsReadingFailsTheCopyAfterIoTimeout) {
    auto results = Open({{"io_timeout", "1000"}, {"replace_lock_timeout", "500"}});
    auto writer = results->Begin({"job-1", "report", 0}, kWide);
    StoppedProcess stopped(WriterBackendPid());
    if (!stopped.stopped()) GTEST_SKIP() << "cannot signal the server's processes from this user";
    const auto started = Clock::now();
    try {
        // 64 MiB at most; the kernel's buffers on loopback hold a few.
        for (int i = 0; i < 64; ++i) {
            auto batch = WideBatch(1000);
            writer->Write(sdk::BatchView(*batch, kWide));
        }
        writer->Commit();
        FAIL() << "the server stopped reading; the write must fail after io_timeout";
    } catch (const sdk::Error& e) {
        ExpectIoTimeout(e, "cannot write to result table 'report'");
    }
    const auto waited = Clock::now() - started;
    EXPECT_LT(waited, std::chrono::seconds(10));
    writer.reset();  // must not wait for the stopped server either
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(10));
}

TEST_F(PgIoTimeoutTest, AServerThatStopsAnsweringFailsThePublishAndKeepsTheOldTable) {
    auto results = Open({{"io_timeout", "1000"}, {"replace_lock_timeout", "500"}});
    {
        auto writer = results->Begin({"job-1", "report", 0}, kWide);
        auto batch = WideBatch(2);
        writer->Write(sdk::BatchView(*batch, kWide));
        writer->Commit();
    }
    auto writer = results->Begin({"job-2", "report", 0}, kWide);
    auto batch = WideBatch(5);
    writer->Write(sdk::BatchView(*batch, kWide));
    {
        StoppedProcess stopped(WriterBackendPid());
        if (!stopped.stopped()) GTEST_SKIP() << "cannot signal the server's processes from this user";
        const auto started = Clock::now();
        try {
            writer->Commit();
            FAIL() << "the server stopped answering; publishing must fail after io_timeout";
        } catch (const sdk::Error& e) {
            ExpectIoTimeout(e, "cannot publish result table 'report'");
        }
        EXPECT_LT(Clock::now() - started, std::chrono::seconds(10));
        writer.reset();
        EXPECT_LT(Clock::now() - started, std::chrono::seconds(10));
    }
    AwaitWriterGone();
    EXPECT_EQ(psql_->One("SELECT count(*) FROM report"), "2");
    EXPECT_EQ(psql_->One("SELECT job_id FROM _jobber_results WHERE table_name = 'report'"), "job-1");
    EXPECT_EQ(Tables(), (std::vector<std::string>{"_jobber_results", "report"}));

    // The timed-out connection was closed, not pooled: the next job gets a working one.
    auto again = results->Begin({"job-3", "report", 0}, kWide);
    auto three = WideBatch(3);
    again->Write(sdk::BatchView(*three, kWide));
    again->Commit();
    EXPECT_EQ(psql_->One("SELECT count(*) FROM report"), "3");
}

TEST_F(PgIoTimeoutTest, AResultsHealthCheckGivesUpAfterFiveSecondsNotIoTimeout) {
    auto results = Open({});  // io_timeout 60 s
    StoppedProcess stopped(OnlyBackendPid());
    if (!stopped.stopped()) GTEST_SKIP() << "cannot signal the server's processes from this user";
    ExpectPingGivesUpWithinItsOwnBound([&] { results->Ping(); });
}

TEST_F(PgIoTimeoutTest, ASourceHealthCheckGivesUpAfterFiveSeconds) {
    PgSource source(Args({{"dsn", dsn_}}));
    {
        StoppedProcess stopped(OnlyBackendPid());
        if (!stopped.stopped()) GTEST_SKIP() << "cannot signal the server's processes from this user";
        ExpectPingGivesUpWithinItsOwnBound([&] { source.Ping(); });
    }
    EXPECT_NO_THROW(source.Ping());  // the timed-out connection was closed; a fresh one answers
}

TEST_F(PgIoTimeoutTest, IoTimeoutMustExceedTheReplaceLockWait) {
    for (const auto& [io_timeout, lock_wait] :
         std::vector<std::pair<std::string, std::string>>{{"5000", "5000"}, {"5000", "0"}, {"1000", "10000"}}) {
        try {
            Open({{"io_timeout", io_timeout}, {"replace_lock_timeout", lock_wait}});
            ADD_FAILURE() << "io_timeout " << io_timeout << " with replace_lock_timeout " << lock_wait
                          << " must be refused";
        } catch (const sdk::Error& e) {
            EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT) << e.what();
            EXPECT_NE(std::string(e.what()).find("'replace_lock_timeout'"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("'io_timeout' (" + io_timeout + " ms)"), std::string::npos)
                << e.what();
        }
    }
    try {
        Open({{"io_timeout", "-1"}});
        ADD_FAILURE() << "a negative io_timeout must be refused";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT) << e.what();
        EXPECT_NE(std::string(e.what()).find("'io_timeout' must not be negative"), std::string::npos) << e.what();
    }
    // No limit at all, and the defaults, are fine.
    EXPECT_NO_THROW(Open({{"io_timeout", "0"}, {"replace_lock_timeout", "0"}}));
    EXPECT_NO_THROW(Open({}));
}

// The value libpq uses for `keyword` on an open connection.
std::string ConnectionOption(const PgConnection& connection, const std::string& keyword) {
    PQconninfoOption* options = PQconninfo(connection.handle());
    std::string value = "<unset>";
    for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
        if (keyword == o->keyword && o->val != nullptr) value = o->val;
    }
    PQconninfoFree(options);
    return value;
}

TEST_F(PgIoTimeoutTest, ConnectionsKeepAliveByDefaultAndTheDsnMayOverride) {
    ConnectionSettings settings;
    settings.dsn = dsn_;
    const PgConnection defaults(settings);
    EXPECT_EQ(ConnectionOption(defaults, "keepalives"), "1");
    EXPECT_EQ(ConnectionOption(defaults, "keepalives_idle"), "30");
    EXPECT_EQ(ConnectionOption(defaults, "keepalives_interval"), "10");
    EXPECT_EQ(ConnectionOption(defaults, "keepalives_count"), "3");

    settings.dsn = dsn_ + "&keepalives_idle=7&keepalives_count=2";
    const PgConnection overridden(settings);
    EXPECT_EQ(ConnectionOption(overridden, "keepalives_idle"), "7");
    EXPECT_EQ(ConnectionOption(overridden, "keepalives_count"), "2");
    EXPECT_EQ(ConnectionOption(overridden, "keepalives_interval"), "10");
}

}  // namespace
}  // namespace jobber::postgres
