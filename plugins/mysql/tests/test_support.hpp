// Helpers shared by the mysql plugin's integration tests: the test server from the environment,
// an admin connection for set-up and checks, unique table names, batch readers.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/roles.hpp"
#include "jobber/sdk/time.hpp"
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

inline sdk::OpenArgs Args(std::vector<std::pair<std::string, std::string>> config) {
    std::vector<jobber_kv> kvs;
    for (const auto& [key, value] : config) kvs.push_back({key.c_str(), value.c_str()});
    return sdk::OpenArgs{"test", sdk::Config(kvs.data(), static_cast<uint32_t>(kvs.size()))};
}

inline jobber_value NullValue() {
    return jobber_value{JOBBER_VALUE_NULL, 0, 0, 0.0, nullptr, 0};
}
inline jobber_value BoolValue(bool v) {
    return jobber_value{JOBBER_VALUE_BOOL, v ? 1 : 0, 0, 0.0, nullptr, 0};
}
inline jobber_value IntValue(int64_t v) {
    return jobber_value{JOBBER_VALUE_INT64, 0, v, 0.0, nullptr, 0};
}
inline jobber_value DoubleValue(double v) {
    return jobber_value{JOBBER_VALUE_DOUBLE, 0, 0, v, nullptr, 0};
}
// Borrows `text`: it must outlive the query.
inline jobber_value TextValue(std::string_view text) {
    return jobber_value{JOBBER_VALUE_TEXT, 0, 0, 0.0, text.data(), text.size()};
}

// Query borrows `task` and `sql`, so they must outlive its use.
inline sdk::Query MakeQuery(std::string_view task, std::string_view sql, uint64_t id = 1) {
    sdk::Query query;
    query.id = id;
    query.task_name = task;
    query.sql = sql;
    return query;
}

inline std::vector<sdk::OwnedArray> Drain(sdk::RowStream& stream) {
    std::vector<sdk::OwnedArray> batches;
    for (;;) {
        ArrowArray array{};
        if (!stream.Next(&array)) break;
        batches.emplace_back(&array);
    }
    return batches;
}

// One cell as text: "NULL", numbers, "true"/"false", dates and timestamps formatted.
inline std::string Cell(const sdk::BatchView& view, size_t column, int64_t row) {
    if (view.IsNull(column, row)) return "NULL";
    switch (view.schema()[column].type) {
        case sdk::ColumnType::kBigInt:
            return std::to_string(view.Int64(column, row));
        case sdk::ColumnType::kDouble: {
            std::ostringstream out;
            out.precision(17);
            out << view.Double(column, row);
            return out.str();
        }
        case sdk::ColumnType::kBoolean:
            return view.Bool(column, row) ? "true" : "false";
        case sdk::ColumnType::kDate:
            return sdk::FormatDate(view.Date(column, row));
        case sdk::ColumnType::kTimestamp:
            return sdk::FormatTimestamp(view.Int64(column, row));
        case sdk::ColumnType::kDecimal:
        case sdk::ColumnType::kText:
            return std::string(view.Text(column, row));
    }
    return "?";
}

// Every row of every batch as "c1|c2|...".
inline std::vector<std::string> AllRows(const std::vector<sdk::OwnedArray>& batches, const sdk::Schema& schema) {
    std::vector<std::string> rows;
    for (const auto& batch : batches) {
        sdk::BatchView view(*batch, schema);
        for (int64_t r = 0; r < view.rows(); ++r) {
            std::string line;
            for (size_t c = 0; c < view.columns(); ++c) line += (c > 0 ? "|" : "") + Cell(view, c, r);
            rows.push_back(line);
        }
    }
    return rows;
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
