// The source role against a real MariaDB server: type mapping in both protocols, arguments,
// streaming, errors, reconnects.
#include "mysql_source.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "jobber/sdk/error.hpp"
#include "test_support.hpp"

namespace jobber::mysql {
namespace {

using namespace testing;

class MysqlSourceTest : public ::testing::Test {
protected:
    void SetUp() override {
        JOBBER_REQUIRE_MYSQL();
        admin_ = std::make_unique<Admin>(SourceDsn());
        source_ = std::make_unique<MysqlSource>(Args({{"dsn", SourceDsn()}, {"max_connections", "2"}}));
    }
    void TearDown() override {
        for (const auto& table : tables_) admin_->Exec("DROP TABLE IF EXISTS `" + table + "`");
    }
    std::string Table(const std::string& prefix) {
        tables_.push_back(UniqueName(prefix));
        return tables_.back();
    }

    // Runs `sql` and returns schema types and rows.
    std::pair<std::string, std::vector<std::string>> Run(const std::string& sql,
                                                         bool raw = false,
                                                         std::vector<jobber_value> params = {}) {
        sdk::Query query = MakeQuery("t", sql, ++next_id_);
        query.raw = raw;
        query.params = params.data();
        query.param_count = static_cast<uint32_t>(params.size());
        auto stream = source_->Execute(query);
        const auto batches = Drain(*stream);
        return {TypesOf(stream->schema()), AllRows(batches, stream->schema())};
    }

    std::unique_ptr<Admin> admin_;
    std::unique_ptr<MysqlSource> source_;
    std::vector<std::string> tables_;
    uint64_t next_id_ = 0;
};

// Every MySQL type family, a NULL of each, both protocols: prepared statements read the binary
// protocol, raw tasks without arguments the text protocol; the cells must agree exactly.
class MysqlSourceTypesTest : public MysqlSourceTest, public ::testing::WithParamInterface<bool> {};

TEST_P(MysqlSourceTypesTest, MapsEveryTypeAndKeepsNulls) {
    const std::string t = Table("types");
    admin_->Exec("CREATE TABLE `" + t +
                 "` (id INT PRIMARY KEY, ti TINYINT, si SMALLINT UNSIGNED, mi MEDIUMINT, i INT UNSIGNED, bi BIGINT,"
                 " ubi BIGINT UNSIGNED, flag BOOL, bit1 BIT(1), bit8 BIT(8), dec1 DECIMAL(30,10), f FLOAT,"
                 " d DOUBLE, dt DATETIME(6), ts TIMESTAMP(3) NULL, da DATE, y YEAR, tm TIME, c CHAR(3), vc VARCHAR(20),"
                 " tx TEXT, bl BLOB, js JSON, en ENUM('a','b'), st SET('x','y'))");
    const std::string long_text(1000, 'L');  // longer than the initial 256-byte buffer
    admin_->Exec("INSERT INTO `" + t +
                 "` VALUES (1, -128, 65535, -8388608, 4294967295, -9223372036854775808, 18446744073709551615, TRUE,"
                 " b'1', b'10100101', -12345678901234567890.0123456789, 1.1, 0.1, '2024-02-29 13:14:15.123456',"
                 " '2038-01-19 03:14:07.999', '1000-01-01', 2024, '-838:59:59', 'ab', 'h\xc3\xa9llo \xf0\x9f\x98\x80',"
                 " '" +
                 long_text +
                 "', x'00ff', '{\"k\": [1, 2]}', 'b', 'x,y'),"
                 " (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
                 " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
    const auto [types, rows] = Run("SELECT * FROM `" + t + "` ORDER BY id", GetParam());
    EXPECT_EQ(
        types,
        "BIGINT BIGINT BIGINT BIGINT BIGINT BIGINT DECIMAL BOOLEAN BOOLEAN BIGINT DECIMAL DOUBLE DOUBLE TIMESTAMP "
        "TIMESTAMP DATE BIGINT TEXT TEXT TEXT TEXT TEXT TEXT TEXT TEXT");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0],
              "1|-128|65535|-8388608|4294967295|-9223372036854775808|18446744073709551615|true|true|165|"
              "-12345678901234567890.0123456789|1.1000000000000001|0.10000000000000001|"
              "2024-02-29 13:14:15.123456|2038-01-19 03:14:07.999000|1000-01-01|2024|-838:59:59|ab|"
              "h\xc3\xa9llo \xf0\x9f\x98\x80|" +
                  long_text + "|" + std::string("\x00\xff", 2) + "|{\"k\": [1, 2]}|b|x,y");
    EXPECT_EQ(rows[1],
              "2|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|"
              "NULL|NULL|NULL|NULL|NULL|NULL");
}

INSTANTIATE_TEST_SUITE_P(Protocols, MysqlSourceTypesTest, ::testing::Values(false, true), [](const auto& info) {
    return info.param ? "TextProtocol" : "BinaryProtocol";
});

TEST_F(MysqlSourceTest, ZeroRowsStillReportTheSchema) {
    const std::string t = Table("empty");
    admin_->Exec("CREATE TABLE `" + t + "` (a BIGINT, b VARCHAR(3), c DATE)");
    const auto [types, rows] = Run("SELECT * FROM `" + t + "`");
    EXPECT_EQ(types, "BIGINT TEXT DATE");
    EXPECT_TRUE(rows.empty());
}

TEST_F(MysqlSourceTest, BindsEveryArgumentType) {
    const std::string emoji = "\xf0\x9f\x98\x80 caf\xc3\xa9";
    const auto [types, rows] = Run("SELECT ? AS n, ? AS b, ? AS i, ? AS d, ? AS t", false,
                                   {NullValue(), BoolValue(true), IntValue(-42), DoubleValue(2.5), TextValue(emoji)});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0], "NULL|1|-42|2.5|" + emoji);
}

TEST_F(MysqlSourceTest, ArgumentsAreNeverSpliced) {
    const std::string t = Table("users");
    admin_->Exec("CREATE TABLE `" + t + "` (name VARCHAR(40))");
    admin_->Exec("INSERT INTO `" + t + "` VALUES ('alice'), ('bob')");
    const std::string attack = "x' OR '1'='1";
    for (bool raw : {false, true}) {
        const auto [types, rows] = Run("SELECT name FROM `" + t + "` WHERE name = ?", raw, {TextValue(attack)});
        EXPECT_TRUE(rows.empty()) << "raw=" << raw;
    }
    const auto [types, rows] = Run("SELECT ? AS echoed", true, {TextValue(attack)});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0], attack);
}

TEST_F(MysqlSourceTest, WrongArgumentCountNamesBothCounts) {
    sdk::Query query = MakeQuery("count_task", "SELECT ? + ?");
    const jobber_value one = IntValue(1);
    query.params = &one;
    query.param_count = 1;
    try {
        source_->Execute(query);
        FAIL() << "a wrong argument count was accepted";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
        EXPECT_NE(std::string(e.what()).find("task 'count_task' expects 2 arguments, got 1"), std::string::npos)
            << e.what();
    }
    // The pool is fine afterwards.
    EXPECT_EQ(Run("SELECT 7 AS seven").second, std::vector<std::string>{"7"});
}

TEST_F(MysqlSourceTest, PrepareReportsParameterCountsAndSqlErrors) {
    EXPECT_EQ(source_->Prepare("p2", "SELECT ? + ?", false), 2);
    EXPECT_EQ(source_->Prepare("raw", "SHOW STATUS", true), -1);
    try {
        source_->Prepare("broken", "SELEC nonsense", false);
        FAIL() << "bad SQL prepared";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
        EXPECT_NE(std::string(e.what()).find("task 'broken'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("MySQL error 1064"), std::string::npos) << e.what();
    }
    try {
        source_->Prepare("two", "SELECT 1; SELECT 2", false);
        FAIL() << "two statements prepared";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
    }
}

TEST_F(MysqlSourceTest, RawTasksRunStatementsThatCannotBePrepared) {
    const auto [types, rows] =
        Run("SHOW SESSION VARIABLES WHERE Variable_name IN ('character_set_client', "
            "'time_zone') ",
            true);
    EXPECT_EQ(rows, (std::vector<std::string>{"character_set_client|utf8mb4", "time_zone|+00:00"}));
}

TEST_F(MysqlSourceTest, ZeroDatesFailNamingColumnAndRow) {
    for (bool raw : {false, true}) {
        try {
            Run("SELECT CAST('2024-01-01' AS DATE) AS ok UNION ALL SELECT CAST('0000-00-00' AS DATE)", raw);
            ADD_FAILURE() << "a zero date was accepted, raw=" << raw;
        } catch (const sdk::Error& e) {
            EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
            EXPECT_NE(std::string(e.what()).find("column 'ok' row 2"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("NULLIF"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(Run("SELECT 1 AS one").second, std::vector<std::string>{"1"});
}

TEST_F(MysqlSourceTest, SqlErrorsAtRunTimeAreInvalidArgument) {
    try {
        Run("SELECT * FROM table_that_does_not_exist", true);
        FAIL() << "missing table accepted";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
        EXPECT_EQ(e.vendor_code(), 1146);
        EXPECT_EQ(e.sqlstate(), "42S02");
    }
}

TEST_F(MysqlSourceTest, StreamsAMillionRowsInBoundedBatchesWithFlatMemory) {
    const std::string digits = Table("digits");
    admin_->Exec("CREATE TABLE `" + digits + "` (n INT)");
    admin_->Exec("INSERT INTO `" + digits + "` VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)");
    std::string sql =
        "SELECT a.n + 10*b.n + 100*c.n + 1000*d.n + 10000*e.n + 100000*f.n AS id,"
        " CONCAT('row-', a.n, b.n, c.n, d.n, e.n, f.n, REPEAT('x', 40)) AS label,"
        " a.n * 1.5 AS half, DATE_ADD('2020-01-01', INTERVAL b.n DAY) AS day FROM ";
    for (const char* alias : {"a", "b", "c", "d", "e", "f"}) {
        sql += std::string(alias == std::string("a") ? "" : ", ") + "`" + digits + "` " + alias;
    }
    sdk::Query query = MakeQuery("million", sql, 77);
    query.batch_rows = 10000;
    ASSERT_TRUE(ResetPeakRss()) << "cannot reset VmHWM";
    const long before = PeakRssKb();
    auto stream = source_->Execute(query);
    int64_t rows = 0;
    int64_t largest = 0;
    int64_t id_sum = 0;
    for (;;) {
        ArrowArray array{};
        if (!stream->Next(&array)) break;
        sdk::OwnedArray batch(&array);
        sdk::BatchView view(*batch, stream->schema());
        largest = std::max(largest, view.rows());
        for (int64_t r = 0; r < view.rows(); ++r) id_sum += view.Int64(0, r);
        rows += view.rows();
    }
    const long growth_kb = PeakRssKb() - before;
    EXPECT_EQ(rows, 1000000);
    EXPECT_EQ(id_sum, 999999LL * 1000000LL / 2);  // every id 0..999999 exactly once
    EXPECT_LE(largest, 10000);
#if defined(__SANITIZE_ADDRESS__)
    // ASan keeps freed memory in its quarantine (256 MiB by default): RSS says nothing here.
    (void)growth_kb;
#else
    EXPECT_LT(growth_kb, 64 * 1024) << "peak RSS grew by " << growth_kb << " KiB";
#endif
    std::printf("[ measure  ] 1,000,000 rows streamed; peak RSS growth %ld KiB\n", growth_kb);
}

TEST_F(MysqlSourceTest, UnreachableServerIsUnavailableAndNamesTheEndpoint) {
    MysqlSource dead(Args({{"dsn", DeadDsn()}, {"connect_timeout", "2000"}}));
    for (int i = 0; i < 2; ++i) {
        try {
            dead.Execute(MakeQuery("down", "SELECT 1"));
            FAIL() << "a dead server answered";
        } catch (const sdk::Error& e) {
            EXPECT_EQ(e.code(), JOBBER_UNAVAILABLE);
            EXPECT_NE(std::string(e.what()).find("nobody@127.0.0.1:1/nothing"), std::string::npos) << e.what();
            EXPECT_EQ(std::string(e.what()).find(":pw@"), std::string::npos) << "password leaked: " << e.what();
        }
    }
    EXPECT_THROW(dead.Ping(), sdk::Error);
}

TEST_F(MysqlSourceTest, ReconnectsAfterTheServerDroppedAPooledConnection) {
    // The one pooled connection (queries run one at a time) tells its id; the server then drops
    // it while it sits idle in the pool. Other tests' sessions are left alone.
    const auto [types, ids] = Run("SELECT CONNECTION_ID() AS id");
    ASSERT_EQ(ids.size(), 1u);
    admin_->Exec("KILL CONNECTION " + ids[0]);
    EXPECT_EQ(Run("SELECT 2 AS two").second, std::vector<std::string>{"2"});
    const auto [types2, new_ids] = Run("SELECT CONNECTION_ID() AS id", true);
    ASSERT_EQ(new_ids.size(), 1u);
    EXPECT_NE(new_ids[0], ids[0]) << "the dropped connection was reused";
}

TEST_F(MysqlSourceTest, ConcurrentQueriesShareTheBoundedPool) {
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&, i] {
            sdk::Query query = MakeQuery("sleepy", "SELECT SLEEP(0.2) AS s", 100 + static_cast<uint64_t>(i));
            auto stream = source_->Execute(query);
            if (Drain(*stream).size() == 1) ++ok;
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(ok.load(), 6);
    EXPECT_LE(source_->open_connections(), 2u);
}

}  // namespace
}  // namespace jobber::mysql
