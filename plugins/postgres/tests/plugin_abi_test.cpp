// Drives the built libjobber_postgres.so only through its exported C entry points and vtables, as
// the host does: proves the boundary, not just the C++ classes.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "jobber/abi/common.h"
#include "jobber/abi/results.h"
#include "jobber/abi/source.h"
#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/testing/plugin_abi_loader.hpp"
#include "pg_test_support.hpp"

namespace jobber::postgres {
namespace {

using testing::Psql;
using testing::TestSchema;

void IgnoreLog(void*, int32_t, const char*, const char*) {}
const jobber_host_api kHost = {sizeof(jobber_host_api), nullptr, &IgnoreLog};

using jobber::testing::LoadedPlugin;

// Loaded once per process and never unloaded, as the host does.
const LoadedPlugin& Plugin() {
    static const LoadedPlugin plugin = jobber::testing::LoadPluginForAbiTest(JOBBER_POSTGRES_PLUGIN_PATH, &kHost);
    return plugin;
}

std::string FieldsOf(const jobber_role_info& role) {
    std::string out;
    for (uint32_t i = 0; i < role.field_count; ++i) {
        const jobber_config_field& f = role.fields[i];
        out +=
            std::string(f.name) + ":" + std::to_string(f.type) + ":" + (f.default_value ? f.default_value : "-") + " ";
    }
    return out;
}

TEST(PostgresPluginAbiTest, ManifestDeclaresBothRolesAndTheirKeys) {
    const LoadedPlugin& p = Plugin();
    ASSERT_NE(p.manifest, nullptr);
    EXPECT_EQ(std::string(p.manifest->name), "postgres");
    EXPECT_EQ(p.manifest->abi_major, uint32_t{JOBBER_ABI_MAJOR});
    ASSERT_EQ(p.manifest->role_count, 2u);
    EXPECT_EQ(p.manifest->roles[0].role, JOBBER_ROLE_SOURCE);
    EXPECT_EQ(FieldsOf(p.manifest->roles[0]), "dsn:5:- max_connections:2:4 connect_timeout:4:5000 ");
    EXPECT_EQ(p.manifest->roles[1].role, JOBBER_ROLE_RESULTS);
    EXPECT_EQ(FieldsOf(p.manifest->roles[1]),
              "dsn:5:- max_connections:2:8 connect_timeout:4:5000 unlogged:3:false copy_format:1:binary "
              "replace_lock_timeout:4:10000 io_timeout:4:60000 ");
    EXPECT_EQ(p.init_code, JOBBER_OK);
    EXPECT_EQ(p.vtables.broker, nullptr);
    EXPECT_EQ(p.vtables.state, nullptr);
    EXPECT_NE(p.vtables.source, nullptr);
    EXPECT_NE(p.vtables.results, nullptr);
}

TEST(PostgresPluginAbiTest, RowsFlowFromSourceToResultsAndCancelIsEcanceled) {
    JOBBER_REQUIRE_POSTGRES();
    ASSERT_NE(Plugin().vtables.source, nullptr);
    const jobber_source_vtable* svt = Plugin().vtables.source;
    const jobber_results_vtable* rvt = Plugin().vtables.results;
    TestSchema schema;
    const jobber_kv config[] = {{"dsn", schema.dsn().c_str()}};
    const jobber_open_args args = {sizeof(jobber_open_args), "main", config, 1};
    jobber_source* source = nullptr;
    jobber_results* results = nullptr;
    sdk::ErrorSlot error;
    ASSERT_EQ(svt->open(&args, &source, error.get()), JOBBER_OK) << error.message();
    ASSERT_EQ(rvt->open(&args, &results, error.get()), JOBBER_OK) << error.message();
    EXPECT_EQ(rvt->max_identifier_length(results), 63u);

    const std::string sql = "SELECT n, n * 1.5 AS amount FROM generate_series(1, $1::int) AS n";
    jobber_statement_info info{sizeof(info), 0};
    ASSERT_EQ(svt->prepare(source, "series", sql.c_str(), 0, &info, error.get()), JOBBER_OK) << error.message();
    EXPECT_EQ(info.param_count, 1);
    const jobber_value params[] = {{JOBBER_VALUE_INT64, 0, 2500, 0.0, "2500", 4}};
    jobber_query query{};
    query.struct_size = sizeof(query);
    query.query_id = 1;
    query.task_name = "series";
    query.sql = sql.c_str();
    query.params = params;
    query.param_count = 1;
    query.batch_rows = 1000;
    ArrowArrayStream stream{};
    ASSERT_EQ(svt->execute(source, &query, &stream, error.get()), JOBBER_OK) << error.message();
    sdk::OwnedSchema arrow_schema;
    ASSERT_EQ(stream.get_schema(&stream, arrow_schema.get()), 0);
    EXPECT_EQ(sdk::ImportSchema(*arrow_schema)[1].type, sdk::ColumnType::kDecimal);
    const jobber_results_target target = {sizeof(jobber_results_target), "job-abi", "abi_result", 0};
    jobber_results_txn* txn = nullptr;
    ASSERT_EQ(rvt->begin(results, &target, arrow_schema.get(), &txn, error.get()), JOBBER_OK) << error.message();
    int batches = 0;
    for (;;) {
        ArrowArray batch{};
        ASSERT_EQ(stream.get_next(&stream, &batch), 0) << stream.get_last_error(&stream);
        if (batch.release == nullptr) break;
        ++batches;
        ASSERT_EQ(rvt->write(txn, &batch, error.get()), JOBBER_OK) << error.message();
    }
    stream.release(&stream);
    EXPECT_EQ(batches, 3);
    ASSERT_EQ(rvt->commit(txn, error.get()), JOBBER_OK) << error.message();
    rvt->release(txn);
    Psql psql(schema.dsn());
    EXPECT_EQ(psql.One("SELECT count(*), sum(amount) FROM abi_result"), "2500|4689375.0");

    // A cancel between batches shows up as ECANCELED with its text.
    const std::string endless = "SELECT generate_series(1, 1000000000) AS n";
    query.query_id = 2;
    query.task_name = "endless";
    query.sql = endless.c_str();
    query.raw = 1;
    query.param_count = 0;
    ASSERT_EQ(svt->execute(source, &query, &stream, error.get()), JOBBER_OK) << error.message();
    ASSERT_EQ(svt->cancel(source, 2, error.get()), JOBBER_OK);
    int rc = 0;
    for (int i = 0; i < 100000 && rc == 0; ++i) {
        ArrowArray batch{};
        rc = stream.get_next(&stream, &batch);
        if (rc == 0 && batch.release != nullptr) batch.release(&batch);
    }
    EXPECT_EQ(rc, ECANCELED);
    EXPECT_STREQ(stream.get_last_error(&stream), "query cancelled");
    stream.release(&stream);

    uint64_t dropped = 9;
    EXPECT_EQ(rvt->sweep(results, 1, &dropped, error.get()), JOBBER_OK);
    EXPECT_EQ(dropped, 0u);
    EXPECT_EQ(rvt->drop(results, "abi_result", error.get()), JOBBER_OK);
    EXPECT_EQ(svt->ping(source, error.get()), JOBBER_OK);
    EXPECT_EQ(rvt->ping(results, error.get()), JOBBER_OK);
    svt->close(source);
    rvt->close(results);
}

}  // namespace
}  // namespace jobber::postgres
