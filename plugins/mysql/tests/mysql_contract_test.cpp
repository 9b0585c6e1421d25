// The SDK's source and results contract suites against the built libjobber_mysql.so, loaded
// through the C ABI as a third-party plugin's tests load theirs (tests/sdk_install/
// sqlite_contract_test.cpp is the model). They run against the MariaDB server of
// tests/services/mariadb.sh and skip when JOBBER_TEST_MYSQL_DSN is unset.
//
// Each test process works in a database of its own (the test user may create `jobber_%`
// databases), created before the first test and dropped after the last: the results suite sweeps
// every expired table of its metadata and checks that no temporary table is left, which only
// holds when nobody else writes there.
#include <gtest/gtest.h>
#include <mysql.h>
#include <unistd.h>

#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "jobber/testing/results_contract.hpp"
#include "jobber/testing/source_contract.hpp"
#include "test_support.hpp"

namespace jobber::testing {
namespace {

using mysql::testing::Admin;
using mysql::testing::SourceDsn;

// Chosen when the parameters are built, created only when tests run: listing the tests
// (gtest_discover_tests does at build time) must not touch the server.
const std::string& DatabaseName() {
    static const std::string name =
        "jobber_contract_" + std::to_string(getpid()) + "_" + std::to_string(std::random_device{}() % 1000000);
    return name;
}

std::string ContractDsn() {
    return mysql::testing::WithDatabase(SourceDsn(), DatabaseName());
}

// BOOLEAN needs a TINYINT(1) column: no expression has that type, so the source reads a table.
constexpr const char* kAllTypesTable = R"sql(
CREATE TABLE all_types (o INT PRIMARY KEY, big BIGINT, `dec` DECIMAL(22, 2), dbl DOUBLE, ts DATETIME, day DATE,
                        flag BOOL, txt TEXT) DEFAULT CHARSET = utf8mb4)sql";

class ContractDatabase : public ::testing::Environment {
public:
    void SetUp() override {
        if (SourceDsn().empty()) return;
        Admin(SourceDsn()).Exec("CREATE DATABASE `" + DatabaseName() + "` CHARACTER SET utf8mb4");
        Admin admin(ContractDsn());
        admin.Exec(kAllTypesTable);
        admin.Exec(
            "INSERT INTO all_types VALUES (1, -9007199254740993, 12345678901234567890.10, 0.5, '2017-01-02 03:04:05', "
            "'2017-01-02', TRUE, 'h\xc3\xa9llo'), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
    }
    void TearDown() override {
        if (!SourceDsn().empty()) Admin(SourceDsn()).Exec("DROP DATABASE IF EXISTS `" + DatabaseName() + "`");
    }
};
const auto* const kContractDatabase = ::testing::AddGlobalTestEnvironment(new ContractDatabase);

std::string SkipReason() {
    if (!SourceDsn().empty()) return "";
    return "JOBBER_TEST_MYSQL_DSN is not set: start a server with tests/services/mariadb.sh";
}

SourceContractParams MakeMysqlSourceParams() {
    SourceContractParams params =
        SourceParamsFromLibrary("mysql", JOBBER_MYSQL_PLUGIN_PATH, {{"dsn", ContractDsn()}, {"max_connections", "2"}});
    params.skip_reason = SkipReason();
    // n = 1..10000 from four digit tables, not a recursive CTE: MariaDB silently stops recursing
    // after max_recursive_iterations (1000 here), MySQL 8 fails at cte_max_recursion_depth (1000).
    params.count_sql =
        "WITH d(x) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL "
        "SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) "
        "SELECT n FROM (SELECT CAST(a.x + 10 * b.x + 100 * c.x + 1000 * e.x + 1 AS SIGNED) AS n "
        "FROM d a, d b, d c, d e) AS t WHERE n <= ? ORDER BY n";
    params.echo_sql = "SELECT ? AS v";
    params.bad_sql = "SELECT * FROM no_such_table";
    params.slow_sql = "SELECT SLEEP(60) AS slept";
    params.all_types_sql = "SELECT big, `dec`, dbl, ts, day, flag, txt FROM all_types ORDER BY o";
    return params;
}

// GoogleTest may evaluate a suite's parameter generator more than once.
const SourceContractParams& MysqlSourceParams() {
    static const SourceContractParams params = MakeMysqlSourceParams();
    return params;
}

std::string QuoteIdentifier(const std::string& name) {
    std::string quoted = "`";
    for (char c : name) quoted += c == '`' ? std::string("``") : std::string(1, c);
    return quoted + "`";
}

// Every column name and every cell of `sql` as the text protocol delivers it.
TableContent QueryContent(Admin& admin, const std::string& sql) {
    MYSQL* handle = admin.connection().handle();
    if (mysql_real_query(handle, sql.data(), sql.size()) != 0) {
        throw std::runtime_error(std::string(mysql_error(handle)) + " in: " + sql);
    }
    MYSQL_RES* result = mysql_store_result(handle);
    if (result == nullptr) throw std::runtime_error(std::string(mysql_error(handle)) + " in: " + sql);
    TableContent content;
    const unsigned int fields = mysql_num_fields(result);
    const MYSQL_FIELD* field = mysql_fetch_fields(result);
    for (unsigned int c = 0; c < fields; ++c) content.columns.emplace_back(field[c].name, field[c].name_length);
    while (MYSQL_ROW row = mysql_fetch_row(result)) {
        const unsigned long* lengths = mysql_fetch_lengths(result);
        std::vector<std::optional<std::string>> cells;
        for (unsigned int c = 0; c < fields; ++c) {
            if (row[c] == nullptr) {
                cells.emplace_back(std::nullopt);
            } else {
                cells.emplace_back(std::string(row[c], lengths[c]));
            }
        }
        content.rows.push_back(std::move(cells));
    }
    mysql_free_result(result);
    return content;
}

std::optional<TableContent> ReadMysqlTable(const std::string& table) {
    Admin admin(ContractDsn());
    const std::vector<std::optional<std::string>> name{table};
    const auto found = mysql::QueryWithText(
        admin.connection(),
        "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", name,
        "contract: table exists");
    if (found.empty()) return std::nullopt;
    // Result tables have no key: InnoDB keeps rows in insertion order (its hidden row id).
    return QueryContent(admin, "SELECT * FROM " + QuoteIdentifier(table));
}

// Temporary tables are named _jobber_tmp_<hex>, not after the final table; in this process's own
// database any one that exists is a leftover, whatever `fragment` is.
std::vector<std::string> MysqlTempTables(const std::string& /*fragment*/) {
    Admin admin(ContractDsn());
    std::vector<std::string> names;
    for (const auto& row : QueryContent(admin,
                                        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                                        "DATABASE() AND TABLE_NAME LIKE '\\_jobber\\_tmp\\_%'")
                               .rows) {
        names.push_back(row[0].value_or(""));
    }
    return names;
}

ResultsContractParams MysqlResultsParams() {
    ResultsContractParams params =
        ResultsParamsFromLibrary("mysql", JOBBER_MYSQL_PLUGIN_PATH, {{"dsn", ContractDsn()}, {"max_connections", "4"}});
    params.skip_reason = SkipReason();
    params.read_table = ReadMysqlTable;
    params.list_unpublished = MysqlTempTables;
    // DECIMAL is DECIMAL(65,30), TIMESTAMP DATETIME(6), BOOLEAN TINYINT(1) (plugins/mysql/README.md).
    params.all_types_row = {"-9007199254740993",
                            "12345678901234567890.100000000000000000000000000000",
                            "0.5",
                            "2017-01-02 03:04:05.000000",
                            "2017-01-02",
                            "1",
                            "h\xc3\xa9llo, \"world\"\nline 2"};
    return params;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Mysql, SourceContractTest, ::testing::Values(MysqlSourceParams()), ContractParamName());
INSTANTIATE_TEST_SUITE_P(Mysql, ResultsContractTest, ::testing::Values(MysqlResultsParams()), ContractParamName());

}  // namespace jobber::testing
