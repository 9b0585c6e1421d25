// Drives the built libjobber_sqlite.so only through its exported C entry points and vtables,
// as the host does: proves the boundary, not just the C++ classes.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "jobber/abi/common.h"
#include "jobber/abi/results.h"
#include "jobber/abi/source.h"
#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/testing/plugin_abi_loader.hpp"
#include "test_support.hpp"

namespace jobber::sqlite {
namespace {

using testing::Db;
using testing::TempDir;

std::mutex log_mutex;
std::vector<std::string> log_lines;

void CaptureLog(void* /*host*/, int32_t level, const char* component, const char* message) {
    std::lock_guard<std::mutex> lock(log_mutex);
    log_lines.push_back(std::to_string(level) + " " + component + ": " + message);
}

const jobber_host_api kHost = {sizeof(jobber_host_api), nullptr, &CaptureLog};

using jobber::testing::LoadedPlugin;

// Loaded once per process and never unloaded, as the host does.
const LoadedPlugin& Plugin() {
    static const LoadedPlugin plugin = jobber::testing::LoadPluginForAbiTest(JOBBER_SQLITE_PLUGIN_PATH, &kHost);
    return plugin;
}

std::string FieldsOf(const jobber_role_info& role) {
    std::string out;
    for (uint32_t i = 0; i < role.field_count; ++i) {
        const jobber_config_field& f = role.fields[i];
        out += std::string(f.name) + ":" + std::to_string(f.type) + ":" + (f.required ? "required" : "optional") + ":" +
               (f.default_value != nullptr ? f.default_value : "-") + " ";
    }
    return out;
}

TEST(PluginAbiTest, ManifestDescribesBothRoles) {
    const LoadedPlugin& p = Plugin();
    ASSERT_NE(p.manifest, nullptr);
    EXPECT_EQ(std::string(p.manifest->name), "sqlite");
    EXPECT_EQ(std::string(p.manifest->version), "1.0.0");
    EXPECT_EQ(p.manifest->abi_major, uint32_t{JOBBER_ABI_MAJOR});
    EXPECT_EQ(p.manifest->abi_minor, uint32_t{JOBBER_ABI_MINOR});
    ASSERT_EQ(p.manifest->role_count, 2u);
    EXPECT_EQ(p.manifest->roles[0].role, JOBBER_ROLE_SOURCE);
    EXPECT_EQ(FieldsOf(p.manifest->roles[0]),
              "dsn:1:required:- max_connections:2:optional:4 busy_timeout:4:optional:5000 read_only:3:optional:true ");
    EXPECT_EQ(p.manifest->roles[1].role, JOBBER_ROLE_RESULTS);
    EXPECT_EQ(FieldsOf(p.manifest->roles[1]),
              "dsn:1:required:- busy_timeout:4:optional:5000 journal_mode:1:optional:wal ");
}

TEST(PluginAbiTest, InitFillsOnlyTheProvidedRoles) {
    const LoadedPlugin& p = Plugin();
    EXPECT_EQ(p.init_code, JOBBER_OK);
    EXPECT_EQ(p.vtables.broker, nullptr);
    EXPECT_EQ(p.vtables.state, nullptr);
    ASSERT_NE(p.vtables.source, nullptr);
    ASSERT_NE(p.vtables.results, nullptr);
    EXPECT_EQ(p.vtables.source->struct_size, sizeof(jobber_source_vtable));
    EXPECT_EQ(p.vtables.results->struct_size, sizeof(jobber_results_vtable));
}

class PluginAbiFlowTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_NE(Plugin().vtables.source, nullptr);
        source_vt_ = Plugin().vtables.source;
        results_vt_ = Plugin().vtables.results;
        source_path_ = dir_.File("source.db");
        results_path_ = dir_.File("results.db");
        Db(source_path_)
            .Exec(
                "CREATE TABLE entries (id INTEGER PRIMARY KEY, user_id TEXT, amount DECIMAL(12,2), "
                "entry_date DATE, created_at TIMESTAMP, is_paid BOOLEAN, note TEXT);"
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2500) "
                "INSERT INTO entries SELECT x, 'USER' || (x % 3), printf('%d.%02d', x, x % 100), "
                "date('2017-01-01', '+' || (x % 365) || ' days'), datetime(1483228800 + x * 60, 'unixepoch'), "
                "x % 2, CASE WHEN x % 5 = 0 THEN NULL ELSE 'n' || x END FROM c;");
        const jobber_kv source_config[] = {{"dsn", source_path_.c_str()}, {"max_connections", "2"}};
        const jobber_open_args source_args = {sizeof(jobber_open_args), "main", source_config, 2};
        sdk::ErrorSlot error;
        ASSERT_EQ(source_vt_->open(&source_args, &source_, error.get()), JOBBER_OK) << error.message();
        const jobber_kv results_config[] = {{"dsn", results_path_.c_str()}};
        const jobber_open_args results_args = {sizeof(jobber_open_args), "results", results_config, 1};
        ASSERT_EQ(results_vt_->open(&results_args, &results_, error.get()), JOBBER_OK) << error.message();
    }

    void TearDown() override {
        if (source_ != nullptr) source_vt_->close(source_);
        if (results_ != nullptr) results_vt_->close(results_);
    }

    jobber_query Query(const char* task, const char* sql, uint64_t id, const jobber_value* params, uint32_t count) {
        jobber_query q{};
        q.struct_size = sizeof(q);
        q.query_id = id;
        q.task_name = task;
        q.sql = sql;
        q.params = params;
        q.param_count = count;
        q.batch_rows = 1000;
        return q;
    }

    TempDir dir_;
    std::string source_path_;
    std::string results_path_;
    const jobber_source_vtable* source_vt_ = nullptr;
    const jobber_results_vtable* results_vt_ = nullptr;
    jobber_source* source_ = nullptr;
    jobber_results* results_ = nullptr;
};

TEST_F(PluginAbiFlowTest, PrepareReportsParametersAndErrors) {
    jobber_statement_info info{sizeof(info), 0};
    sdk::ErrorSlot error;
    ASSERT_EQ(source_vt_->prepare(source_, "by_user", "SELECT * FROM entries WHERE user_id = ?", 0, &info, error.get()),
              JOBBER_OK);
    EXPECT_EQ(info.param_count, 1);
    EXPECT_EQ(source_vt_->prepare(source_, "raw", "anything at all", 1, &info, error.get()), JOBBER_OK);
    EXPECT_EQ(info.param_count, -1);
    sdk::ErrorSlot bad;
    EXPECT_EQ(source_vt_->prepare(source_, "bad", "SELECT nope FROM entries", 0, &info, bad.get()),
              JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(bad.message(), "task 'bad': no such column: nope");
    EXPECT_EQ(source_vt_->ping(source_, error.get()), JOBBER_OK);
}

TEST_F(PluginAbiFlowTest, RowsFlowFromSourceToResultsThroughTheVtables) {
    const std::string user = "USER1";
    const jobber_value params[] = {{JOBBER_VALUE_TEXT, 0, 0, 0.0, user.c_str(), user.size()}};
    const jobber_query query = Query("by_user", "SELECT * FROM entries WHERE user_id = ? ORDER BY id", 1, params, 1);
    ArrowArrayStream stream{};
    sdk::ErrorSlot error;
    ASSERT_EQ(source_vt_->execute(source_, &query, &stream, error.get()), JOBBER_OK) << error.message();

    sdk::OwnedSchema schema;
    ASSERT_EQ(stream.get_schema(&stream, schema.get()), 0);
    const sdk::Schema imported = sdk::ImportSchema(*schema);
    ASSERT_EQ(imported.size(), 7u);
    EXPECT_EQ(std::string((*schema).children[2]->format), "u");  // DECIMAL travels as text
    EXPECT_EQ(imported[2].type, sdk::ColumnType::kDecimal);
    EXPECT_EQ(imported[3].type, sdk::ColumnType::kDate);
    EXPECT_EQ(imported[4].type, sdk::ColumnType::kTimestamp);
    EXPECT_EQ(imported[5].type, sdk::ColumnType::kBoolean);

    const jobber_results_target target = {sizeof(jobber_results_target), "job-abi", "abi_result", 0};
    jobber_results_txn* txn = nullptr;
    ASSERT_EQ(results_vt_->begin(results_, &target, schema.get(), &txn, error.get()), JOBBER_OK) << error.message();
    int batches = 0;
    for (;;) {
        ArrowArray batch{};
        ASSERT_EQ(stream.get_next(&stream, &batch), 0) << stream.get_last_error(&stream);
        if (batch.release == nullptr) break;
        ++batches;
        ASSERT_EQ(results_vt_->write(txn, &batch, error.get()), JOBBER_OK) << error.message();
        EXPECT_EQ(batch.release, nullptr);  // moved in
    }
    stream.release(&stream);
    EXPECT_EQ(batches, 1);  // 834 rows of user 1 with batch_rows 1000
    ASSERT_EQ(results_vt_->commit(txn, error.get()), JOBBER_OK) << error.message();
    results_vt_->release(txn);

    Db out(results_path_);
    EXPECT_EQ(out.One("SELECT COUNT(*) FROM abi_result"), "834");
    EXPECT_EQ(out.One("SELECT * FROM abi_result WHERE id = 4"), "4|USER1|4.04|2017-01-05|2017-01-01 00:04:00|0|n4");
    EXPECT_EQ(out.One("SELECT * FROM abi_result WHERE id = 10"), "10|USER1|10.1|2017-01-11|2017-01-01 00:10:00|0|NULL");

    uint64_t dropped = 99;
    EXPECT_EQ(results_vt_->sweep(results_, 1, &dropped, error.get()), JOBBER_OK);
    EXPECT_EQ(dropped, 0u);
    EXPECT_EQ(results_vt_->drop(results_, "abi_result", error.get()), JOBBER_OK);
    EXPECT_EQ(out.One("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'abi_result'"), "0");
}

TEST_F(PluginAbiFlowTest, ReleaseWithoutCommitRollsBack) {
    sdk::OwnedSchema schema;
    sdk::ExportSchema({{"n", sdk::ColumnType::kBigInt}}, schema.get());
    const jobber_results_target target = {sizeof(jobber_results_target), "job", "never_published", 0};
    jobber_results_txn* txn = nullptr;
    sdk::ErrorSlot error;
    ASSERT_EQ(results_vt_->begin(results_, &target, schema.get(), &txn, error.get()), JOBBER_OK);
    results_vt_->release(txn);
    EXPECT_EQ(Db(results_path_).One("SELECT COUNT(*) FROM sqlite_schema WHERE name LIKE 'never_published%'"), "0");
    EXPECT_EQ(results_vt_->max_identifier_length(results_), 255u);
}

TEST_F(PluginAbiFlowTest, StreamErrorsBecomeErrnoWithText) {
    const jobber_query query = Query("bad_cast", "SELECT column1 AS x FROM (VALUES (1), ('two'))", 2, nullptr, 0);
    ArrowArrayStream stream{};
    sdk::ErrorSlot error;
    ASSERT_EQ(source_vt_->execute(source_, &query, &stream, error.get()), JOBBER_OK);
    ArrowArray batch{};
    EXPECT_EQ(stream.get_next(&stream, &batch), EINVAL);
    EXPECT_EQ(std::string(stream.get_last_error(&stream)), "column 'x' row 2: value 'two' is not a BIGINT");
    stream.release(&stream);
}

TEST_F(PluginAbiFlowTest, TimeoutAndCancelMapToTheirCodes) {
    const char* slow =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT COUNT(*) FROM c";
    jobber_query query = Query("slow", slow, 3, nullptr, 0);
    query.timeout_ms = 100;
    ArrowArrayStream stream{};
    sdk::ErrorSlot timeout;
    EXPECT_EQ(source_vt_->execute(source_, &query, &stream, timeout.get()), JOBBER_DEADLINE_EXCEEDED);
    EXPECT_EQ(timeout.message(), "query exceeded its timeout of 100ms");

    // A declared column defers the work to get_next, where cancel shows up as ECANCELED.
    const jobber_query streaming =
        Query("slow_rows",
              "SELECT id FROM entries WHERE id > (SELECT COUNT(*) FROM (WITH RECURSIVE c(x) AS "
              "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT x FROM c))",
              4, nullptr, 0);
    sdk::ErrorSlot error;
    ASSERT_EQ(source_vt_->execute(source_, &streaming, &stream, error.get()), JOBBER_OK) << error.message();
    ASSERT_EQ(source_vt_->cancel(source_, 4, error.get()), JOBBER_OK);
    ArrowArray batch{};
    EXPECT_EQ(stream.get_next(&stream, &batch), ECANCELED);
    EXPECT_EQ(std::string(stream.get_last_error(&stream)), "query cancelled");
    stream.release(&stream);
    EXPECT_EQ(source_vt_->cancel(source_, 4, error.get()), JOBBER_OK);  // no longer running
}

TEST_F(PluginAbiFlowTest, PluginLogsThroughTheHost) {
    std::lock_guard<std::mutex> lock(log_mutex);
    bool saw_open = false;
    for (const std::string& line : log_lines) {
        if (line.find("main: sqlite source opened dsn=") != std::string::npos) saw_open = true;
    }
    EXPECT_TRUE(saw_open);
}

}  // namespace
}  // namespace jobber::sqlite
