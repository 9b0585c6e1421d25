// The results backend against a real MariaDB server, for both write methods: column types, values
// of every type, NULLs, unicode and escapes, zero rows, atomic publish and replace, rollback,
// drop and sweep, identifier limits.
#include "mysql_results.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/time.hpp"
#include "mysql_source.hpp"
#include "test_support.hpp"

namespace jobber::mysql {
namespace {

using namespace testing;

const sdk::Schema kAllTypes = {{"i", sdk::ColumnType::kBigInt}, {"dec", sdk::ColumnType::kDecimal},
                               {"d", sdk::ColumnType::kDouble}, {"ts", sdk::ColumnType::kTimestamp},
                               {"day", sdk::ColumnType::kDate}, {"flag", sdk::ColumnType::kBoolean},
                               {"note", sdk::ColumnType::kText}};

int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class MysqlResultsTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        JOBBER_REQUIRE_MYSQL();
        admin_ = std::make_unique<Admin>(ResultsDsn());
        results_ = std::make_unique<MysqlResults>(Args({{"dsn", ResultsDsn()}, {"write_method", GetParam()}}));
    }
    void TearDown() override {
        if (admin_ == nullptr) return;
        for (const auto& table : tables_) {
            admin_->Exec("DROP TABLE IF EXISTS `" + table + "`");
            admin_->Exec("DELETE FROM _jobber_results WHERE table_name = '" + table + "'");
        }
    }
    std::string Table(const std::string& prefix) {
        tables_.push_back(UniqueName(prefix));
        return tables_.back();
    }
    sdk::ResultsTarget Target(const std::string& table, int64_t expires = 0) {
        return sdk::ResultsTarget{"job-" + table, table, expires};
    }
    // Temporary or retired tables of this test's job that still exist or are still listed. Other
    // tests run in parallel on the same database, so only this job's are counted: every such
    // table is recorded under the job's id before it is created.
    int PluginTables(const std::string& table) {
        const std::string job = "job-" + table;
        return std::stoi(admin_->One("SELECT COUNT(*) FROM _jobber_results WHERE job_id = '" + job +
                                     "' AND table_name LIKE '\\_jobber\\_%'")) +
               std::stoi(admin_->One("SELECT COUNT(*) FROM information_schema.TABLES t JOIN _jobber_results r ON "
                                     "r.table_name = t.TABLE_NAME WHERE t.TABLE_SCHEMA = DATABASE() AND r.job_id = '" +
                                     job + "' AND t.TABLE_NAME LIKE '\\_jobber\\_%'"));
    }
    bool Exists(const std::string& table) {
        return admin_->One(
                   "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                   "TABLE_NAME = '" +
                   table + "'") == "1";
    }
    static void Write(sdk::ResultsWriter& writer, sdk::BatchBuilder& builder) {
        ArrowArray array{};
        builder.Finish(&array);
        sdk::OwnedArray owned(&array);
        writer.Write(sdk::BatchView(*owned, builder.schema()));
    }

    std::unique_ptr<Admin> admin_;
    std::unique_ptr<MysqlResults> results_;
    std::vector<std::string> tables_;
};

TEST_P(MysqlResultsTest, WritesEveryTypeNullsUnicodeAndEscapes) {
    const std::string table = Table("all_types");
    auto writer = results_->Begin(Target(table), kAllTypes);
    sdk::BatchBuilder builder(kAllTypes);
    static const char kTricky[] = "tab\there\nnew \\N back\\slash nul\0end \xf0\x9f\x98\x80";
    const std::string tricky(kTricky, sizeof(kTricky) - 1);
    builder.AppendInt64(0, std::numeric_limits<int64_t>::min());
    builder.AppendText(1, "-12345678901234567890.123456789");
    builder.AppendDouble(2, 0.1);
    builder.AppendInt64(3, *sdk::ParseTimestamp("2024-02-29 13:14:15.123456"));
    builder.AppendDate(4, *sdk::ParseDate("1000-01-01"));
    builder.AppendBool(5, true);
    builder.AppendText(6, tricky);
    for (size_t c = 0; c < kAllTypes.size(); ++c) builder.AppendNull(c);
    builder.AppendInt64(0, 7);
    builder.AppendText(1, "0");
    builder.AppendDouble(2, std::numeric_limits<double>::infinity());  // MySQL has none: stored as NULL
    builder.AppendInt64(3, 0);
    builder.AppendDate(4, *sdk::ParseDate("9999-12-31"));
    builder.AppendBool(5, false);
    builder.AppendText(6, "");
    Write(*writer, builder);
    EXPECT_FALSE(Exists(table)) << "the final name appeared before commit";
    writer->Commit();
    writer.reset();

    EXPECT_EQ(admin_->Lines("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                            "DATABASE() AND TABLE_NAME = '" +
                            table + "' ORDER BY ORDINAL_POSITION"),
              (std::vector<std::string>{"i|bigint(20)", "dec|decimal(65,30)", "d|double", "ts|datetime(6)", "day|date",
                                        "flag|tinyint(1)", "note|longtext"}));
    const auto rows = admin_->Lines("SELECT i, `dec`, d, ts, `day`, flag, note FROM `" + table + "` ORDER BY i");
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0], "NULL|NULL|NULL|NULL|NULL|NULL|NULL");
    EXPECT_EQ(rows[1],
              "-9223372036854775808|-12345678901234567890.123456789000000000000000000000|0.1|"
              "2024-02-29 13:14:15.123456|1000-01-01|1|" +
                  tricky);
    EXPECT_EQ(rows[2], "7|0.000000000000000000000000000000|NULL|1970-01-01 00:00:00.000000|9999-12-31|0|");
    EXPECT_EQ(
        admin_->One("SELECT CONCAT(job_id, '|', state, '|', expires_at) FROM _jobber_results WHERE table_name = '" +
                    table + "'"),
        "job-" + table + "|ready|0");
    EXPECT_EQ(PluginTables(table), 0);
}

TEST_P(MysqlResultsTest, ZeroRowsGiveAnEmptyTable) {
    const std::string table = Table("zero");
    auto writer = results_->Begin(Target(table), kAllTypes);
    writer->Commit();
    EXPECT_TRUE(Exists(table));
    EXPECT_EQ(admin_->One("SELECT COUNT(*) FROM `" + table + "`"), "0");
}

TEST_P(MysqlResultsTest, ManyBatchesLandInOrder) {
    const std::string table = Table("many");
    const sdk::Schema schema = {{"n", sdk::ColumnType::kBigInt}, {"s", sdk::ColumnType::kText}};
    auto writer = results_->Begin(Target(table), schema);
    int64_t n = 0;
    for (int batch = 0; batch < 5; ++batch) {
        sdk::BatchBuilder builder(schema);
        for (int i = 0; i < 2503; ++i, ++n) {  // not a multiple of the INSERT chunk size
            builder.AppendInt64(0, n);
            builder.AppendText(1, "v" + std::to_string(n));
        }
        Write(*writer, builder);
    }
    writer->Commit();
    EXPECT_EQ(admin_->One("SELECT CONCAT(COUNT(*), '|', SUM(n), '|', COUNT(DISTINCT s)) FROM `" + table + "`"),
              std::to_string(n) + "|" + std::to_string(n * (n - 1) / 2) + "|" + std::to_string(n));
}

TEST_P(MysqlResultsTest, ReleaseWithoutCommitLeavesNothing) {
    const std::string table = Table("rollback");
    auto writer = results_->Begin(Target(table), kAllTypes);
    auto* mysql_writer = dynamic_cast<MysqlResultsWriter*>(writer.get());
    ASSERT_NE(mysql_writer, nullptr);
    const std::string temp = mysql_writer->temp_name();
    EXPECT_TRUE(Exists(temp));
    EXPECT_EQ(temp.size(), 28u);
    writer.reset();
    EXPECT_FALSE(Exists(temp));
    EXPECT_FALSE(Exists(table));
    EXPECT_EQ(admin_->One("SELECT COUNT(*) FROM _jobber_results WHERE table_name = '" + temp + "'"), "0");
}

TEST_P(MysqlResultsTest, CommitReplacesAnOlderTableAtomically) {
    const std::string table = Table("replace");
    const sdk::Schema schema = {{"v", sdk::ColumnType::kText}};
    for (const char* value : {"first", "second"}) {
        auto writer = results_->Begin(Target(table), schema);
        sdk::BatchBuilder builder(schema);
        builder.AppendText(0, value);
        Write(*writer, builder);
        writer->Commit();
    }
    EXPECT_EQ(admin_->Lines("SELECT v FROM `" + table + "`"), std::vector<std::string>{"second"});
    EXPECT_EQ(PluginTables(table), 0) << "a retired or temporary table was left behind";
}

// A re-run's RENAME waits for the metadata lock of readers of the old table, and new readers queue behind it. The
// wait is bounded by `replace_lock_timeout`: then the job fails naming the cause, the old table stays, and nothing
// of the attempt is left behind.
TEST_P(MysqlResultsTest, AReRunWaitsBoundedlyForAReaderOfTheOldTable) {
    results_ = std::make_unique<MysqlResults>(
        Args({{"dsn", ResultsDsn()}, {"write_method", GetParam()}, {"replace_lock_timeout", "1000"}}));
    const std::string table = Table("locked");
    const sdk::Schema schema = {{"v", sdk::ColumnType::kText}};
    auto publish = [&](const char* value) {
        auto writer = results_->Begin(Target(table), schema);
        sdk::BatchBuilder builder(schema);
        builder.AppendText(0, value);
        Write(*writer, builder);
        writer->Commit();
    };
    publish("first");
    Admin reader(ResultsDsn());
    reader.Exec("START TRANSACTION");
    EXPECT_EQ(reader.Lines("SELECT v FROM `" + table + "`"), std::vector<std::string>{"first"});  // holds its MDL

    auto writer = results_->Begin(Target(table), schema);
    sdk::BatchBuilder builder(schema);
    builder.AppendText(0, "second");
    Write(*writer, builder);
    const auto started = std::chrono::steady_clock::now();
    try {
        writer->Commit();
        FAIL() << "a reader holds the old table; Commit must give up after replace_lock_timeout";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE) << e.what();
        const std::string message = e.what();
        EXPECT_NE(message.find("cannot publish result table '" + table + "'"), std::string::npos) << message;
        EXPECT_NE(message.find("still in use by another session (waited 1 s"), std::string::npos) << message;
        EXPECT_NE(message.find("replace_lock_timeout"), std::string::npos) << message;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
    writer.reset();
    reader.Exec("COMMIT");
    EXPECT_EQ(admin_->Lines("SELECT v FROM `" + table + "`"), std::vector<std::string>{"first"});
    EXPECT_EQ(PluginTables(table), 0) << "a retired or temporary table (or its row) was left behind";

    publish("third");  // with the reader gone the re-run goes through
    EXPECT_EQ(admin_->Lines("SELECT v FROM `" + table + "`"), std::vector<std::string>{"third"});
}

TEST_P(MysqlResultsTest, TimeoutsMustLetTheLockWaitFinishFirst) {
    for (const auto& [read_timeout, lock_wait] :
         std::vector<std::pair<std::string, std::string>>{{"10000", "10000"}, {"10000", "0"}, {"2000", "1500"}}) {
        try {
            MysqlResults(Args({{"dsn", ResultsDsn()},
                               {"write_method", GetParam()},
                               {"read_timeout", read_timeout},
                               {"replace_lock_timeout", lock_wait}}));
            ADD_FAILURE() << "read_timeout " << read_timeout << " with replace_lock_timeout " << lock_wait
                          << " must be refused";
        } catch (const sdk::Error& e) {
            EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT) << e.what();
            EXPECT_NE(std::string(e.what()).find("'replace_lock_timeout'"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("'read_timeout' (" + read_timeout + " ms)"), std::string::npos)
                << e.what();
        }
    }
    EXPECT_NO_THROW(MysqlResults(Args({{"dsn", ResultsDsn()}, {"read_timeout", "0"}, {"replace_lock_timeout", "0"}})));
}

TEST_P(MysqlResultsTest, ValuesThatDoNotFitFailTheWrite) {
    const std::string table = Table("toowide");
    const sdk::Schema schema = {{"dec", sdk::ColumnType::kDecimal}};
    auto writer = results_->Begin(Target(table), schema);
    sdk::BatchBuilder builder(schema);
    builder.AppendText(0, "1" + std::string(40, '0'));  // 41 integer digits: beyond DECIMAL(65,30)
    try {
        // load_data reports a batch's error on the next Write or on Commit (it loads in the background).
        Write(*writer, builder);
        writer->Commit();
        FAIL() << "an out-of-range decimal was stored";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT) << e.what();
        EXPECT_NE(std::string(e.what()).find("dec"), std::string::npos) << e.what();
    }
    writer.reset();
    EXPECT_FALSE(Exists(table));
    EXPECT_EQ(PluginTables(table), 0);
}

TEST_P(MysqlResultsTest, DropAndSweep) {
    // A sweep covers the whole database, and other tests run in parallel: use a database of its own
    // (the test user may create jobber_* databases), so the count is exact.
    const std::string database = UniqueName("jobber_sweep");
    admin_->Exec("CREATE DATABASE `" + database + "`");
    struct DropDatabase {
        Admin& admin;
        std::string name;
        ~DropDatabase() { admin.Exec("DROP DATABASE IF EXISTS `" + name + "`"); }
    } cleanup{*admin_, database};
    const std::string base = ResultsDsn();
    const std::string dsn = base.substr(0, base.rfind('/') + 1) + database;
    MysqlResults results(Args({{"dsn", dsn}, {"write_method", GetParam()}}));
    Admin admin(dsn);
    auto exists = [&](const std::string& table) {
        return admin.One(
                   "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                   "TABLE_NAME = '" +
                   table + "'") == "1";
    };
    const sdk::Schema schema = {{"x", sdk::ColumnType::kBigInt}};
    results.Begin(Target("keep", NowMs() + 3600000), schema)->Commit();
    results.Begin(Target("expired1", NowMs() - 1000), schema)->Commit();
    results.Begin(Target("expired2", NowMs() - 1), schema)->Commit();
    results.Begin(Target("dropped"), schema)->Commit();
    results.Drop("dropped");
    EXPECT_FALSE(exists("dropped"));
    EXPECT_NO_THROW(results.Drop("dropped")) << "dropping a missing table must be fine";
    admin.Exec("DROP TABLE expired2");  // gone already: its row is removed, but it is not counted
    EXPECT_EQ(results.Sweep(NowMs()), 1u);
    EXPECT_FALSE(exists("expired1"));
    EXPECT_TRUE(exists("keep"));
    EXPECT_EQ(admin.Lines("SELECT table_name FROM _jobber_results ORDER BY table_name"),
              std::vector<std::string>{"keep"});
    EXPECT_EQ(results.Sweep(NowMs()), 0u);
}

TEST_P(MysqlResultsTest, IdentifierLimitsAndOddColumnNames) {
    EXPECT_EQ(results_->MaxIdentifierLength(), 64u);
    std::string table = Table("x");
    table += std::string(64 - table.size(), 'y');
    tables_.push_back(table);
    const sdk::Schema schema = {{std::string(70, 'c'), sdk::ColumnType::kBigInt},
                                {std::string(70, 'c'), sdk::ColumnType::kBigInt},
                                {"we`ird \"name\"", sdk::ColumnType::kText},
                                {"", sdk::ColumnType::kText}};
    results_->Begin(Target(table), schema)->Commit();
    EXPECT_EQ(
        admin_->Lines("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
                      "TABLE_NAME = '" +
                      table + "' ORDER BY ORDINAL_POSITION"),
        (std::vector<std::string>{std::string(64, 'c'), std::string(62, 'c') + "_2", "we`ird \"name\"", "column_4"}));
    try {
        results_->Begin(Target(table + "z"), schema);
        FAIL() << "a 65-character name was accepted";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
    }
    EXPECT_THROW(results_->Begin(Target("_jobber_results"), schema), sdk::Error);
    EXPECT_THROW(results_->Drop("_jobber_results"), sdk::Error);
}

TEST_P(MysqlResultsTest, RoundTripsThroughTheSource) {
    const std::string table = Table("roundtrip");
    auto writer = results_->Begin(Target(table), kAllTypes);
    sdk::BatchBuilder builder(kAllTypes);
    builder.AppendInt64(0, 5);
    builder.AppendText(1, "1.5");
    builder.AppendDouble(2, 2.25);
    builder.AppendInt64(3, *sdk::ParseTimestamp("2020-05-06 07:08:09"));
    builder.AppendDate(4, *sdk::ParseDate("2020-05-06"));
    builder.AppendBool(5, true);
    builder.AppendText(6, "t");
    Write(*writer, builder);
    writer->Commit();
    MysqlSource source(Args({{"dsn", ResultsDsn()}}));
    const std::string sql = "SELECT * FROM `" + table + "`";
    auto stream = source.Execute(MakeQuery("read_back", sql));
    const auto batches = Drain(*stream);
    EXPECT_EQ(stream->schema(), kAllTypes) << TypesOf(stream->schema());
    EXPECT_EQ(
        AllRows(batches, stream->schema()),
        std::vector<std::string>{"5|1.500000000000000000000000000000|2.25|2020-05-06 07:08:09|2020-05-06|true|t"});
}

TEST_P(MysqlResultsTest, UnreachableServerDoesNotStopOpenButFailsWrites) {
    MysqlResults dead(Args({{"dsn", DeadDsn()}, {"write_method", GetParam()}, {"connect_timeout", "2000"}}));
    try {
        dead.Begin(Target("never"), kAllTypes);
        FAIL() << "a dead server accepted a table";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE) << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(WriteMethods,
                         MysqlResultsTest,
                         ::testing::Values("load_data", "insert"),
                         [](const auto& info) { return info.param == "load_data" ? "LoadData" : "Insert"; });

}  // namespace
}  // namespace jobber::mysql
