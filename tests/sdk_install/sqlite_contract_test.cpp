// The SDK's source and results contract suites against the in-tree libjobber_sqlite.so, loaded
// through the C ABI exactly as a third-party plugin's tests load theirs.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "jobber/testing/results_contract.hpp"
#include "jobber/testing/source_contract.hpp"
#include "server_harness.hpp"

namespace jobber::testing {
namespace {

namespace fs = std::filesystem;

const fs::path& WorkDir() {
    static const fs::path dir = [] {
        std::string pattern = (fs::temp_directory_path() / "jobber-sdk-contract-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        return fs::path(pattern);
    }();
    return dir;
}

class RemoveWorkDir : public ::testing::Environment {
public:
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(WorkDir(), ec);
    }
};
const auto* const kRemoveWorkDir = ::testing::AddGlobalTestEnvironment(new RemoveWorkDir);

// The declared types pick the column types (plugins/sqlite/README.md, "Type mapping").
constexpr const char* kSourceSchema = R"sql(
CREATE TABLE all_types(big BIGINT, dec DECIMAL_TEXT, dbl DOUBLE, ts TIMESTAMP, day DATE, flag BOOLEAN, txt TEXT);
INSERT INTO all_types VALUES
  (-9007199254740993, '12345678901234567890.10', 0.5, '2017-01-02 03:04:05', '2017-01-02', 1, 'h\xc3\xa9llo');
INSERT INTO all_types VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL);
)sql";

SourceContractParams MakeSqliteSourceParams() {
    const fs::path db = WorkDir() / "source.db";
    std::string schema = kSourceSchema;
    // The raw string keeps \xc3\xa9 literally; SQLite gets the UTF-8 bytes.
    schema.replace(schema.find("h\\xc3\\xa9llo"), 12, "h\xc3\xa9llo");
    e2e::ExecDb(db, schema);
    SourceContractParams params =
        SourceParamsFromLibrary("sqlite", JOBBER_SQLITE_PLUGIN_PATH, {{"dsn", db.string()}, {"max_connections", "2"}});
    params.count_sql = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?) SELECT n FROM c";
    params.echo_sql = "SELECT ? AS v";
    params.bad_sql = "SELECT * FROM no_such_table";
    params.slow_sql = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c";
    params.all_types_sql = "SELECT big, dec, dbl, ts, day, flag, txt FROM all_types ORDER BY rowid";
    return params;
}

// GoogleTest may evaluate a suite's parameter generator more than once; the database is made once.
const SourceContractParams& SqliteSourceParams() {
    static const SourceContractParams params = MakeSqliteSourceParams();
    return params;
}

fs::path ResultsDb() {
    return WorkDir() / "results.db";
}

std::optional<TableContent> ReadSqliteTable(const std::string& table) {
    if (!e2e::TableExists(ResultsDb(), table)) return std::nullopt;
    std::string quoted = "\"";
    for (char c : table) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += "\"";
    e2e::TableData data = e2e::QueryDb(ResultsDb(), "SELECT * FROM " + quoted + " ORDER BY rowid");
    return TableContent{data.columns, data.rows};
}

std::vector<std::string> SqliteTempTables(const std::string& fragment) {
    std::vector<std::string> names;
    for (const auto& name : e2e::TablesWithPrefix(ResultsDb(), fragment)) {
        if (name.find("__tmp_") != std::string::npos) names.push_back(name);
    }
    return names;
}

ResultsContractParams SqliteResultsParams() {
    ResultsContractParams params =
        ResultsParamsFromLibrary("sqlite", JOBBER_SQLITE_PLUGIN_PATH, {{"dsn", ResultsDb().string()}});
    params.read_table = ReadSqliteTable;
    params.list_unpublished = SqliteTempTables;
    // BOOLEAN is stored as INTEGER 0/1, TIMESTAMP and DATE as text (plugins/sqlite/README.md).
    params.all_types_row = {"-9007199254740993",
                            "12345678901234567890.10",
                            "0.5",
                            "2017-01-02 03:04:05",
                            "2017-01-02",
                            "1",
                            "h\xc3\xa9llo, \"world\"\nline 2"};
    return params;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Sqlite, SourceContractTest, ::testing::Values(SqliteSourceParams()), ContractParamName());
INSTANTIATE_TEST_SUITE_P(Sqlite, ResultsContractTest, ::testing::Values(SqliteResultsParams()), ContractParamName());

}  // namespace jobber::testing
