// Helpers shared by the mysql plugin's integration tests: the test server from the environment,
// an admin connection for set-up and checks, unique table names, batch readers.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/roles.hpp"
#include "jobber/sdk/time.hpp"
#include "jobber/testing/role_test_support.hpp"
#include "mysql_connection.hpp"
#include "mysql_dsn.hpp"

namespace jobber::mysql::testing {

// Skips the test unless tests/services/mariadb.sh (or the operator) exported the variable.
#define JOBBER_REQUIRE_MYSQL()                                                                                 \
    do {                                                                                                       \
        if (::jobber::mysql::testing::SourceDsn().empty()) {                                                   \
            GTEST_SKIP() << "JOBBER_TEST_MYSQL_DSN is not set: start a server with tests/services/mariadb.sh " \
                            "(source tests/services/lib.sh && jobber_start_services)";                         \
        }                                                                                                      \
    } while (0)

inline std::string Env(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}
inline std::string SourceDsn() {
    return Env("JOBBER_TEST_MYSQL_DSN");
}
// The results database; the source database when only that is given.
inline std::string ResultsDsn() {
    const std::string dsn = Env("JOBBER_TEST_MYSQL_RESULTS_DSN");
    return dsn.empty() ? SourceDsn() : dsn;
}

// A name unique to this test process and call: tests of one binary run in parallel under ctest.
inline std::string UniqueName(const std::string& prefix) {
    static std::atomic<int> counter{0};
    return prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

// `dsn` with its database replaced by `database` (the query string, if any, kept).
inline std::string WithDatabase(const std::string& dsn, const std::string& database) {
    const size_t query = dsn.find('?');
    const size_t slash = dsn.rfind('/', query);
    if (slash == std::string::npos || slash < dsn.find("://") + 3) return dsn;
    return dsn.substr(0, slash + 1) + database + (query == std::string::npos ? "" : dsn.substr(query));
}

inline ConnectionOptions AdminOptions(const std::string& dsn) {
    ConnectionOptions options;
    options.endpoint = ParseDsn(dsn);
    return options;
}

// A plain connection outside the plugin's pools, for set-up and checks.
class Admin {
public:
    explicit Admin(const std::string& dsn) : connection_(AdminOptions(dsn)) {}
    void Exec(const std::string& sql) { connection_.Exec(sql, "test set-up: " + sql.substr(0, 80)); }
    TextRows Rows(const std::string& sql) { return connection_.Query(sql, "test query: " + sql.substr(0, 80)); }
    // First column of the first row; "<no rows>" or "NULL".
    std::string One(const std::string& sql) {
        const TextRows rows = Rows(sql);
        if (rows.empty() || rows[0].empty()) return "<no rows>";
        return rows[0][0] ? *rows[0][0] : "NULL";
    }
    // Every row with its columns joined by '|', NULL as "NULL".
    std::vector<std::string> Lines(const std::string& sql) {
        std::vector<std::string> out;
        for (const auto& row : Rows(sql)) {
            std::string line;
            for (size_t i = 0; i < row.size(); ++i) line += (i > 0 ? "|" : "") + (row[i] ? *row[i] : "NULL");
            out.push_back(line);
        }
        return out;
    }
    // Queries of the test user that are running `fragment` right now (this connection excluded).
    int RunningQueries(const std::string& fragment) {
        return std::stoi(
            One("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND "
                "COMMAND IN ('Query', 'Execute') AND INFO LIKE '%" +
                fragment + "%'"));
    }
    MysqlConnection& connection() { return connection_; }

private:
    MysqlConnection connection_;
};

// A fresh database on the test server (the test user may create `jobber_%` ones), dropped with
// everything in it: tests that sweep or list every table of a database see only their own.
class TestDatabase {
public:
    explicit TestDatabase(const std::string& label) : name_(UniqueName("jobber_" + label)) {
        Admin(SourceDsn()).Exec("CREATE DATABASE `" + name_ + "` CHARACTER SET utf8mb4");
        dsn_ = WithDatabase(SourceDsn(), name_);
    }
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;
    ~TestDatabase() {
        try {
            Admin(SourceDsn()).Exec("DROP DATABASE IF EXISTS `" + name_ + "`");
        } catch (const std::exception& e) {
            // A leftover database must not fail a test; the server is thrown away after the run.
            std::fprintf(stderr, "cannot drop test database %s: %s\n", name_.c_str(), e.what());
        }
    }
    const std::string& name() const { return name_; }
    // The test DSN on this database.
    const std::string& dsn() const { return dsn_; }

private:
    std::string name_;
    std::string dsn_;
};

// Open arguments, query values, queries and stream reading come from the SDK's testing helpers.
using jobber::testing::BoolValue;
using jobber::testing::DoubleValue;
using jobber::testing::IntValue;
using jobber::testing::MakeQuery;
using jobber::testing::NullValue;
using jobber::testing::TextValue;

inline sdk::OpenArgs Args(const std::vector<std::pair<std::string, std::string>>& config) {
    return jobber::testing::MakeOpenArgs(config);
}

inline std::vector<sdk::OwnedArray> Drain(sdk::RowStream& stream) {
    return jobber::testing::DrainStream(stream);
}

// DOUBLE cells with 17 significant digits: what the value really is, not its shortest text.
constexpr int kDoubleDigits = 17;

// One cell as text: "NULL", numbers, "true"/"false", dates and timestamps formatted.
inline std::string Cell(const sdk::BatchView& view, size_t column, int64_t row) {
    return jobber::testing::CellText(view, column, row, kDoubleDigits);
}

// Every row of every batch as "c1|c2|...".
inline std::vector<std::string> AllRows(const std::vector<sdk::OwnedArray>& batches, const sdk::Schema& schema) {
    return jobber::testing::BatchRowsText(batches, schema, kDoubleDigits);
}

inline std::string TypesOf(const sdk::Schema& schema) {
    std::string out;
    for (const auto& column : schema) out += std::string(out.empty() ? "" : " ") + sdk::TypeName(column.type);
    return out;
}

// Peak resident set size of this process in KiB (VmHWM), and a reset of it (Linux >= 4.0).
inline long PeakRssKb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}
inline bool ResetPeakRss() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    return static_cast<bool>(clear);
}

// A DSN that reaches nothing: a closed loopback port.
inline std::string DeadDsn() {
    return "mysql://nobody:pw@127.0.0.1:1/nothing";
}

}  // namespace jobber::mysql::testing
