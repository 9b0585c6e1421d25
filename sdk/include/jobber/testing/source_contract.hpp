// Conformance suite for the source role, driven through the C ABI (jobber_source_vtable) only, so
// it tests exactly what crosses the .so boundary; rows are read from the Arrow C stream with the
// SDK's BatchView. Every source plugin instantiates it:
//
//   #include "jobber/testing/source_contract.hpp"
//
//   namespace jobber::testing {
//   INSTANTIATE_TEST_SUITE_P(Postgres, SourceContractTest,
//                            ::testing::Values(PostgresSourceParams()),  // a SourceContractParams
//                            ContractParamName());
//   }
//
// Include this header in exactly one source file per test binary: it defines the tests.
//
// SQL differs between databases, so the plugin author gives the suite a few statements in the
// database's own dialect and placeholder style (see SourceContractParams). The suite only reads.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jobber/abi/source.h"
#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"
#include "jobber/sdk/time.hpp"
#include "jobber/testing/contract_support.hpp"
#include "jobber/testing/plugin_library.hpp"

namespace jobber::testing {

struct SourceContractParams {
    // Names the instantiation in test output: letters, digits and '_' only.
    std::string name;
    const jobber_source_vtable* vtable = nullptr;
    // Passed to `open` as validated config (canonical text values, durations in ms).
    ConfigList config;
    // Non-empty: every test is skipped with this reason, e.g. "JOBBER_TEST_POSTGRES_URI is not set".
    std::string skip_reason;
    // Non-empty: every test fails with this reason, e.g. the plugin could not be loaded.
    std::string setup_error;

    // Required. One integer parameter N; returns rows n = 1..N in order in one BIGINT column
    // named "n". SQLite: WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?)
    // SELECT n FROM c  (a zero-row result may then report another column type; the suite allows it).
    std::string count_sql;
    // Required. One parameter; returns it unchanged as one row with one column named "v"
    // (SQLite: SELECT ? AS v; PostgreSQL: SELECT $1::text AS v).
    std::string echo_sql;
    // Required. SQL the database rejects (a syntax error or an unknown table).
    std::string bad_sql = "SELEC nothing FROM";
    // Optional. No parameters; runs for at least a minute unless cancelled, returning few rows.
    // Empty: the cancel and timeout tests are skipped.
    std::string slow_sql;
    // Optional. No parameters; one row typed BIGINT, DECIMAL, DOUBLE, TIMESTAMP, DATE, BOOLEAN,
    // TEXT in that order with the values -9007199254740993, 12345678901234567890.10, 0.5,
    // 2017-01-02 03:04:05 UTC, 2017-01-02, true, 'h\xc3\xa9llo'; and a second row of NULLs.
    std::string all_types_sql;
    // How long a cancelled or timed-out query may take to stop.
    std::chrono::milliseconds stop_within{5000};
};

inline void PrintTo(const SourceContractParams& params, std::ostream* out) {
    *out << params.name;
}

// Params for the source role of the plugin at `library_path`; a load failure becomes setup_error,
// so it shows up as failing tests rather than a crash during test registration.
inline SourceContractParams SourceParamsFromLibrary(std::string name,
                                                    const std::string& library_path,
                                                    ConfigList config = {}) {
    SourceContractParams params;
    params.name = std::move(name);
    params.config = std::move(config);
    try {
        params.vtable = LoadPluginLibrary(library_path).vtables.source;
        if (params.vtable == nullptr) params.setup_error = "plugin '" + library_path + "' provides no source role";
    } catch (const std::exception& e) {
        params.setup_error = e.what();
    }
    return params;
}

// A typed query argument whose text outlives the call.
struct Param {
    jobber_value value{};
    std::string text;

    static Param Null() { return Param{}; }
    static Param Int(int64_t v) {
        Param p;
        p.value.type = JOBBER_VALUE_INT64;
        p.value.int_value = v;
        p.text = std::to_string(v);
        return p;
    }
    static Param Text(std::string v) {
        Param p;
        p.value.type = JOBBER_VALUE_TEXT;
        p.text = std::move(v);
        return p;
    }
};

// Everything a stream delivered, or how it failed.
struct StreamOutcome {
    jobber_code execute_code = JOBBER_OK;
    std::string execute_message;
    int stream_errno = 0;  // 0, or what get_schema/get_next returned
    std::string stream_message;
    jobber::sdk::Schema schema;
    std::vector<std::string> formats;  // each child's Arrow format
    std::vector<int64_t> batch_sizes;
    std::vector<std::vector<std::optional<std::string>>> rows;  // cells as text, see CellText

    bool ok() const { return execute_code == JOBBER_OK && stream_errno == 0; }
};

inline std::ostream& operator<<(std::ostream& out, const StreamOutcome& o) {
    out << "execute code " << o.execute_code;
    if (!o.execute_message.empty()) out << " (" << o.execute_message << ")";
    if (o.stream_errno != 0) out << ", stream errno " << o.stream_errno << " (" << o.stream_message << ")";
    return out;
}

class SourceContractTest : public ::testing::TestWithParam<SourceContractParams> {
protected:
    using ColumnType = jobber::sdk::ColumnType;
    using Row = std::vector<std::optional<std::string>>;

    void SetUp() override {
        const SourceContractParams& params = GetParam();
        if (!params.setup_error.empty()) GTEST_FAIL() << params.setup_error;
        if (!params.skip_reason.empty()) GTEST_SKIP() << params.skip_reason;
        ASSERT_NE(params.vtable, nullptr) << "no source vtable given";
        ASSERT_FALSE(params.count_sql.empty()) << "SourceContractParams::count_sql is required";
        ASSERT_FALSE(params.echo_sql.empty()) << "SourceContractParams::echo_sql is required";
        ASSERT_GE(params.vtable->struct_size, offsetof(jobber_source_vtable, ping) + sizeof(void*))
            << "the source vtable is older than ABI 1.0";
        detail::OpenArgsHolder args("contract", params.config);
        detail::CallError error;
        const jobber_code code = params.vtable->open(args.get(), &source_, error.get());
        ASSERT_EQ(code, JOBBER_OK) << "open: " << error.Result(code);
        ASSERT_NE(source_, nullptr) << "open returned OK without an instance";
    }

    void TearDown() override {
        if (source_ != nullptr) GetParam().vtable->close(source_);
    }

    const jobber_source_vtable& vt() const { return *GetParam().vtable; }

    static uint64_t NextQueryId() {
        static std::atomic<uint64_t> next{1};
        return next++;
    }

    CallResult Prepare(const std::string& task, const std::string& sql, bool raw, int32_t* param_count) {
        jobber_statement_info info{};
        info.struct_size = sizeof(info);
        info.param_count = -2;
        detail::CallError error;
        const jobber_code code = vt().prepare(source_, task.c_str(), sql.c_str(), raw ? 1 : 0, &info, error.get());
        if (param_count != nullptr) *param_count = info.param_count;
        return error.Result(code);
    }

    // The text form of a cell: BIGINT as decimal, DOUBLE via %.17g trimmed, TIMESTAMP and DATE in
    // the SDK's formats, BOOLEAN true/false, TEXT and DECIMAL as they are.
    static std::optional<std::string> CellText(const jobber::sdk::BatchView& view, size_t column, int64_t row) {
        if (view.IsNull(column, row)) return std::nullopt;
        switch (view.schema()[column].type) {
            case ColumnType::kBigInt:
                return std::to_string(view.Int64(column, row));
            case ColumnType::kDouble: {
                char buf[40];
                std::snprintf(buf, sizeof(buf), "%.17g", view.Double(column, row));
                return std::string(buf);
            }
            case ColumnType::kTimestamp:
                return jobber::sdk::FormatTimestamp(view.Int64(column, row));
            case ColumnType::kDate:
                return jobber::sdk::FormatDate(view.Date(column, row));
            case ColumnType::kBoolean:
                return std::string(view.Bool(column, row) ? "true" : "false");
            case ColumnType::kDecimal:
            case ColumnType::kText:
                return std::string(view.Text(column, row));
        }
        return std::nullopt;
    }

    // Reads a live stream to its end (or its first error) and releases it.
    static void Drain(ArrowArrayStream* stream, StreamOutcome* out) {
        jobber::sdk::OwnedSchema schema;
        int rc = stream->get_schema(stream, schema.get());
        if (rc == 0) {
            try {
                out->schema = jobber::sdk::ImportSchema(*schema);
            } catch (const std::exception& e) {
                ADD_FAILURE() << "the stream's schema is not made of the ABI's column formats: " << e.what();
                rc = EINVAL;
            }
            for (int64_t i = 0; i < (*schema).n_children; ++i) {
                const char* format = (*schema).children[i]->format;
                out->formats.emplace_back(format != nullptr ? format : "");
            }
        }
        while (rc == 0) {
            ArrowArray batch{};
            rc = stream->get_next(stream, &batch);
            if (rc != 0) break;
            if (batch.release == nullptr) break;  // end of stream
            jobber::sdk::OwnedArray owned(&batch);
            try {
                jobber::sdk::BatchView view(*owned, out->schema);
                out->batch_sizes.push_back(view.rows());
                for (int64_t r = 0; r < view.rows(); ++r) {
                    Row row;
                    for (size_t c = 0; c < view.columns(); ++c) row.push_back(CellText(view, c, r));
                    out->rows.push_back(std::move(row));
                }
            } catch (const std::exception& e) {
                ADD_FAILURE() << "a batch does not match the stream's schema: " << e.what();
                break;
            }
        }
        if (rc != 0) {
            out->stream_errno = rc;
            const char* text = stream->get_last_error(stream);
            out->stream_message = text != nullptr ? text : "";
        }
        stream->release(stream);
        EXPECT_EQ(stream->release, nullptr) << "a released stream must mark itself released";
    }

    StreamOutcome Run(const std::string& task,
                      const std::string& sql,
                      const std::vector<Param>& params,
                      int64_t batch_rows = 1000,
                      uint64_t query_id = 0,
                      int64_t timeout_ms = 0) {
        std::vector<jobber_value> values;
        for (const Param& p : params) {
            jobber_value v = p.value;
            if (v.type != JOBBER_VALUE_NULL) {
                v.text = p.text.c_str();
                v.text_size = p.text.size();
            }
            values.push_back(v);
        }
        jobber_query query{};
        query.struct_size = sizeof(query);
        query.query_id = query_id != 0 ? query_id : NextQueryId();
        query.task_name = task.c_str();
        query.sql = sql.c_str();
        query.params = values.empty() ? nullptr : values.data();
        query.param_count = static_cast<uint32_t>(values.size());
        query.timeout_ms = timeout_ms;
        query.batch_rows = batch_rows;
        ArrowArrayStream stream{};
        detail::CallError error;
        StreamOutcome out;
        out.execute_code = vt().execute(source_, &query, &stream, error.get());
        if (out.execute_code != JOBBER_OK) {
            out.execute_message = error.Result(out.execute_code).message;
            EXPECT_EQ(stream.release, nullptr) << "execute filled the stream although it failed";
            return out;
        }
        EXPECT_NE(stream.release, nullptr) << "execute returned OK without a live stream";
        if (stream.release != nullptr) Drain(&stream, &out);
        return out;
    }

    // Prepares `sql` under `task` (as the host does at start-up) and runs it.
    StreamOutcome PrepareAndRun(const std::string& task,
                                const std::string& sql,
                                const std::vector<Param>& params,
                                int64_t batch_rows = 1000) {
        int32_t count = 0;
        const CallResult prepared = Prepare(task, sql, false, &count);
        EXPECT_TRUE(prepared.ok()) << "prepare '" << task << "': " << prepared;
        return Run(task, sql, params, batch_rows);
    }

    // A failure with code `code` (from execute) or errno `err` (from the stream).
    static void ExpectFailure(const StreamOutcome& o, jobber_code code, int err) {
        EXPECT_TRUE(o.execute_code == code || (o.execute_code == JOBBER_OK && o.stream_errno == err))
            << "expected code " << code << " or stream errno " << err << ", got " << o;
        EXPECT_FALSE(o.execute_message.empty() && o.stream_message.empty()) << "a failure must say what went wrong";
    }

    std::vector<int64_t> Counts(const StreamOutcome& o) {
        std::vector<int64_t> values;
        for (const auto& row : o.rows) {
            EXPECT_EQ(row.size(), 1u);
            values.push_back(row.empty() || !row[0] ? -1 : std::stoll(*row[0]));
        }
        return values;
    }

    jobber_source* source_ = nullptr;
};

TEST_P(SourceContractTest, PingSucceeds) {
    detail::CallError error;
    const jobber_code code = vt().ping(source_, error.get());
    EXPECT_EQ(code, JOBBER_OK) << error.Result(code);
}

TEST_P(SourceContractTest, PrepareReportsTheParameterCount) {
    int32_t count = -2;
    JOBBER_ASSERT_OK(Prepare("contract_count", GetParam().count_sql, false, &count));
    EXPECT_EQ(count, 1);
    JOBBER_ASSERT_OK(Prepare("contract_echo", GetParam().echo_sql, false, &count));
    EXPECT_EQ(count, 1);
    JOBBER_ASSERT_OK(Prepare("contract_raw", GetParam().count_sql, true, &count));
    EXPECT_TRUE(count == 1 || count == -1) << "a raw task reports its count or -1, not " << count;
}

TEST_P(SourceContractTest, PrepareRejectsBadSqlAsInvalidArgument) {
    int32_t count = 0;
    const CallResult result = Prepare("contract_bad", GetParam().bad_sql, false, &count);
    EXPECT_EQ(result.code, JOBBER_INVALID_ARGUMENT) << result;
    EXPECT_FALSE(result.message.empty()) << "the operator needs the database's reason";
}

TEST_P(SourceContractTest, StreamsEveryRowInOrderInBatchesOfAtMostBatchRows) {
    const StreamOutcome o = PrepareAndRun("contract_count", GetParam().count_sql, {Param::Int(2500)}, 1000);
    ASSERT_TRUE(o.ok()) << o;
    ASSERT_EQ(o.schema.size(), 1u);
    EXPECT_EQ(o.schema[0].name, "n");
    EXPECT_EQ(o.schema[0].type, ColumnType::kBigInt);
    EXPECT_EQ(o.formats, (std::vector<std::string>{"l"}));
    std::vector<int64_t> expected;
    for (int64_t n = 1; n <= 2500; ++n) expected.push_back(n);
    EXPECT_EQ(Counts(o), expected);
    int64_t total = 0;
    for (int64_t size : o.batch_sizes) {
        EXPECT_GT(size, 0) << "an empty batch before the end of the stream";
        EXPECT_LE(size, 1000) << "a batch larger than batch_rows";
        total += size;
    }
    EXPECT_EQ(total, 2500);
    EXPECT_GE(o.batch_sizes.size(), 3u);
}

TEST_P(SourceContractTest, AnEmptyResultHasASchemaAndNoRows) {
    const StreamOutcome o = PrepareAndRun("contract_count", GetParam().count_sql, {Param::Int(0)});
    ASSERT_TRUE(o.ok()) << o;
    // Whether n = 1..0 yields zero rows or just "1" depends on the engine's recursion; a source
    // must in any case report a one-column schema.
    ASSERT_EQ(o.schema.size(), 1u);
    EXPECT_EQ(o.schema[0].name, "n");
    EXPECT_LE(o.rows.size(), 1u);
}

TEST_P(SourceContractTest, TextArgumentsAreBoundNotSpliced) {
    for (const std::string& text : {std::string("x'); DROP TABLE users; --"), std::string("h\xc3\xa9llo \"quoted\""),
                                    std::string("?$1:name"), std::string()}) {
        const StreamOutcome o = PrepareAndRun("contract_echo", GetParam().echo_sql, {Param::Text(text)});
        ASSERT_TRUE(o.ok()) << o << " for argument '" << text << "'";
        ASSERT_EQ(o.schema.size(), 1u);
        EXPECT_EQ(o.schema[0].name, "v");
        ASSERT_EQ(o.rows.size(), 1u);
        EXPECT_EQ(o.rows[0][0], std::optional<std::string>(text));
    }
}

TEST_P(SourceContractTest, NullAndIntegerArgumentsKeepTheirValue) {
    const StreamOutcome null_o = PrepareAndRun("contract_echo", GetParam().echo_sql, {Param::Null()});
    ASSERT_TRUE(null_o.ok()) << null_o;
    ASSERT_EQ(null_o.rows.size(), 1u);
    EXPECT_EQ(null_o.rows[0][0], std::nullopt) << "a NULL argument binds SQL NULL";

    const StreamOutcome int_o = PrepareAndRun("contract_echo", GetParam().echo_sql, {Param::Int(-9007199254740993LL)});
    ASSERT_TRUE(int_o.ok()) << int_o;
    ASSERT_EQ(int_o.rows.size(), 1u);
    EXPECT_EQ(int_o.rows[0][0], std::optional<std::string>("-9007199254740993")) << "no trip through a double";
}

TEST_P(SourceContractTest, AWrongArgumentCountFailsAsInvalidArgument) {
    int32_t count = 0;
    JOBBER_ASSERT_OK(Prepare("contract_count", GetParam().count_sql, false, &count));
    ExpectFailure(Run("contract_count", GetParam().count_sql, {}), JOBBER_INVALID_ARGUMENT, EINVAL);
    ExpectFailure(Run("contract_count", GetParam().count_sql, {Param::Int(1), Param::Int(2)}), JOBBER_INVALID_ARGUMENT,
                  EINVAL);
}

TEST_P(SourceContractTest, EveryColumnTypeArrivesInItsArrowFormat) {
    if (GetParam().all_types_sql.empty()) GTEST_SKIP() << "no all_types_sql given";
    const StreamOutcome o = PrepareAndRun("contract_types", GetParam().all_types_sql, {});
    ASSERT_TRUE(o.ok()) << o;
    const std::vector<ColumnType> types{ColumnType::kBigInt,    ColumnType::kDecimal, ColumnType::kDouble,
                                        ColumnType::kTimestamp, ColumnType::kDate,    ColumnType::kBoolean,
                                        ColumnType::kText};
    ASSERT_EQ(o.schema.size(), types.size());
    for (size_t c = 0; c < types.size(); ++c) {
        EXPECT_EQ(o.schema[c].type, types[c]) << "column " << c << " '" << o.schema[c].name << "'";
    }
    EXPECT_EQ(o.formats, (std::vector<std::string>{"l", "u", "g", "tsu:UTC", "tdD", "b", "u"}));
    ASSERT_EQ(o.rows.size(), 2u);
    EXPECT_EQ(o.rows[0], (Row{"-9007199254740993", "12345678901234567890.10", "0.5", "2017-01-02 03:04:05",
                              "2017-01-02", "true", "h\xc3\xa9llo"}));
    EXPECT_EQ(o.rows[1], Row(types.size(), std::nullopt));
}

TEST_P(SourceContractTest, InstanceCallsRunConcurrently) {
    constexpr int kThreads = 4;
    std::vector<StreamOutcome> outcomes(kThreads);
    int32_t count = 0;
    JOBBER_ASSERT_OK(Prepare("contract_count", GetParam().count_sql, false, &count));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back(
            [&, t] { outcomes[t] = Run("contract_count", GetParam().count_sql, {Param::Int(500 + 250 * t)}, 100); });
    }
    for (auto& thread : threads) thread.join();
    for (int t = 0; t < kThreads; ++t) {
        ASSERT_TRUE(outcomes[t].ok()) << "thread " << t << ": " << outcomes[t];
        const auto values = Counts(outcomes[t]);
        ASSERT_EQ(values.size(), static_cast<size_t>(500 + 250 * t)) << "thread " << t;
        EXPECT_EQ(values.back(), 500 + 250 * t);
    }
}

TEST_P(SourceContractTest, StreamsReleasedEarlyGiveTheirConnectionBack) {
    // Far more streams than any pool: a leaked connection makes a later execute wait until its
    // timeout instead of running.
    int32_t count = 0;
    JOBBER_ASSERT_OK(Prepare("contract_count", GetParam().count_sql, false, &count));
    const std::string text = "500";
    for (int i = 0; i < 64; ++i) {
        jobber_value value{};
        value.type = JOBBER_VALUE_INT64;
        value.int_value = 500;
        value.text = text.c_str();
        value.text_size = text.size();
        jobber_query query{sizeof(jobber_query),
                           NextQueryId(),
                           "contract_count",
                           GetParam().count_sql.c_str(),
                           0,
                           &value,
                           1,
                           5000,
                           10};
        ArrowArrayStream stream{};
        detail::CallError error;
        const jobber_code code = vt().execute(source_, &query, &stream, error.get());
        ASSERT_EQ(code, JOBBER_OK) << "stream " << i << ": " << error.Result(code);
        jobber::sdk::OwnedSchema schema;
        ASSERT_EQ(stream.get_schema(&stream, schema.get()), 0);
        ArrowArray batch{};
        const int rc = stream.get_next(&stream, &batch);
        EXPECT_EQ(rc, 0) << "stream " << i << ": " << (rc != 0 ? stream.get_last_error(&stream) : "");
        if (batch.release != nullptr) batch.release(&batch);
        stream.release(&stream);
    }
}

TEST_P(SourceContractTest, CancelStopsARunningQuery) {
    if (GetParam().slow_sql.empty()) GTEST_SKIP() << "no slow_sql given";
    const uint64_t id = NextQueryId();
    StreamOutcome outcome;
    std::atomic<bool> done{false};
    const auto started = std::chrono::steady_clock::now();
    std::thread runner([&] {
        outcome = Run("contract_slow", GetParam().slow_sql, {}, 1000, id);
        done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(done.load()) << "slow_sql finished within 300 ms; make it slower";
    detail::CallError error;
    const jobber_code code = vt().cancel(source_, id, error.get());
    EXPECT_EQ(code, JOBBER_OK) << error.Result(code);
    runner.join();
    const auto took = std::chrono::steady_clock::now() - started;
    ExpectFailure(outcome, JOBBER_CANCELLED, ECANCELED);
    EXPECT_LT(took, GetParam().stop_within + std::chrono::milliseconds(300));

    // The instance stays usable afterwards.
    const StreamOutcome after = PrepareAndRun("contract_count", GetParam().count_sql, {Param::Int(3)});
    EXPECT_TRUE(after.ok()) << after;
    EXPECT_EQ(Counts(after), (std::vector<int64_t>{1, 2, 3}));
}

TEST_P(SourceContractTest, CancellingAQueryThatIsNotRunningIsOk) {
    detail::CallError error;
    const jobber_code code = vt().cancel(source_, NextQueryId() + 1000000, error.get());
    EXPECT_EQ(code, JOBBER_OK) << error.Result(code);
}

TEST_P(SourceContractTest, TimeoutStopsASlowQuery) {
    if (GetParam().slow_sql.empty()) GTEST_SKIP() << "no slow_sql given";
    const auto started = std::chrono::steady_clock::now();
    const StreamOutcome o = Run("contract_slow", GetParam().slow_sql, {}, 1000, 0, 300);
    const auto took = std::chrono::steady_clock::now() - started;
    ExpectFailure(o, JOBBER_DEADLINE_EXCEEDED, ETIMEDOUT);
    EXPECT_GE(took, std::chrono::milliseconds(250)) << "stopped before its timeout";
    EXPECT_LT(took, GetParam().stop_within + std::chrono::milliseconds(300));
}

}  // namespace jobber::testing
