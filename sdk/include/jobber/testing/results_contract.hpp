// Conformance suite for the results backend role, driven through the C ABI (jobber_results_vtable)
// only, so it tests exactly what crosses the .so boundary. Batches are built with the SDK's own
// BatchBuilder (jobber/sdk/batch.hpp), which produces plain Arrow C data. Every results plugin
// instantiates it:
//
//   #include "jobber/testing/results_contract.hpp"
//
//   namespace jobber::testing {
//   INSTANTIATE_TEST_SUITE_P(Postgres, ResultsContractTest,
//                            ::testing::Values(PostgresResultsParams()),  // a ResultsContractParams
//                            ContractParamName());
//   }
//
// Include this header in exactly one source file per test binary: it defines the tests.
//
// The ABI has no way to read a table back, so the plugin author supplies `read_table`, which
// reads a published table from the backend's storage (a SQL query, a file parse, ...). Each test
// opens its own instance and writes tables named `<table_prefix><random>`, so a server shared
// with other runs is safe; every test drops what it published.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jobber/abi/results.h"
#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"
#include "jobber/testing/contract_support.hpp"
#include "jobber/testing/plugin_library.hpp"

namespace jobber::testing {

// A published table as the backend stores it: column names, and every cell as text (nullopt for
// NULL), rows in the order they were written.
struct TableContent {
    std::vector<std::string> columns;
    std::vector<std::vector<std::optional<std::string>>> rows;
};

struct ResultsContractParams {
    // Names the instantiation in test output: letters, digits and '_' only.
    std::string name;
    const jobber_results_vtable* vtable = nullptr;
    // Passed to `open` as validated config (canonical text values, durations in ms).
    ConfigList config;
    // Non-empty: every test is skipped with this reason, e.g. "JOBBER_TEST_POSTGRES_URI is not set".
    std::string skip_reason;
    // Non-empty: every test fails with this reason, e.g. the plugin could not be loaded.
    std::string setup_error;
    // Reads the published table `table_name`; nullopt when no such table is visible to readers.
    // Required.
    std::function<std::optional<TableContent>(const std::string& table_name)> read_table;
    // Names of everything the backend keeps for unpublished writes (temporary tables or files)
    // whose name contains `fragment`. Optional: when empty, the leftover checks are skipped.
    std::function<std::vector<std::string>(const std::string& fragment)> list_unpublished;
    // Prefix of every table the suite writes; keep it short on backends with short identifiers.
    std::string table_prefix = "jc_";
    // The text `read_table` yields for row 1 of the all-types table: BIGINT -9007199254740993,
    // DECIMAL 12345678901234567890.10, DOUBLE 0.5, TIMESTAMP 2017-01-02 03:04:05 UTC, DATE
    // 2017-01-02, BOOLEAN true, TEXT "h\xc3\xa9llo, \"world\"\nline 2". Empty: only the row count and
    // the NULLs of row 2 are checked.
    std::vector<std::optional<std::string>> all_types_row;
};

inline void PrintTo(const ResultsContractParams& params, std::ostream* out) {
    *out << params.name;
}

// Params for the results role of the plugin at `library_path`; a load failure becomes setup_error,
// so it shows up as failing tests rather than a crash during test registration.
inline ResultsContractParams ResultsParamsFromLibrary(std::string name,
                                                      const std::string& library_path,
                                                      ConfigList config = {}) {
    ResultsContractParams params;
    params.name = std::move(name);
    params.config = std::move(config);
    try {
        params.vtable = LoadPluginLibrary(library_path).vtables.results;
        if (params.vtable == nullptr) params.setup_error = "plugin '" + library_path + "' provides no results role";
    } catch (const std::exception& e) {
        params.setup_error = e.what();
    }
    return params;
}

class ResultsContractTest : public ::testing::TestWithParam<ResultsContractParams> {
protected:
    using Schema = jobber::sdk::Schema;
    using ColumnType = jobber::sdk::ColumnType;
    using Row = std::vector<std::optional<std::string>>;

    static constexpr int64_t kHourMs = 60 * 60 * 1000;

    // One begin..release, released on destruction like the host does.
    class Txn {
    public:
        Txn(const jobber_results_vtable* vt, jobber_results_txn* txn) : vt_(vt), txn_(txn) {}
        Txn(Txn&& other) noexcept : vt_(other.vt_), txn_(other.txn_) { other.txn_ = nullptr; }
        Txn(const Txn&) = delete;
        Txn& operator=(const Txn&) = delete;
        Txn& operator=(Txn&&) = delete;
        ~Txn() { Release(); }

        // `batch` is moved in, as the host does; it is released by the plugin on every path.
        CallResult Write(jobber::sdk::BatchBuilder& builder) {
            ArrowArray batch{};
            builder.Finish(&batch);
            detail::CallError error;
            const jobber_code code = vt_->write(txn_, &batch, error.get());
            EXPECT_EQ(batch.release, nullptr) << "write must take the batch over and release it (or move it)";
            if (batch.release != nullptr) batch.release(&batch);
            return error.Result(code);
        }
        CallResult Commit() {
            detail::CallError error;
            return error.Result(vt_->commit(txn_, error.get()));
        }
        void Release() {
            if (txn_ != nullptr) vt_->release(txn_);
            txn_ = nullptr;
        }
        bool valid() const { return txn_ != nullptr; }

    private:
        const jobber_results_vtable* vt_;
        jobber_results_txn* txn_;
    };

    void SetUp() override {
        const ResultsContractParams& params = GetParam();
        if (!params.setup_error.empty()) GTEST_FAIL() << params.setup_error;
        if (!params.skip_reason.empty()) GTEST_SKIP() << params.skip_reason;
        ASSERT_NE(params.vtable, nullptr) << "no results vtable given";
        ASSERT_TRUE(static_cast<bool>(params.read_table)) << "ResultsContractParams::read_table is required";
        ASSERT_GE(params.vtable->struct_size, offsetof(jobber_results_vtable, ping) + sizeof(void*))
            << "the results vtable is older than ABI 1.0";
        detail::OpenArgsHolder args("contract", params.config);
        detail::CallError error;
        const jobber_code code = params.vtable->open(args.get(), &results_, error.get());
        ASSERT_EQ(code, JOBBER_OK) << "open: " << error.Result(code);
        ASSERT_NE(results_, nullptr) << "open returned OK without an instance";
    }

    void TearDown() override {
        if (results_ == nullptr) return;
        for (const auto& table : published_) Drop(table);
        GetParam().vtable->close(results_);
    }

    const jobber_results_vtable& vt() const { return *GetParam().vtable; }

    // A fresh table name, dropped again at TearDown.
    std::string NewTable(const std::string& label) {
        std::string name =
            GetParam().table_prefix + label + "_" + UniqueName("").substr(sizeof("jobber_contract__") - 1);
        published_.push_back(name);
        return name;
    }

    static Schema IdNameSchema() { return Schema{{"id", ColumnType::kBigInt}, {"name", ColumnType::kText}}; }

    // Begins a transaction; fails the test (returning an invalid Txn) when begin fails.
    Txn Begin(const std::string& table, const Schema& schema, int64_t expires_at = 0, CallResult* result = nullptr) {
        jobber_results_target target{};
        target.struct_size = sizeof(target);
        const std::string job_id = "job-" + table;
        target.job_id = job_id.c_str();
        target.table_name = table.c_str();
        target.expires_at_unix_ms = expires_at == 0 ? NowUnixMs() + kHourMs : expires_at;
        jobber::sdk::OwnedSchema arrow_schema;
        jobber::sdk::ExportSchema(schema, arrow_schema.get());
        jobber_results_txn* txn = nullptr;
        detail::CallError error;
        const jobber_code code = vt().begin(results_, &target, arrow_schema.get(), &txn, error.get());
        if (result != nullptr) *result = error.Result(code);
        if (code != JOBBER_OK) {
            if (result == nullptr) ADD_FAILURE() << "begin '" << table << "': " << error.Result(code);
            EXPECT_EQ(txn, nullptr) << "begin set a transaction although it failed";
            return Txn(&vt(), nullptr);
        }
        EXPECT_NE(txn, nullptr) << "begin returned OK without a transaction";
        return Txn(&vt(), txn);
    }

    // Appends rows id = first..first+count-1, name = "name <id>".
    static void AppendIdRows(jobber::sdk::BatchBuilder& builder, int64_t first, int64_t count) {
        for (int64_t id = first; id < first + count; ++id) {
            builder.AppendInt64(0, id);
            builder.AppendText(1, "name " + std::to_string(id));
        }
    }

    // Writes and commits an (id, name) table of `rows` rows in batches of `batch_rows`.
    void WriteIdTable(const std::string& table, int64_t rows, int64_t batch_rows, int64_t expires_at = 0) {
        Txn txn = Begin(table, IdNameSchema(), expires_at);
        ASSERT_TRUE(txn.valid());
        jobber::sdk::BatchBuilder builder(IdNameSchema());
        for (int64_t first = 1; first <= rows; first += batch_rows) {
            AppendIdRows(builder, first, std::min(batch_rows, rows - first + 1));
            JOBBER_ASSERT_OK(txn.Write(builder)) << "batch starting at id " << first;
        }
        JOBBER_ASSERT_OK(txn.Commit());
    }

    // Checks that `table` holds ids 1..rows in order.
    void ExpectIdTable(const std::string& table, int64_t rows) {
        const auto content = GetParam().read_table(table);
        ASSERT_TRUE(content.has_value()) << "table '" << table << "' is not visible after commit";
        EXPECT_EQ(content->columns, (std::vector<std::string>{"id", "name"}));
        ASSERT_EQ(content->rows.size(), static_cast<size_t>(rows)) << "table '" << table << "'";
        for (int64_t id = 1; id <= rows; ++id) {
            const Row& row = content->rows[static_cast<size_t>(id - 1)];
            ASSERT_EQ(row.size(), 2u);
            EXPECT_EQ(row[0], std::to_string(id)) << "row " << id;
            EXPECT_EQ(row[1], "name " + std::to_string(id)) << "row " << id;
        }
    }

    bool Visible(const std::string& table) const { return GetParam().read_table(table).has_value(); }

    void ExpectNoLeftovers(const std::string& table) {
        if (!GetParam().list_unpublished) return;
        const auto leftovers = GetParam().list_unpublished(table);
        EXPECT_TRUE(leftovers.empty()) << "unpublished data of '" << table << "' left behind, e.g. "
                                       << (leftovers.empty() ? "" : leftovers.front());
    }

    CallResult Drop(const std::string& table) {
        detail::CallError error;
        return error.Result(vt().drop(results_, table.c_str(), error.get()));
    }

    CallResult Sweep(int64_t now, uint64_t* dropped) {
        detail::CallError error;
        return error.Result(vt().sweep(results_, now, dropped, error.get()));
    }

    jobber_results* results_ = nullptr;
    std::vector<std::string> published_;
};

TEST_P(ResultsContractTest, PingSucceeds) {
    detail::CallError error;
    const jobber_code code = vt().ping(results_, error.get());
    EXPECT_EQ(code, JOBBER_OK) << error.Result(code);
}

TEST_P(ResultsContractTest, MaxIdentifierLengthLeavesRoomForJobTables) {
    // The host builds table names from `results_table` and a job ID of up to 64 bytes.
    const uint32_t limit = vt().max_identifier_length(results_);
    EXPECT_GE(limit, 63u);
    EXPECT_LE(limit, 4096u) << "an identifier limit this large is almost certainly not checked";
}

TEST_P(ResultsContractTest, CommitPublishesEveryBatchInOrder) {
    const std::string table = NewTable("order");
    Txn txn = Begin(table, IdNameSchema());
    ASSERT_TRUE(txn.valid());
    jobber::sdk::BatchBuilder builder(IdNameSchema());
    for (int64_t first = 1; first <= 2500; first += 1000) {
        AppendIdRows(builder, first, std::min<int64_t>(1000, 2500 - first + 1));
        JOBBER_ASSERT_OK(txn.Write(builder));
        EXPECT_FALSE(Visible(table)) << "readers must not see a table before commit";
    }
    JOBBER_ASSERT_OK(txn.Commit());
    txn.Release();
    ExpectIdTable(table, 2500);
    ExpectNoLeftovers(table);
}

TEST_P(ResultsContractTest, ReleaseWithoutCommitLeavesNothing) {
    const std::string table = NewTable("rollback");
    {
        Txn txn = Begin(table, IdNameSchema());
        ASSERT_TRUE(txn.valid());
        jobber::sdk::BatchBuilder builder(IdNameSchema());
        AppendIdRows(builder, 1, 10);
        JOBBER_ASSERT_OK(txn.Write(builder));
    }
    EXPECT_FALSE(Visible(table)) << "an uncommitted table became visible";
    ExpectNoLeftovers(table);
}

TEST_P(ResultsContractTest, CommitReplacesAnOlderTableOfTheSameName) {
    const std::string table = NewTable("rerun");
    WriteIdTable(table, 5, 5);
    ExpectIdTable(table, 5);

    // A second run of the job: until its commit readers keep seeing the first table.
    Txn txn = Begin(table, IdNameSchema());
    ASSERT_TRUE(txn.valid());
    jobber::sdk::BatchBuilder builder(IdNameSchema());
    AppendIdRows(builder, 1, 3);
    JOBBER_ASSERT_OK(txn.Write(builder));
    ExpectIdTable(table, 5);
    JOBBER_ASSERT_OK(txn.Commit());
    txn.Release();
    ExpectIdTable(table, 3);
    ExpectNoLeftovers(table);
}

TEST_P(ResultsContractTest, AnAbandonedRerunKeepsTheOlderTable) {
    const std::string table = NewTable("keep");
    WriteIdTable(table, 4, 2);
    {
        Txn txn = Begin(table, IdNameSchema());
        ASSERT_TRUE(txn.valid());
        jobber::sdk::BatchBuilder builder(IdNameSchema());
        AppendIdRows(builder, 1, 7);
        JOBBER_ASSERT_OK(txn.Write(builder));
    }
    ExpectIdTable(table, 4);
    ExpectNoLeftovers(table);
}

TEST_P(ResultsContractTest, AResultWithoutRowsIsPublishedEmpty) {
    const std::string table = NewTable("empty");
    Txn txn = Begin(table, IdNameSchema());
    ASSERT_TRUE(txn.valid());
    JOBBER_ASSERT_OK(txn.Commit());
    txn.Release();
    ExpectIdTable(table, 0);
}

TEST_P(ResultsContractTest, EveryColumnTypeAndNullRoundTrips) {
    const std::string table = NewTable("types");
    const Schema schema{{"big", ColumnType::kBigInt},   {"dec", ColumnType::kDecimal}, {"dbl", ColumnType::kDouble},
                        {"ts", ColumnType::kTimestamp}, {"day", ColumnType::kDate},    {"flag", ColumnType::kBoolean},
                        {"txt", ColumnType::kText}};
    Txn txn = Begin(table, schema);
    ASSERT_TRUE(txn.valid());
    jobber::sdk::BatchBuilder builder(schema);
    builder.AppendInt64(0, -9007199254740993LL);  // 2^53 + 1: lost by any trip through a double
    builder.AppendText(1, "12345678901234567890.10");
    builder.AppendDouble(2, 0.5);
    builder.AppendInt64(3, 1483326245LL * 1000000);  // 2017-01-02 03:04:05 UTC
    builder.AppendDate(4, 17168);                    // 2017-01-02
    builder.AppendBool(5, true);
    builder.AppendText(6, "h\xc3\xa9llo, \"world\"\nline 2");
    for (size_t c = 0; c < schema.size(); ++c) builder.AppendNull(c);
    JOBBER_ASSERT_OK(txn.Write(builder));
    JOBBER_ASSERT_OK(txn.Commit());
    txn.Release();

    const auto content = GetParam().read_table(table);
    ASSERT_TRUE(content.has_value());
    EXPECT_EQ(content->columns, (std::vector<std::string>{"big", "dec", "dbl", "ts", "day", "flag", "txt"}));
    ASSERT_EQ(content->rows.size(), 2u);
    if (!GetParam().all_types_row.empty()) {
        EXPECT_EQ(content->rows[0], GetParam().all_types_row);
    }
    EXPECT_EQ(content->rows[1], Row(schema.size(), std::nullopt)) << "row 2 is NULL in every column";
}

TEST_P(ResultsContractTest, IdentifiersAreQuotedNotSpliced) {
    // Names the host may pass on (job IDs allow ':' and '-') and column names no SQL accepts bare.
    const std::string table = NewTable("odd:name-X");
    const Schema schema{{"a \"quoted\" col", ColumnType::kText}, {"select", ColumnType::kBigInt}};
    Txn txn = Begin(table, schema);
    ASSERT_TRUE(txn.valid());
    jobber::sdk::BatchBuilder builder(schema);
    builder.AppendText(0, "x'); DROP TABLE users; --");
    builder.AppendInt64(1, 7);
    JOBBER_ASSERT_OK(txn.Write(builder));
    JOBBER_ASSERT_OK(txn.Commit());
    txn.Release();

    const auto content = GetParam().read_table(table);
    ASSERT_TRUE(content.has_value());
    EXPECT_EQ(content->columns, (std::vector<std::string>{"a \"quoted\" col", "select"}));
    ASSERT_EQ(content->rows.size(), 1u);
    EXPECT_EQ(content->rows[0], (Row{"x'); DROP TABLE users; --", "7"}));
}

TEST_P(ResultsContractTest, ATableNameOfTheMaximumLengthWorks) {
    const uint32_t limit = vt().max_identifier_length(results_);
    std::string table = NewTable("long");
    ASSERT_LE(table.size(), limit);
    table.append(limit - table.size(), 'x');
    published_.push_back(table);
    WriteIdTable(table, 2, 2);
    ExpectIdTable(table, 2);
}

TEST_P(ResultsContractTest, DropRemovesATableAndIgnoresAbsentOnes) {
    const std::string table = NewTable("drop");
    WriteIdTable(table, 3, 3);
    ASSERT_TRUE(Visible(table));
    JOBBER_ASSERT_OK(Drop(table));
    EXPECT_FALSE(Visible(table));
    JOBBER_EXPECT_OK(Drop(table)) << "dropping a table that does not exist is OK";
    JOBBER_EXPECT_OK(Drop(NewTable("never_written")));
}

TEST_P(ResultsContractTest, SweepDropsOnlyExpiredTables) {
    const int64_t now = NowUnixMs();
    const std::string expired = NewTable("expired"), fresh = NewTable("fresh");
    WriteIdTable(expired, 1, 1, now - 1000);
    WriteIdTable(fresh, 1, 1, now + kHourMs);

    uint64_t dropped = 0;
    JOBBER_ASSERT_OK(Sweep(now, &dropped));
    // Other runs sharing the server may have expired tables of their own.
    EXPECT_GE(dropped, 1u);
    EXPECT_FALSE(Visible(expired)) << "an expired table survived the sweep";
    EXPECT_TRUE(Visible(fresh)) << "the sweep dropped a table that expires in an hour";

    // A rerun's expiry replaces the first run's.
    WriteIdTable(fresh, 2, 2, now - 1);
    JOBBER_ASSERT_OK(Sweep(now, &dropped));
    EXPECT_FALSE(Visible(fresh)) << "the sweep kept a table whose latest commit had expired";
}

TEST_P(ResultsContractTest, WritersOfDifferentTablesRunConcurrently) {
    constexpr int kThreads = 4;
    std::vector<std::string> tables;
    for (int t = 0; t < kThreads; ++t) tables.push_back(NewTable("par" + std::to_string(t)));
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const int64_t rows = 300 + 100 * t;
            jobber_results_target target{sizeof(jobber_results_target), "job", tables[t].c_str(),
                                         NowUnixMs() + kHourMs};
            jobber::sdk::OwnedSchema arrow_schema;
            jobber::sdk::ExportSchema(IdNameSchema(), arrow_schema.get());
            jobber_results_txn* raw = nullptr;
            detail::CallError error;
            if (vt().begin(results_, &target, arrow_schema.get(), &raw, error.get()) != JOBBER_OK) {
                ++failures;
                return;
            }
            Txn txn(&vt(), raw);
            jobber::sdk::BatchBuilder builder(IdNameSchema());
            for (int64_t first = 1; first <= rows; first += 50) {
                AppendIdRows(builder, first, std::min<int64_t>(50, rows - first + 1));
                if (!txn.Write(builder).ok()) ++failures;
            }
            if (!txn.Commit().ok()) ++failures;
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0);
    for (int t = 0; t < kThreads; ++t) ExpectIdTable(tables[t], 300 + 100 * t);
}

}  // namespace jobber::testing
