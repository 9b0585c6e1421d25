// The SDK's results contract suite against the built libjobber_csv.so, plus what is particular to
// CSV files: file names, work files, options.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "csv_reader.hpp"
#include "csv_results.hpp"
#include "jobber/testing/results_contract.hpp"

namespace jobber_csv {
namespace {

namespace fs = std::filesystem;

// One directory per test process, made when the tests start and removed at exit. Only named here: the test list
// is built (and, under ctest, listed with --gtest_list_tests) without running any test, so making it here would
// leave an empty directory behind each listing.
const fs::path& ResultsDir() {
    static const fs::path dir = fs::temp_directory_path() / ("jobber-csv-test-" + std::to_string(getpid()) + "-" +
                                                             std::to_string(std::random_device{}()));
    return dir;
}

class ResultsDirForTheRun : public ::testing::Environment {
public:
    void SetUp() override { fs::create_directories(ResultsDir()); }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(ResultsDir(), ec);
    }
};
const auto* const kResultsDirForTheRun = ::testing::AddGlobalTestEnvironment(new ResultsDirForTheRun);

std::string ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// [csv-read-table]
std::optional<jobber::testing::TableContent> ReadTable(const std::string& table) {
    const fs::path path = ResultsDir() / (table + ".csv");
    if (!fs::exists(path)) return std::nullopt;
    auto rows = testing::ParseCsv(ReadFile(path));
    if (rows.empty()) throw std::runtime_error("'" + path.string() + "' has no header line");
    jobber::testing::TableContent content;
    for (const auto& name : rows.front()) content.columns.push_back(name.value_or(""));
    content.rows.assign(rows.begin() + 1, rows.end());
    return content;
}
// [csv-read-table]

std::vector<std::string> WorkFiles(const std::string& fragment) {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(ResultsDir())) {
        const std::string name = entry.path().filename().string();
        if (name.front() == '.' && name.find(fragment) != std::string::npos && name.size() > 4 &&
            name.compare(name.size() - 4, 4, ".tmp") == 0) {
            found.push_back(name);
        }
    }
    return found;
}

// [csv-contract]
jobber::testing::ResultsContractParams CsvParams() {
    auto params = jobber::testing::ResultsParamsFromLibrary(
        "csv", CSV_PLUGIN_PATH,
        {{"directory", ResultsDir().string()}, {"header", "true"}, {"line_ending", "crlf"}, {"fsync", "false"}});
    params.read_table = ReadTable;
    params.list_unpublished = WorkFiles;
    params.all_types_row = {"-9007199254740993",
                            "12345678901234567890.10",
                            "0.5",
                            "2017-01-02 03:04:05",
                            "2017-01-02",
                            "true",
                            "h\xc3\xa9llo, \"world\"\nline 2"};
    return params;
}
// [csv-contract]

}  // namespace
}  // namespace jobber_csv

namespace jobber::testing {
// [csv-instantiate]
INSTANTIATE_TEST_SUITE_P(Csv, ResultsContractTest, ::testing::Values(jobber_csv::CsvParams()), ContractParamName());
// [csv-instantiate]
}  // namespace jobber::testing

namespace jobber_csv {
namespace {

jobber::sdk::OpenArgs Args(jobber::testing::ConfigList config) {
    std::vector<jobber_kv> kvs;
    for (const auto& [key, value] : config) kvs.push_back({key.c_str(), value.c_str()});
    return jobber::sdk::OpenArgs{"test", jobber::sdk::Config(kvs.data(), static_cast<uint32_t>(kvs.size()))};
}

template <class Fn>
std::string ErrorOf(Fn&& fn, jobber_code code) {
    try {
        fn();
    } catch (const jobber::sdk::Error& e) {
        EXPECT_EQ(e.code(), code) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "nothing was thrown";
    return {};
}

TEST(CsvResultsTest, ConfigErrorsNameTheKeyOrDirectory) {
    const std::string missing = (ResultsDir() / "no-such-dir").string();
    EXPECT_NE(ErrorOf(
                  [&] {
                      CsvResults r(Args({{"directory", missing}}));
                  },
                  JOBBER_INVALID_ARGUMENT)
                  .find(missing),
              std::string::npos);
    EXPECT_NE(ErrorOf([&] { CsvResults r(Args({})); }, JOBBER_INVALID_ARGUMENT).find("'directory'"), std::string::npos);
    EXPECT_NE(ErrorOf(
                  [&] {
                      CsvResults r(Args({{"directory", ResultsDir().string()}, {"line_ending", "cr"}}));
                  },
                  JOBBER_INVALID_ARGUMENT)
                  .find("line_ending"),
              std::string::npos);
}

TEST(CsvResultsTest, NamesThatAreNotPlainFileNamesAreRefused) {
    CsvResults results(Args({{"directory", ResultsDir().string()}, {"fsync", "false"}}));
    const jobber::sdk::Schema schema{{"a", jobber::sdk::ColumnType::kText}};
    for (const std::string& name :
         std::vector<std::string>{"../escape", "a/b", ".hidden", "", "semi;colon", std::string(201, 'x')}) {
        ErrorOf([&] { results.Begin({"job", name, 0}, schema); }, JOBBER_INVALID_ARGUMENT);
        ErrorOf([&] { results.Drop(name); }, JOBBER_INVALID_ARGUMENT);
    }
    EXPECT_FALSE(fs::exists(ResultsDir().parent_path() / "escape.csv"));
}

TEST(CsvResultsTest, HeaderAndLineEndingOptions) {
    CsvResults results(
        Args({{"directory", ResultsDir().string()}, {"header", "false"}, {"line_ending", "lf"}, {"fsync", "true"}}));
    const jobber::sdk::Schema schema{{"a", jobber::sdk::ColumnType::kText}, {"b", jobber::sdk::ColumnType::kBigInt}};
    auto writer = results.Begin({"job", "options_table", 0}, schema);
    jobber::sdk::BatchBuilder builder(schema);
    builder.AppendText(0, "x");
    builder.AppendInt64(1, 1);
    jobber::sdk::OwnedArray batch;
    builder.Finish(batch.get());
    writer->Write(jobber::sdk::BatchView(*batch, schema));
    writer->Commit();
    EXPECT_EQ(ReadFile(ResultsDir() / "options_table.csv"), "x,1\n");
    results.Drop("options_table");
    EXPECT_FALSE(fs::exists(ResultsDir() / "options_table.csv"));
    EXPECT_FALSE(fs::exists(ResultsDir() / ".options_table.expires"));
}

TEST(CsvResultsTest, SweepRemovesWorkFilesAbandonedForADay) {
    CsvResults results(Args({{"directory", ResultsDir().string()}, {"fsync", "false"}}));
    const fs::path old_file = ResultsDir() / ".crashed.0123456789abcdef.tmp";
    const fs::path new_file = ResultsDir() / ".running.0123456789abcdef.tmp";
    std::ofstream(old_file) << "partial";
    std::ofstream(new_file) << "partial";
    fs::last_write_time(old_file, fs::file_time_type::clock::now() - std::chrono::hours(25));
    results.Sweep(0);
    EXPECT_FALSE(fs::exists(old_file)) << "a work file untouched for 25 h belongs to a dead writer";
    EXPECT_TRUE(fs::exists(new_file)) << "a recent work file may belong to a running job";
    fs::remove(new_file);
}

}  // namespace
}  // namespace jobber_csv
