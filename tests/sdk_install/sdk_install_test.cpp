// The third-party path, end to end, as CI runs it on a clean machine:
//  1. the SDK alone (cmake -S sdk) builds, checks its headers and installs into a temp prefix;
//  2. every example builds out of tree against that prefix with find_package(JobberSDK 1), and
//     the CSV example's own tests (its results contract suite) pass;
//  3. the version file accepts SDK 1.x and refuses 2; pkg-config gives a working plugin build;
//  4. the host installs (cmake --install --component server) into another prefix, lists and
//     inspects the out-of-tree CSV plugin, and runs a job through it: the CSV file is checked
//     byte for byte, then purged;
//  5. cpack writes the two Debian packages with the expected names and contents.
// One process runs the steps in order (later steps use earlier artefacts), so it is a single
// ctest test.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "server_harness.hpp"

namespace jobber::sdk_install {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using e2e::ReadFile;
using e2e::WriteFile;

struct CommandResult {
    int exit_code = -1;
    std::string output;
};

// Runs argv with stdout and stderr captured in `log`; fails the test on a timeout.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const fs::path& log,
                         std::chrono::milliseconds timeout = std::chrono::minutes(5)) {
    e2e::ChildProcess child;
    child.Launch(argv, log);
    const std::optional<int> code = child.Wait(timeout);
    if (!code) {
        child.Kill();
        ADD_FAILURE() << argv[0] << " did not finish within " << timeout.count() << " ms";
    }
    return CommandResult{code.value_or(-1), ReadFile(log)};
}

std::string Describe(const std::vector<std::string>& argv, const CommandResult& result) {
    std::string text = "command:";
    for (const auto& arg : argv) text += " " + arg;
    return text + "\nexit code " + std::to_string(result.exit_code) + ", output:\n" + result.output;
}

bool Contains(const std::string& text, const std::string& fragment) {
    return text.find(fragment) != std::string::npos;
}

class SdkInstallTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { dir_ = new e2e::TempDir(); }
    static void TearDownTestSuite() {
        delete dir_;
        dir_ = nullptr;
    }

    static fs::path Dir() { return dir_->path(); }
    static fs::path SdkPrefix() { return Dir() / "sdk"; }
    static fs::path ExamplesBuild() { return Dir() / "examples-build"; }
    static fs::path HostPrefix() { return Dir() / "host"; }

    // Runs a command that must succeed; returns its output.
    std::string MustRun(const std::vector<std::string>& argv, const std::string& log_name) {
        const CommandResult result = RunCommand(argv, Dir() / "logs" / (log_name + ".log"));
        EXPECT_EQ(result.exit_code, 0) << Describe(argv, result);
        return result.output;
    }

    // cmake configure arguments shared by every out-of-tree project: our compiler and generator.
    static std::vector<std::string> Configure(const fs::path& source, const fs::path& build) {
        return {JOBBER_CMAKE_COMMAND,
                "-S",
                source.string(),
                "-B",
                build.string(),
                "-G",
                JOBBER_CMAKE_GENERATOR,
                "-DCMAKE_MAKE_PROGRAM=" JOBBER_CMAKE_MAKE_PROGRAM,
                "-DCMAKE_CXX_COMPILER=" JOBBER_CXX_COMPILER,
                "-DCMAKE_C_COMPILER=" JOBBER_C_COMPILER,
                "-DCMAKE_BUILD_TYPE=Release"};
    }

    static e2e::TempDir* dir_;
};

e2e::TempDir* SdkInstallTest::dir_ = nullptr;

TEST_F(SdkInstallTest, ThirdPartyPathEndToEnd) {
    fs::create_directories(Dir() / "logs");

    // ---- 1. the SDK on its own: nothing from host/ is on any include path ----
    const fs::path sdk_build = Dir() / "sdk-build";
    MustRun(Configure(fs::path(JOBBER_REPO_ROOT) / "sdk", sdk_build), "sdk-configure");
    MustRun({JOBBER_CMAKE_COMMAND, "--build", sdk_build.string(), "-j", "2"}, "sdk-build");
    MustRun({JOBBER_CMAKE_COMMAND, "--install", sdk_build.string(), "--prefix", SdkPrefix().string()}, "sdk-install");
    for (const char* file :
         {"include/jobber/abi/common.h", "include/jobber/sdk/plugin.hpp", "include/jobber/testing/results_contract.hpp",
          "include/jobber/testing/source_contract.hpp", "share/cmake/JobberSDK/JobberSDKConfig.cmake",
          "share/cmake/JobberSDK/JobberSDKConfigVersion.cmake", "share/cmake/JobberSDK/JobberPlugin.cmake",
          "share/cmake/JobberSDK/jobber_plugin.map", "share/pkgconfig/jobber-sdk.pc",
          "share/jobber-sdk/examples/csv-results/CMakeLists.txt"}) {
        EXPECT_TRUE(fs::exists(SdkPrefix() / file)) << "the installed SDK lacks " << file;
    }
    for (const auto& entry : fs::recursive_directory_iterator(SdkPrefix() / "include")) {
        if (!entry.is_regular_file()) continue;
        EXPECT_FALSE(Contains(ReadFile(entry.path()), "jobber/plugin/")) << entry.path() << " includes a host header";
    }
    ASSERT_FALSE(HasFailure()) << "the SDK did not install; later steps depend on it";

    // ---- 2. every example, out of tree, against the installed SDK ----
    std::vector<std::string> configure = Configure(SdkPrefix() / "share/jobber-sdk/examples", ExamplesBuild());
    configure.push_back("-DCMAKE_PREFIX_PATH=" + SdkPrefix().string());
    MustRun(configure, "examples-configure");
    MustRun({JOBBER_CMAKE_COMMAND, "--build", ExamplesBuild().string(), "-j", "2"}, "examples-build");
    const fs::path csv_plugin = ExamplesBuild() / "csv-results" / "libjobber_csv.so";
    ASSERT_TRUE(fs::exists(csv_plugin)) << "the CSV example did not build";
    for (const char* role : {"broker", "state", "source", "results"}) {
        const std::string name = std::string("libjobber_skeleton_") + role + ".so";
        EXPECT_TRUE(fs::exists(ExamplesBuild() / ("skeleton-" + std::string(role)) / name)) << name << " not built";
    }
    const std::string csv_tests =
        MustRun({JOBBER_CTEST_COMMAND, "--test-dir", (ExamplesBuild() / "csv-results").string(), "--output-on-failure"},
                "examples-ctest");
    EXPECT_TRUE(Contains(csv_tests, "100% tests passed")) << csv_tests;
    EXPECT_TRUE(Contains(csv_tests, "Csv/ResultsContractTest")) << "the contract suite did not run:\n" << csv_tests;

    // ---- 3. version compatibility and pkg-config ----
    const fs::path probe = Dir() / "version-probe";
    WriteFile(probe / "CMakeLists.txt",
              "cmake_minimum_required(VERSION 3.20)\nproject(probe LANGUAGES CXX)\n"
              "find_package(JobberSDK ${WANT} REQUIRED)\nmessage(STATUS \"found JobberSDK ${JobberSDK_VERSION}\")\n");
    for (const auto& [want, accepted] :
         std::vector<std::pair<std::string, bool>>{{"1", true}, {"1.0", true}, {"2", false}}) {
        std::vector<std::string> args = Configure(probe, Dir() / ("probe-build-" + want));
        args.push_back("-DCMAKE_PREFIX_PATH=" + SdkPrefix().string());
        args.push_back("-DWANT=" + want);
        const CommandResult result = RunCommand(args, Dir() / "logs" / ("probe-" + want + ".log"));
        EXPECT_EQ(result.exit_code == 0, accepted) << "find_package(JobberSDK " << want << ")\n" << result.output;
    }
    if (const char* pkg_config = JOBBER_PKG_CONFIG; pkg_config[0] != '\0' && JOBBER_NM[0] != '\0') {
        setenv("PKG_CONFIG_PATH", (SdkPrefix() / "share/pkgconfig").c_str(), 1);
        std::string cflags = MustRun({pkg_config, "--cflags", "jobber-sdk"}, "pkg-config-cflags");
        std::string ldflags = MustRun({pkg_config, "--variable=plugin_ldflags", "jobber-sdk"}, "pkg-config-ldflags");
        while (!cflags.empty() && std::isspace(static_cast<unsigned char>(cflags.back()))) cflags.pop_back();
        while (!ldflags.empty() && std::isspace(static_cast<unsigned char>(ldflags.back()))) ldflags.pop_back();
        EXPECT_TRUE(Contains(cflags, "/include")) << cflags;
        // A plugin built with nothing but the compiler and pkg-config's flags.
        const fs::path so = Dir() / "libjobber_skeleton_source_pc.so";
        const std::string command =
            std::string(JOBBER_CXX_COMPILER) + " -std=c++17 -fPIC -fvisibility=hidden -fvisibility-inlines-hidden " +
            cflags + " -shared -o " + so.string() + " " +
            (SdkPrefix() / "share/jobber-sdk/examples/skeleton-source/src/plugin.cpp").string() + " " + ldflags;
        MustRun({"/bin/sh", "-c", command}, "pkg-config-build");
        const std::string symbols = MustRun({JOBBER_NM, "-D", "--defined-only", so.string()}, "pkg-config-nm");
        EXPECT_TRUE(Contains(symbols, "jobber_plugin_manifest")) << symbols;
        EXPECT_EQ(e2e::Lines(symbols).size(), 3u) << "only the three entry points may be exported:\n" << symbols;
    }

    // ---- 4. the installed host runs a job through the out-of-tree plugin ----
    MustRun({JOBBER_CMAKE_COMMAND, "--install", JOBBER_BUILD_DIR, "--prefix", HostPrefix().string(), "--component",
             "server"},
            "host-install");
    const fs::path host = HostPrefix() / "bin" / "sql-jobber";
    ASSERT_TRUE(fs::exists(host)) << "cmake --install did not install bin/sql-jobber";
    EXPECT_TRUE(fs::exists(HostPrefix() / "share/sql-jobber/config/sql-jobber.yaml"));
    EXPECT_TRUE(fs::exists(HostPrefix() / "share/sql-jobber/sql/demo/tasks.sql"));

    const fs::path plugin_dir = Dir() / "plugins";
    const fs::path csv_dir = Dir() / "csv";
    fs::create_directories(plugin_dir);
    fs::create_directories(csv_dir);
    fs::copy_file(csv_plugin, plugin_dir / "libjobber_csv.so");
    const fs::path source_db = Dir() / "source.db";
    e2e::ExecDb(source_db,
                "CREATE TABLE people(id INTEGER, name TEXT, amount DECIMAL_TEXT, joined DATE, active BOOLEAN);"
                "INSERT INTO people VALUES (1, 'Ann', '10.50', '2017-01-02', 1), (2, 'Bob, Jr.', NULL, NULL, 0),"
                "  (3, 'say \"hi\"', '-0.01', '2017-12-31', NULL), (4, 'not selected', '1', '2018-01-01', 1);");
    fs::create_directories(Dir() / "sql");
    WriteFile(Dir() / "sql" / "tasks.sql",
              "-- name: people_report\n-- results: csv_out\n"
              "SELECT id, name, amount, joined, active FROM people WHERE id <= ? ORDER BY id;\n");
    const int port = e2e::FreeLoopbackPort();
    const fs::path config = Dir() / "sql-jobber.yaml";
    WriteFile(config,
              "app:\n  log_level: info\n  default_job_ttl: 1h\n"
              "server:\n  address: \"127.0.0.1:" +
                  std::to_string(port) +
                  "\"\n"
                  "plugins:\n  directories: [\"" +
                  plugin_dir.string() +
                  "\"]\n"
                  "job_queue:\n  broker:\n    type: memory\n  state:\n    type: memory\n"
                  "db:\n  people:\n    type: sqlite\n    dsn: \"" +
                  source_db.string() +
                  "\"\n"
                  "results:\n  csv_out:\n    type: csv\n    directory: \"" +
                  csv_dir.string() + "\"\n    results_table: \"report_%s\"\n    fsync: false\n");

    const std::string listing = MustRun({host.string(), "--config", config.string(), "plugins"}, "host-plugins");
    // The example is built against the installed SDK, so it declares the SDK's ABI minor.
    const std::string csv_line = std::string("csv 1.0.0  (ABI ") + JOBBER_SDK_ABI + ", roles: results)";
    for (const std::string fragment :
         {csv_line, std::string("directory (string, required)"), std::string("line_ending (string, default crlf)"),
          std::string("memory "), std::string("sqlite ")}) {
        EXPECT_TRUE(Contains(listing, fragment)) << "'sql-jobber plugins' lacks '" << fragment << "':\n" << listing;
    }
    const std::string info = MustRun({host.string(), "plugin-info", csv_plugin.string()}, "host-plugin-info");
    EXPECT_TRUE(Contains(info, "csv 1.0.0")) << info;
    EXPECT_TRUE(Contains(info, "built with: compiler")) << info;

    e2e::ChildProcess server;
    server.Launch({host.string(), "--config", config.string(), "--sql-directory", (Dir() / "sql").string()},
                  Dir() / "logs" / "server.log");
    bool healthy = false;
    for (int i = 0; i < 200 && !healthy && server.Running(); ++i) {
        try {
            healthy = e2e::HttpCall(port, "GET", "/health").status == 200;
        } catch (const std::exception&) {
            // not listening yet
        }
        if (!healthy) std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(healthy) << "the installed sql-jobber did not come up; its log:\n"
                         << ReadFile(Dir() / "logs" / "server.log");

    const auto posted =
        e2e::HttpCall(port, "POST", "/tasks/people_report/jobs", R"({"job_id": "csv-e2e", "args": [3]})");
    ASSERT_EQ(posted.status, 200) << posted.Describe();
    Poco::JSON::Object::Ptr job;
    std::string state;
    for (int i = 0; i < 200; ++i) {
        const auto status = e2e::HttpCall(port, "GET", "/jobs/csv-e2e");
        job = status.DataObject();
        state = job.isNull() ? "" : e2e::JsonString(job, "state");
        if (state == "SUCCESS" || state == "FAILURE") break;
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(state, "SUCCESS") << (job.isNull() ? "no job" : e2e::ToJson(job)) << "\nserver log:\n"
                                << ReadFile(Dir() / "logs" / "server.log");
    EXPECT_EQ(e2e::JsonInt(job, "count"), 3);
    EXPECT_EQ(e2e::JsonString(job, "results_table"), "report_csv-e2e");

    const fs::path csv_file = csv_dir / "report_csv-e2e.csv";
    EXPECT_EQ(ReadFile(csv_file),
              "id,name,amount,joined,active\r\n"
              "1,Ann,10.50,2017-01-02,true\r\n"
              "2,\"Bob, Jr.\",,,false\r\n"
              "3,\"say \"\"hi\"\"\",-0.01,2017-12-31,\r\n");
    const std::string expiry = ReadFile(csv_dir / ".report_csv-e2e.expires");
    const int64_t expires_at = expiry.empty() ? 0 : std::stoll(expiry);
    EXPECT_NEAR(static_cast<double>(expires_at), static_cast<double>(e2e::NowUnixMs() + 3600 * 1000), 120 * 1000.0)
        << "the job's 1 h TTL should be its file's expiry";

    const auto purged = e2e::HttpCall(port, "DELETE", "/jobs/csv-e2e?purge=true");
    EXPECT_EQ(purged.status, 200) << purged.Describe();
    EXPECT_FALSE(fs::exists(csv_file)) << "purging the job must remove its CSV file";
    EXPECT_EQ(server.Terminate(15s), std::optional<int>(0)) << ReadFile(Dir() / "logs" / "server.log");

    // ---- 5. the Debian packages ----
    if (JOBBER_DPKG_DEB[0] == '\0') {
        std::printf("dpkg-deb not found: the .deb checks need a Debian machine; skipping them\n");
        return;
    }
    const fs::path packages = Dir() / "packages";
    MustRun({JOBBER_CPACK_COMMAND, "-G", "DEB", "-B", packages.string(), "--config",
             std::string(JOBBER_BUILD_DIR) + "/CPackConfig.cmake"},
            "cpack");
    std::optional<fs::path> server_deb, sdk_deb;
    for (const auto& entry : fs::directory_iterator(packages)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("sql-jobber-sdk-dev_", 0) == 0 && name.size() > 10 && name.find("_all.deb") != std::string::npos)
            sdk_deb = entry.path();
        else if (name.rfind("sql-jobber_", 0) == 0 && name.find(".deb") != std::string::npos)
            server_deb = entry.path();
    }
    ASSERT_TRUE(server_deb.has_value()) << "no sql-jobber_*.deb in " << packages;
    ASSERT_TRUE(sdk_deb.has_value()) << "no sql-jobber-sdk-dev_*_all.deb in " << packages;
    const std::string server_files = MustRun({JOBBER_DPKG_DEB, "-c", server_deb->string()}, "deb-server-contents");
    for (const char* file :
         {"./usr/bin/sql-jobber", "./usr/lib/sql-jobber/plugins/libjobber_sqlite.so",
          "./usr/lib/sql-jobber/plugins/libjobber_memory.so", "./usr/share/sql-jobber/config/sql-jobber.yaml",
          "./usr/share/sql-jobber/sql/demo/tasks.sql"}) {
        EXPECT_TRUE(Contains(server_files, file)) << server_deb->filename() << " lacks " << file;
    }
    EXPECT_FALSE(Contains(server_files, "./usr/include/")) << "headers belong in the -dev package";
    const std::string depends = MustRun({JOBBER_DPKG_DEB, "-f", server_deb->string(), "Depends"}, "deb-server-depends");
    EXPECT_TRUE(Contains(depends, "libpoco")) << "shlibdeps should name the Poco libraries: " << depends;
    const std::string sdk_files = MustRun({JOBBER_DPKG_DEB, "-c", sdk_deb->string()}, "deb-sdk-contents");
    for (const char* file :
         {"./usr/include/jobber/abi/common.h", "./usr/share/cmake/JobberSDK/JobberSDKConfig.cmake",
          "./usr/share/pkgconfig/jobber-sdk.pc", "./usr/share/jobber-sdk/examples/csv-results/src/plugin.cpp"}) {
        EXPECT_TRUE(Contains(sdk_files, file)) << sdk_deb->filename() << " lacks " << file;
    }
    EXPECT_FALSE(Contains(sdk_files, "./usr/bin/")) << "the -dev package holds no binaries";
}

}  // namespace
}  // namespace jobber::sdk_install
