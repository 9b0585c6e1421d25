// Drives the built libjobber_mysql.so only through its exported C entry points and vtables, as
// the host does: manifest, a query streamed through the Arrow C stream, a cancel through the
// vtable, and a results table written and published.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "jobber/abi/common.h"
#include "jobber/abi/results.h"
#include "jobber/abi/source.h"
#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/testing/plugin_abi_loader.hpp"
#include "test_support.hpp"

namespace jobber::mysql {
namespace {

using namespace testing;
using namespace std::chrono_literals;

void IgnoreLog(void*, int32_t, const char*, const char*) {}
const jobber_host_api kHost = {sizeof(jobber_host_api), nullptr, &IgnoreLog};

using jobber::testing::LoadedPlugin;

// Loaded once per process and never unloaded, as the host does.
const LoadedPlugin& Plugin() {
    static const LoadedPlugin plugin = jobber::testing::LoadPluginForAbiTest(JOBBER_MYSQL_PLUGIN_PATH, &kHost);
    return plugin;
}

std::string FieldNames(const jobber_role_info& role) {
    std::string out;
    for (uint32_t i = 0; i < role.field_count; ++i) out += std::string(out.empty() ? "" : " ") + role.fields[i].name;
    return out;
}

TEST(MysqlPluginAbiTest, ManifestDescribesBothRoles) {
    const LoadedPlugin& p = Plugin();
    ASSERT_NE(p.manifest, nullptr);
    EXPECT_EQ(std::string(p.manifest->name), "mysql");
    EXPECT_EQ(p.manifest->abi_major, static_cast<uint32_t>(JOBBER_ABI_MAJOR));
    ASSERT_EQ(p.manifest->role_count, 2u);
    EXPECT_EQ(p.manifest->roles[0].role, JOBBER_ROLE_SOURCE);
    EXPECT_EQ(FieldNames(p.manifest->roles[0]), "dsn max_connections connect_timeout read_timeout write_timeout");
    EXPECT_EQ(p.manifest->roles[0].fields[0].type, JOBBER_FIELD_SECRET) << "the DSN holds a password";
    EXPECT_EQ(p.manifest->roles[1].role, JOBBER_ROLE_RESULTS);
    EXPECT_EQ(
        FieldNames(p.manifest->roles[1]),
        "dsn max_connections connect_timeout read_timeout write_timeout replace_lock_timeout write_method engine");
    EXPECT_EQ(p.init_code, JOBBER_OK);
    EXPECT_NE(p.vtables.source, nullptr);
    EXPECT_NE(p.vtables.results, nullptr);
    EXPECT_EQ(p.vtables.broker, nullptr);
}

class MysqlPluginAbiServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        JOBBER_REQUIRE_MYSQL();
        ASSERT_EQ(Plugin().init_code, JOBBER_OK);
    }
    static jobber_open_args OpenArgs(const std::vector<jobber_kv>& kvs) {
        return jobber_open_args{sizeof(jobber_open_args), "abi", kvs.data(), static_cast<uint32_t>(kvs.size())};
    }
};

TEST_F(MysqlPluginAbiServerTest, StreamsAndCancelsThroughTheCVtable) {
    const jobber_source_vtable& vt = *Plugin().vtables.source;
    const std::string dsn = SourceDsn();
    const std::vector<jobber_kv> kvs = {{"dsn", dsn.c_str()}};
    const jobber_open_args args = OpenArgs(kvs);
    jobber_source* source = nullptr;
    sdk::ErrorSlot open_error;
    ASSERT_EQ(vt.open(&args, &source, open_error.get()), JOBBER_OK) << open_error.message();

    jobber_statement_info info{sizeof(info), 0};
    sdk::ErrorSlot prepare_error;
    ASSERT_EQ(vt.prepare(source, "echo", "SELECT ? AS v", 0, &info, prepare_error.get()), JOBBER_OK);
    EXPECT_EQ(info.param_count, 1);

    const jobber_value arg{JOBBER_VALUE_TEXT, 0, 0, 0, "caf\xc3\xa9", 5};
    jobber_query query{sizeof(jobber_query), 1, "echo", "SELECT ? AS v", 0, &arg, 1, 0, 100};
    ArrowArrayStream stream{};
    sdk::ErrorSlot execute_error;
    ASSERT_EQ(vt.execute(source, &query, &stream, execute_error.get()), JOBBER_OK) << execute_error.message();
    sdk::OwnedSchema schema;
    ASSERT_EQ(stream.get_schema(&stream, schema.get()), 0);
    const sdk::Schema imported = sdk::ImportSchema(*schema);
    ArrowArray batch{};
    ASSERT_EQ(stream.get_next(&stream, &batch), 0);
    sdk::OwnedArray owned(&batch);
    EXPECT_EQ(sdk::BatchView(*owned, imported).Text(0, 0), "caf\xc3\xa9");
    ArrowArray end{};
    ASSERT_EQ(stream.get_next(&stream, &end), 0);
    EXPECT_EQ(end.release, nullptr);
    stream.release(&stream);

    // Cancel from another thread: the stream reports ECANCELED, as the Arrow stream contract asks.
    jobber_query slow{sizeof(jobber_query), 2, "slow", "SELECT SLEEP(30)", 1, nullptr, 0, 0, 100};
    ArrowArrayStream slow_stream{};
    auto canceller = std::async(std::launch::async, [&] {
        std::this_thread::sleep_for(300ms);
        sdk::ErrorSlot cancel_error;
        return vt.cancel(source, 2, cancel_error.get());
    });
    const auto start = std::chrono::steady_clock::now();
    sdk::ErrorSlot slow_error;
    const jobber_code code = vt.execute(source, &slow, &slow_stream, slow_error.get());
    if (code == JOBBER_OK) {
        ArrowArray next{};
        EXPECT_EQ(slow_stream.get_next(&slow_stream, &next), ECANCELED) << slow_stream.get_last_error(&slow_stream);
        slow_stream.release(&slow_stream);
    } else {
        EXPECT_EQ(code, JOBBER_CANCELLED) << slow_error.message();
    }
    EXPECT_EQ(canceller.get(), JOBBER_OK);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    vt.close(source);
}

TEST_F(MysqlPluginAbiServerTest, WritesAndPublishesThroughTheCVtable) {
    const jobber_results_vtable& vt = *Plugin().vtables.results;
    const std::string dsn = ResultsDsn();
    const std::vector<jobber_kv> kvs = {{"dsn", dsn.c_str()}};
    const jobber_open_args args = OpenArgs(kvs);
    jobber_results* results = nullptr;
    sdk::ErrorSlot open_error;
    ASSERT_EQ(vt.open(&args, &results, open_error.get()), JOBBER_OK) << open_error.message();
    EXPECT_EQ(vt.max_identifier_length(results), 64u);

    const sdk::Schema schema = {{"n", sdk::ColumnType::kBigInt}};
    sdk::OwnedSchema arrow_schema;
    sdk::ExportSchema(schema, arrow_schema.get());
    const std::string table = UniqueName("abi");
    const jobber_results_target target{sizeof(jobber_results_target), "abi-job", table.c_str(), 0};
    jobber_results_txn* txn = nullptr;
    sdk::ErrorSlot begin_error;
    ASSERT_EQ(vt.begin(results, &target, arrow_schema.get(), &txn, begin_error.get()), JOBBER_OK)
        << begin_error.message();
    sdk::BatchBuilder builder(schema);
    builder.AppendInt64(0, 41);
    builder.AppendInt64(0, 1);
    ArrowArray batch{};
    builder.Finish(&batch);
    sdk::ErrorSlot write_error;
    ASSERT_EQ(vt.write(txn, &batch, write_error.get()), JOBBER_OK) << write_error.message();
    EXPECT_EQ(batch.release, nullptr) << "write must take the batch";
    sdk::ErrorSlot commit_error;
    ASSERT_EQ(vt.commit(txn, commit_error.get()), JOBBER_OK) << commit_error.message();
    vt.release(txn);

    Admin admin(dsn);
    EXPECT_EQ(admin.One("SELECT SUM(n) FROM `" + table + "`"), "42");
    sdk::ErrorSlot drop_error;
    EXPECT_EQ(vt.drop(results, table.c_str(), drop_error.get()), JOBBER_OK) << drop_error.message();
    EXPECT_EQ(admin.One("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                        "TABLE_NAME = '" +
                        table + "'"),
              "0");
    vt.close(results);
}

}  // namespace
}  // namespace jobber::mysql
