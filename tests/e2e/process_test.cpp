// The binary as a process: command line, start-up failures, --worker-only and shutdown on SIGTERM.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "e2e_fixture.hpp"

namespace jobber::e2e {
namespace {

// The harness command line without the binary, for RunBinary.
std::vector<std::string> Args(const ServerHarness& server, std::vector<std::string> extra = {}) {
    auto argv = server.CommandLine();
    argv.erase(argv.begin());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

// A start-up failure: a non-zero exit within a few seconds, and exactly one "sql-jobber: ..." line on stderr, the
// last one, naming the problem (every fragment).
::testing::AssertionResult FailsWithOneLine(const ProcessResult& result, std::initializer_list<std::string> fragments) {
    auto describe = [&] {
        return "exit " + std::to_string(result.exit_code) + (result.timed_out ? " (timed out)" : "") + " after " +
               std::to_string(result.elapsed.count()) + " ms; stderr:\n" + result.err + "stdout:\n" + result.out;
    };
    if (result.timed_out) return ::testing::AssertionFailure() << "did not exit: " << describe();
    if (result.exit_code == 0) return ::testing::AssertionFailure() << "exited 0: " << describe();
    if (result.elapsed > 5s) return ::testing::AssertionFailure() << "took over 5 s to fail: " << describe();
    std::vector<std::string> fatal;
    std::string last;
    for (const auto& line : Lines(result.err)) {
        if (line.rfind("sql-jobber: ", 0) == 0) fatal.push_back(line);
        if (!line.empty()) last = line;
    }
    if (fatal.size() != 1) {
        return ::testing::AssertionFailure()
               << "want exactly one 'sql-jobber: ' line, got " << fatal.size() << ": " << describe();
    }
    if (fatal[0] != last) return ::testing::AssertionFailure() << "the error is not the last line: " << describe();
    for (const auto& fragment : fragments) {
        if (fatal[0].find(fragment) == std::string::npos) {
            return ::testing::AssertionFailure() << "the error does not mention \"" << fragment << "\": " << fatal[0];
        }
    }
    return ::testing::AssertionSuccess() << fatal[0];
}

// The 1-based line of the first occurrence of `needle` in `text`.
int LineOf(const std::string& text, const std::string& needle) {
    const auto pos = text.find(needle);
    if (pos == std::string::npos) return -1;
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

void ReplaceInFile(const std::filesystem::path& path, const std::string& from, const std::string& to) {
    std::string text = ReadFile(path);
    const auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << "'" << from << "' not in " << path;
    text.replace(pos, from.size(), to);
    WriteFile(path, text);
}

// ---- command line ---------------------------------------------------------------------------------------------------

TEST(CliTest, VersionPrintsVersionAndAbi) {
    for (const std::string flag : {"--version", "-v"}) {
        const auto result = RunBinary({flag});
        EXPECT_EQ(result.exit_code, 0) << result.err;
        EXPECT_TRUE(std::regex_match(result.out, std::regex(R"(sql-jobber \d+\.\d+\.\d+ \(plugin ABI 1\.2\)\n)")))
            << "'" << result.out << "'";
    }
}

TEST(CliTest, HelpListsEverySeedFlag) {
    const auto result = RunBinary({"--help"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    for (const std::string flag : {"--config", "--sql-directory", "--server", "--queue", "--worker-name",
                                   "--worker-concurrency", "--worker-only", "--version", "--help"}) {
        EXPECT_NE(result.out.find(flag + " "), std::string::npos) << flag << " missing from:\n" << result.out;
    }
}

TEST(CliTest, PluginsListsMemoryAndSqliteWithTheirRoles) {
    const auto result = RunBinary({"plugins"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(\nmemory [^\n]*roles: broker,state)"))) << result.out;
    EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(\nsqlite [^\n]*roles: source,results)"))) << result.out;
    EXPECT_EQ(result.err, "") << "the listing goes to stdout";
}

TEST(CliTest, UnknownFlagFails) {
    EXPECT_TRUE(FailsWithOneLine(RunBinary({"--bogus-flag"}), {"--bogus-flag"}));
    EXPECT_TRUE(FailsWithOneLine(RunBinary({"--config"}), {"--config"})) << "a flag without its value";
}

TEST(CliTest, WorkerConcurrencyZeroFails) {
    EXPECT_TRUE(FailsWithOneLine(RunBinary({"--worker-concurrency", "0"}), {"--worker-concurrency", "'0'"}));
    EXPECT_TRUE(FailsWithOneLine(RunBinary({"--worker-concurrency=ten"}), {"--worker-concurrency", "'ten'"}));
}

// ---- start-up failures ----------------------------------------------------------------------------------------------

TEST(StartupTest, MissingConfigFileFails) {
    TempDir dir;
    const std::string path = (dir.path() / "nowhere" / "sql-jobber.yaml").string();
    EXPECT_TRUE(FailsWithOneLine(RunBinary({"--config", path}), {path, "not found"}));
}

TEST(StartupTest, UnknownConfigKeyNamesTheKeyAndWhere) {
    ServerConfig config;
    config.app_keys["bogus_key"] = "1";
    ServerHarness server(config);
    server.Prepare();
    const int line = LineOf(ReadFile(server.config_path()), "bogus_key");
    EXPECT_TRUE(FailsWithOneLine(RunBinary(Args(server)),
                                 {"sql-jobber.yaml:" + std::to_string(line), "app.bogus_key", "log_level"}));
}

TEST(StartupTest, UnknownTopLevelSectionFails) {
    ServerConfig config;
    config.extra_yaml = "workers:\n  count: 3\n";
    ServerHarness server(config);
    server.Prepare();
    const int line = LineOf(ReadFile(server.config_path()), "workers:");
    EXPECT_TRUE(FailsWithOneLine(RunBinary(Args(server)), {"sql-jobber.yaml:" + std::to_string(line), "workers"}));
}

TEST(StartupTest, UnknownPluginTypeNamesItAndListsTheAvailableOnes) {
    ServerHarness server;
    server.Prepare();
    ReplaceInFile(server.config_path(), "demo:\n    type: sqlite", "demo:\n    type: nosuch_plugin");
    EXPECT_TRUE(FailsWithOneLine(RunBinary(Args(server)), {"db.demo", "nosuch_plugin", "available: ", "sqlite"}));
    ServerHarness broker_server;
    broker_server.Prepare();
    ReplaceInFile(broker_server.config_path(), "broker:\n    type: memory", "broker:\n    type: rabbit_hole");
    EXPECT_TRUE(FailsWithOneLine(RunBinary(Args(broker_server)), {"rabbit_hole", "memory"}));
}

TEST(StartupTest, UnknownPluginOptionFails) {
    ServerHarness server;
    server.Prepare();
    ReplaceInFile(server.config_path(), "    max_connections: 8\n", "    max_connections: 8\n    max_conections: 9\n");
    EXPECT_TRUE(FailsWithOneLine(RunBinary(Args(server)), {"max_conections"}));
}

TEST(StartupTest, TaskNamingAnUnknownDbFails) {
    ServerConfig config;
    config.task_files["bad_db.sql"] =
        "-- A task on a database the config does not have.\n\n-- name: on_nodb\n"
        "-- db: nodb\nSELECT 1 AS one;\n";
    ServerHarness server(config);
    server.Prepare();
    EXPECT_TRUE(FailsWithOneLine(RunBinary(Args(server)), {"bad_db.sql:3", "on_nodb", "'nodb'"}));
}

TEST(StartupTest, SqlBeforeTheFirstNameFails) {
    ServerConfig config;
    config.task_files["broken.sql"] = "-- no name yet\nSELECT 1;\n-- name: later\nSELECT 2;\n";
    ServerHarness server(config);
    server.Prepare();
    EXPECT_TRUE(FailsWithOneLine(RunBinary(Args(server)), {"broken.sql:2"}));
}

TEST(StartupTest, TaskThatDoesNotPrepareFails) {
    ServerConfig config;
    config.task_files["typo.sql"] = "-- name: typo_task\n-- db: demo\nSELEC 1;\n";
    ServerHarness server(config);
    server.Prepare();
    EXPECT_TRUE(FailsWithOneLine(RunBinary(Args(server)), {"typo.sql:1", "typo_task", "demo"}));
}

TEST(StartupTest, DuplicateTaskNamesNameBothPlaces) {
    ServerConfig config;
    config.task_files["dup_a.sql"] = "-- name: twice\nSELECT 1;\n";
    config.task_files["dup_b.sql"] = "-- the same name again\n\n-- name: twice\nSELECT 2;\n";
    ServerHarness server(config);
    server.Prepare();
    EXPECT_TRUE(FailsWithOneLine(RunBinary(Args(server)), {"'twice'", "dup_a.sql:1", "dup_b.sql:3"}));
}

TEST(StartupTest, MissingSqlDirectoryFails) {
    ServerHarness server;
    server.Prepare();
    auto args = Args(server);
    const std::string missing = (server.dir() / "no_such_dir").string();
    for (size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--sql-directory") args[i + 1] = missing;
    }
    EXPECT_TRUE(FailsWithOneLine(RunBinary(args), {missing}));
}

// A listening loopback socket bound the plain way (no SO_REUSEPORT), like most servers bind.
class PlainListener {
public:
    PlainListener() {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof(addr);
        if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 8) != 0 ||
            getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            throw std::runtime_error("cannot listen on a loopback port");
        }
        port_ = ntohs(addr.sin_port);
    }
    PlainListener(const PlainListener&) = delete;
    PlainListener& operator=(const PlainListener&) = delete;
    ~PlainListener() { close(fd_); }
    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
};

TEST(StartupTest, AddressInUseFails) {
    PlainListener taken;
    const std::string address = "127.0.0.1:" + std::to_string(taken.port());
    ServerHarness server;
    server.Prepare();
    EXPECT_TRUE(FailsWithOneLine(RunBinary(Args(server, {"--server", address})), {address}));
}

TEST(StartupTest, SecondServerOnTheSamePortFails) {
    // Two servers must not share a port: with SO_REUSEPORT the kernel would split the requests between them, and
    // with the memory broker each would only know its own jobs.
    ServerHarness first;
    ASSERT_NO_THROW(first.Start());
    ServerHarness second;
    second.Prepare();
    const std::string address = "127.0.0.1:" + std::to_string(first.port());
    const auto result = RunBinary(Args(second, {"--server", address}), 5s);
    EXPECT_TRUE(FailsWithOneLine(result, {address}))
        << "a second sql-jobber started on " << address << " while the first was listening there";
}

// ---- running and stopping -------------------------------------------------------------------------------------------

TEST(ProcessTest, SigtermWhileIdleExitsZeroQuickly) {
    ServerHarness server;
    ASSERT_NO_THROW(server.Start());
    const auto asked = std::chrono::steady_clock::now();
    const auto code = server.Stop(10s);
    const auto took = std::chrono::steady_clock::now() - asked;
    ASSERT_TRUE(code.has_value()) << "still running 10 s after SIGTERM; log:\n" << server.LogSince(0, 50);
    EXPECT_EQ(*code, 0) << server.LogSince(0, 50);
    EXPECT_LT(took, 3s);
    EXPECT_NE(server.Log().find("logger=jobber.app stopped"), std::string::npos) << server.LogSince(0, 50);
}

TEST(ProcessTest, SigtermWhileAQueryRunsExitsWithinTheGrace) {
    ServerConfig config;
    config.shutdown_grace = "1s";
    ServerHarness server(config);
    ASSERT_NO_THROW(server.Start());
    ASSERT_TRUE(IsApiSuccess(server.PostJob("slow_query", R"({"job_id":"slow_at_shutdown"})")));
    ASSERT_FALSE(server.WaitForState("slow_at_shutdown", {"STARTED"}, 10s).isNull());
    const auto asked = std::chrono::steady_clock::now();
    const auto code = server.Stop(15s);
    const auto took = std::chrono::steady_clock::now() - asked;
    ASSERT_TRUE(code.has_value()) << "still running 15 s after SIGTERM; log:\n" << server.LogSince(0, 50);
    EXPECT_EQ(*code, 0) << server.LogSince(0, 50);
    EXPECT_LT(took, 5s) << "1 s grace, then the query is cancelled";
}

TEST(ProcessTest, WorkerOnlyStartsNoHttpServer) {
    ServerConfig config;
    config.worker_only = true;
    ServerHarness server(config);
    ASSERT_NO_THROW(server.Start());
    EXPECT_NE(server.Log().find("ready http=off"), std::string::npos) << server.LogSince(0, 50);
    EXPECT_THROW(HttpCall(server.port(), "GET", "/health"), std::runtime_error) << "something answers on the port";
    const auto asked = std::chrono::steady_clock::now();
    const auto code = server.Stop(10s);
    ASSERT_TRUE(code.has_value()) << server.LogSince(0, 50);
    EXPECT_EQ(*code, 0) << server.LogSince(0, 50);
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 3s);
    EXPECT_NE(server.Log().find("logger=jobber.app stopped"), std::string::npos) << server.LogSince(0, 50);
}

TEST(ProcessTest, ServerFlagOverridesTheConfigAddress) {
    ServerHarness config_server;
    config_server.Prepare();
    const int port = FreeLoopbackPort();
    ChildProcess child;
    auto argv = config_server.CommandLine();
    argv.insert(argv.end(), {"--server", "127.0.0.1:" + std::to_string(port)});
    child.Launch(argv, config_server.dir() / "override.log");
    HttpResponse health;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline && child.Running()) {
        try {
            health = HttpCall(port, "GET", "/health");
            if (health.status == 200) break;
        } catch (const std::exception&) {
            // not listening yet
        }
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(health.status, 200) << ReadFile(config_server.dir() / "override.log");
    EXPECT_THROW(HttpCall(config_server.port(), "GET", "/health"), std::runtime_error) << "the config's port is unused";
    EXPECT_EQ(child.Terminate(10s), 0);
}

}  // namespace
}  // namespace jobber::e2e
