// The SDK's source and results contract suites against the built libjobber_postgres.so, loaded
// through the C ABI as a third-party plugin's tests load theirs (tests/sdk_install/
// sqlite_contract_test.cpp is the model). They run against the throw-away server of
// tests/services/postgres.sh and skip when JOBBER_TEST_POSTGRES_URI is unset.
//
// Each test process works in a schema of its own, created before the first test and dropped after
// the last: the results suite sweeps every expired table of its metadata, and checks that no
// temporary table is left, which only holds when nobody else writes there.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "jobber/testing/results_contract.hpp"
#include "jobber/testing/source_contract.hpp"
#include "pg_test_support.hpp"

namespace jobber::testing {
namespace {

using postgres::testing::kUriVariable;
using postgres::testing::Psql;
using postgres::testing::ServerUri;
using postgres::testing::WithSearchPath;

// Chosen when the parameters are built, created only when tests run: listing the tests
// (gtest_discover_tests does at build time) must not touch the server.
const std::string& SchemaName() {
    static const std::string name =
        "contract_" + std::to_string(getpid()) + "_" + std::to_string(std::random_device{}() % 1000000);
    return name;
}

std::string SchemaDsn() {
    return WithSearchPath(ServerUri(), SchemaName());
}

class ContractSchema : public ::testing::Environment {
public:
    void SetUp() override {
        if (!ServerUri().empty()) Psql(ServerUri()).Exec("CREATE SCHEMA " + SchemaName());
    }
    void TearDown() override {
        if (!ServerUri().empty()) Psql(ServerUri()).Exec("DROP SCHEMA IF EXISTS " + SchemaName() + " CASCADE");
    }
};
const auto* const kContractSchema = ::testing::AddGlobalTestEnvironment(new ContractSchema);

std::string SkipReason() {
    if (!ServerUri().empty()) return "";
    return std::string(kUriVariable) + " is not set: start a server with tests/services/postgres.sh";
}

// One row per type, then a row of NULLs; `o` orders them without being selected.
constexpr const char* kAllTypesSql = R"sql(
SELECT big, dec, dbl, ts, day, flag, txt FROM (VALUES
  (1, -9007199254740993::int8, 12345678901234567890.10::numeric, 0.5::float8,
   '2017-01-02 03:04:05'::timestamp, '2017-01-02'::date, true, 'h\xc3\xa9llo'::text),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL)) AS t(o, big, dec, dbl, ts, day, flag, txt)
ORDER BY o)sql";

SourceContractParams MakePostgresSourceParams() {
    SourceContractParams params = SourceParamsFromLibrary("postgres", JOBBER_POSTGRES_PLUGIN_PATH,
                                                          {{"dsn", SchemaDsn()}, {"max_connections", "2"}});
    params.skip_reason = SkipReason();
    params.count_sql = "SELECT n FROM generate_series(1::int8, $1::int8) AS n";
    params.echo_sql = "SELECT $1::text AS v";
    params.bad_sql = "SELECT * FROM no_such_table";
    params.slow_sql = "SELECT pg_sleep(60) AS slept";
    params.all_types_sql = kAllTypesSql;
    // The raw string keeps \xc3\xa9 literally; the server gets the UTF-8 bytes.
    params.all_types_sql.replace(params.all_types_sql.find("h\\xc3\\xa9llo"), 12, "h\xc3\xa9llo");
    return params;
}

// GoogleTest may evaluate a suite's parameter generator more than once.
const SourceContractParams& PostgresSourceParams() {
    static const SourceContractParams params = MakePostgresSourceParams();
    return params;
}

// A libpq connection in the contract schema, reading results tables as text cells.
class Reader {
public:
    Reader() : conn_(PQconnectdb(SchemaDsn().c_str())) {
        if (PQstatus(conn_) != CONNECTION_OK) {
            const std::string message = PQerrorMessage(conn_);
            PQfinish(conn_);
            throw std::runtime_error("cannot connect: " + message);
        }
        // The text forms the expectations are written in.
        PQclear(PQexec(conn_, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET extra_float_digits = 3"));
    }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    ~Reader() { PQfinish(conn_); }

    // `sql` with `args` bound as text parameters.
    TableContent Run(const std::string& sql, const std::vector<std::string>& args) {
        std::vector<const char*> values;
        for (const auto& arg : args) values.push_back(arg.c_str());
        PGresult* result = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                        values.empty() ? nullptr : values.data(), nullptr, nullptr, 0);
        const ExecStatusType status = PQresultStatus(result);
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
            const std::string message = PQresultErrorMessage(result);
            PQclear(result);
            throw std::runtime_error(message + " in: " + sql);
        }
        TableContent content;
        for (int c = 0; c < PQnfields(result); ++c) content.columns.emplace_back(PQfname(result, c));
        for (int r = 0; r < PQntuples(result); ++r) {
            std::vector<std::optional<std::string>> row;
            for (int c = 0; c < PQnfields(result); ++c) {
                if (PQgetisnull(result, r, c)) {
                    row.emplace_back(std::nullopt);
                } else {
                    row.emplace_back(std::string(PQgetvalue(result, r, c), PQgetlength(result, r, c)));
                }
            }
            content.rows.push_back(std::move(row));
        }
        PQclear(result);
        return content;
    }

private:
    PGconn* conn_;
};

std::string QuoteIdentifier(const std::string& name) {
    std::string quoted = "\"";
    for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::optional<TableContent> ReadPostgresTable(const std::string& table) {
    Reader reader;
    const TableContent found =
        reader.Run("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1", {table});
    if (found.rows.empty()) return std::nullopt;
    // A COPY-filled heap table is read back in the order it was written.
    return reader.Run("SELECT * FROM " + QuoteIdentifier(table), {});
}

// The plugin's temporary tables are named _jobber_tmp_<hex>, not after the final table, and exist
// only inside the writing transaction; in this process's own schema any one that is visible is a
// leftover, whatever `fragment` is.
std::vector<std::string> PostgresTempTables(const std::string& /*fragment*/) {
    std::vector<std::string> names;
    const TableContent found = Reader().Run(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE '\\_jobber\\_tmp\\_%'",
        {});
    for (const auto& row : found.rows) names.push_back(row[0].value_or(""));
    return names;
}

ResultsContractParams PostgresResultsParams() {
    ResultsContractParams params = ResultsParamsFromLibrary("postgres", JOBBER_POSTGRES_PLUGIN_PATH,
                                                            {{"dsn", SchemaDsn()}, {"max_connections", "4"}});
    params.skip_reason = SkipReason();
    params.read_table = ReadPostgresTable;
    params.list_unpublished = PostgresTempTables;
    // PostgreSQL's own text output (DateStyle ISO, bool as t/f).
    params.all_types_row = {"-9007199254740993",
                            "12345678901234567890.10",
                            "0.5",
                            "2017-01-02 03:04:05",
                            "2017-01-02",
                            "t",
                            "h\xc3\xa9llo, \"world\"\nline 2"};
    return params;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Postgres, SourceContractTest, ::testing::Values(PostgresSourceParams()), ContractParamName());
INSTANTIATE_TEST_SUITE_P(Postgres,
                         ResultsContractTest,
                         ::testing::Values(PostgresResultsParams()),
                         ContractParamName());

}  // namespace jobber::testing
