// Keeps the README's demo honest: seeds sql/demo-data/seed.sql, then prepares and runs every
// task of sql/demo/tasks.sql through the source and writes one into the results backend.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "jobber/sdk/error.hpp"
#include "sqlite_results.hpp"
#include "sqlite_source.hpp"
#include "test_support.hpp"

namespace jobber::sqlite {
namespace {

using sdk::ColumnType;
using testing::Db;
using testing::MakeQuery;
using testing::TempDir;

struct DemoTask {
    std::string sql;
    std::map<std::string, std::string> tags;
};

std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Just enough goyesql: `-- name: x` starts a task, `-- key: value` lines right after it are tags,
// other comment lines are dropped, the rest is SQL.
std::map<std::string, DemoTask> ParseTasks(const std::string& text) {
    std::map<std::string, DemoTask> tasks;
    DemoTask* current = nullptr;
    bool in_tags = false;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("-- name:", 0) == 0) {
            const std::string name = line.substr(line.find_first_not_of(' ', 8));
            current = &tasks[name];
            in_tags = true;
            continue;
        }
        if (current == nullptr) continue;
        if (line.rfind("--", 0) == 0) {
            const size_t colon = line.find(':');
            if (in_tags && colon != std::string::npos && line.find(' ', 3) > colon) {
                current->tags[line.substr(3, colon - 3)] = line.substr(colon + 2);
            }
            continue;
        }
        in_tags = false;
        current->sql += line + "\n";
    }
    return tasks;
}

class DemoTasksTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir();
        Db(dir_->File("demo.db")).Exec(ReadFile(std::string(JOBBER_TEST_SOURCE_DIR) + "/sql/demo-data/seed.sql"));
    }
    static void TearDownTestSuite() {
        delete dir_;
        dir_ = nullptr;
    }

    static TempDir* dir_;
};

TempDir* DemoTasksTest::dir_ = nullptr;

TEST_F(DemoTasksTest, EveryTaskPreparesAndRuns) {
    const auto tasks = ParseTasks(ReadFile(std::string(JOBBER_TEST_SOURCE_DIR) + "/sql/demo/tasks.sql"));
    ASSERT_EQ(tasks.size(), 6u);
    SqliteSource source(testing::Args({{"dsn", dir_->File("demo.db")}}));

    const std::map<std::string, std::vector<std::string>> args = {
        {"get_profit_summary", {"USER1"}},
        {"get_profit_entries", {"USER1"}},
        {"get_profit_entries_by_date", {"USER1", "2017-03-01", "2017-03-31"}},
    };
    const std::map<std::string, int64_t> expected_rows = {
        {"get_profit_summary", 365},
        {"get_profit_entries", 5000},
        {"get_profit_entries_by_date", 428},
        {"count_entries", 1},
        {"all_types", 1},
    };
    uint64_t id = 1;
    for (const auto& [name, task] : tasks) {
        SCOPED_TRACE(name);
        EXPECT_EQ(task.tags.at("db"), "demo");
        EXPECT_EQ(task.tags.at("results"), "demo_results");
        const bool raw = task.tags.count("raw") != 0;
        const std::vector<std::string> task_args = args.count(name) != 0 ? args.at(name) : std::vector<std::string>{};
        EXPECT_EQ(source.Prepare(name, task.sql, raw), raw ? -1 : static_cast<int32_t>(task_args.size()));

        std::vector<jobber_value> params;
        for (const std::string& arg : task_args) params.push_back(testing::TextValue(arg));
        auto query = MakeQuery(name, task.sql, id++);
        query.raw = raw;
        query.params = params.data();
        query.param_count = static_cast<uint32_t>(params.size());
        if (name == "slow_query") {
            query.timeout_ms = 100;
            try {
                auto stream = source.Execute(query);
                testing::Drain(*stream);
                ADD_FAILURE() << "slow_query finished within 100ms";
            } catch (const sdk::Error& e) {
                EXPECT_EQ(e.code(), JOBBER_DEADLINE_EXCEEDED);
            }
            continue;
        }
        auto stream = source.Execute(query);
        int64_t rows = 0;
        for (auto& batch : testing::Drain(*stream)) rows += (*batch).length;
        EXPECT_EQ(rows, expected_rows.at(name));
    }
    EXPECT_EQ(tasks.at("get_profit_entries").tags.at("queue"), "reports");
    EXPECT_EQ(tasks.at("count_entries").tags.at("raw"), "1");
}

TEST_F(DemoTasksTest, AllTypesCoversEveryColumnTypeAndNull) {
    const auto tasks = ParseTasks(ReadFile(std::string(JOBBER_TEST_SOURCE_DIR) + "/sql/demo/tasks.sql"));
    SqliteSource source(testing::Args({{"dsn", dir_->File("demo.db")}}));
    auto stream = source.Execute(MakeQuery("all_types", tasks.at("all_types").sql));
    const std::vector<ColumnType> types = {ColumnType::kBigInt, ColumnType::kDecimal,   ColumnType::kDouble,
                                           ColumnType::kDate,   ColumnType::kTimestamp, ColumnType::kBoolean,
                                           ColumnType::kText};
    ASSERT_EQ(stream->schema().size(), 14u);
    for (size_t i = 0; i < 7; ++i) {
        EXPECT_EQ(stream->schema()[i].type, types[i]) << stream->schema()[i].name;
        EXPECT_EQ(stream->schema()[i + 7].type, types[i]) << stream->schema()[i + 7].name;
    }
    auto batches = testing::Drain(*stream);
    ASSERT_EQ(batches.size(), 1u);
    sdk::BatchView view(*batches[0], stream->schema());
    EXPECT_EQ(testing::Cell(view, 6, 0), "café ☕ 支払い済み — ünïcødé");
    for (size_t i = 0; i < 7; ++i) EXPECT_FALSE(view.IsNull(i, 0));
    for (size_t i = 7; i < 14; ++i) EXPECT_TRUE(view.IsNull(i, 0));
}

TEST_F(DemoTasksTest, SummaryLandsInTheResultsBackend) {
    const auto tasks = ParseTasks(ReadFile(std::string(JOBBER_TEST_SOURCE_DIR) + "/sql/demo/tasks.sql"));
    SqliteSource source(testing::Args({{"dsn", dir_->File("demo.db")}}));
    SqliteResults results(testing::Args({{"dsn", dir_->File("demo_results.db")}}));
    const std::string user = "USER1";
    const jobber_value params[] = {testing::TextValue(user)};
    auto query = MakeQuery("get_profit_summary", tasks.at("get_profit_summary").sql);
    query.params = params;
    query.param_count = 1;
    auto stream = source.Execute(query);
    auto writer = results.Begin({"demo-job", "results_demo_job", 0}, stream->schema());
    for (auto& batch : testing::Drain(*stream)) writer->Write(sdk::BatchView(*batch, stream->schema()));
    writer->Commit();
    Db db(dir_->File("demo_results.db"));
    EXPECT_EQ(db.One("SELECT COUNT(*), MIN(entry_date), MAX(entry_date) FROM results_demo_job"),
              "365|2017-01-01|2017-12-31");
    EXPECT_EQ(db.Rows("SELECT type FROM pragma_table_info('results_demo_job') ORDER BY cid"),
              (std::vector<std::string>{"DOUBLE", "DATE"}));
}

}  // namespace
}  // namespace jobber::sqlite
