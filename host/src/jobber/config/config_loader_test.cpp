#include "jobber/config/config_loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace jobber::config {
namespace {

using std::chrono::milliseconds;

// gtest's own substring check, so failures print both strings without pulling in gmock.
#define EXPECT_HAS(text, part) EXPECT_PRED_FORMAT2(::testing::IsSubstring, part, text)

constexpr const char* kMinimal =
    "db:\n"
    "  main: { type: sqlite, dsn: main.db }\n"
    "results:\n"
    "  res: { type: sqlite, dsn: res.db }\n";

// The ConfigError message for `yaml`, or a test failure when it loads.
std::string LoadError(const std::string& yaml) {
    try {
        ParseSettings(yaml, "test.yaml");
    } catch (const ConfigError& error) {
        return error.what();
    }
    ADD_FAILURE() << "config loaded:\n" << yaml;
    return {};
}

// Builds a valid config with `extra` inserted before the required sections, so a test changes one thing at a time.
std::string With(const std::string& extra) {
    return extra + kMinimal;
}

TEST(ConfigLoaderTest, MinimalConfigGetsDefaults) {
    const Settings settings = ParseSettings(kMinimal, "test.yaml");
    EXPECT_EQ(settings.app.log_level, "info");
    EXPECT_EQ(settings.app.log_format, "text");
    EXPECT_EQ(settings.app.default_job_ttl, std::chrono::hours(24));
    EXPECT_EQ(settings.server.address, "127.0.0.1:6060");
    EXPECT_EQ(settings.server.auth_token, "");
    EXPECT_EQ(settings.server.shutdown_grace, std::chrono::seconds(30));
    EXPECT_EQ(settings.server.max_body_bytes, 1u << 20);
    EXPECT_TRUE(settings.plugins.directories.empty());
    EXPECT_EQ(settings.job_queue.broker.type, "memory");
    EXPECT_EQ(settings.job_queue.broker.name, "broker");
    EXPECT_EQ(settings.job_queue.state.type, "memory");
    EXPECT_EQ(settings.job_queue.state.name, "state");
    EXPECT_HAS(settings.job_queue.broker.origin, "test.yaml");

    ASSERT_EQ(settings.db.size(), 1u);
    const PluginInstanceSettings& main = settings.db.at("main");
    EXPECT_EQ(main.name, "main");
    EXPECT_EQ(main.type, "sqlite");
    EXPECT_EQ(main.origin, "test.yaml:2");
    EXPECT_EQ(main.options, (std::map<std::string, std::string>{{"dsn", "main.db"}}));

    ASSERT_EQ(settings.results.size(), 1u);
    const ResultsSettings& res = settings.results.at("res");
    EXPECT_EQ(res.results_table, "results_%s");
    EXPECT_EQ(res.origin, "test.yaml:4");
    EXPECT_EQ(res.options.count("results_table"), 0u);
}

TEST(ConfigLoaderTest, ReadsEveryHostKey) {
    const Settings settings = ParseSettings(With("app:\n"
                                                 "  log_level: debug\n"
                                                 "  default_job_ttl: 1h30m\n"
                                                 "  log_format: json\n"
                                                 "  expiry_sweep_interval: 2s\n"
                                                 "server:\n"
                                                 "  address: \"0.0.0.0:8080\"\n"
                                                 "  auth_token: s3cret\n"
                                                 "  shutdown_grace: 5\n"
                                                 "  max_body_bytes: 4096\n"
                                                 "plugins:\n"
                                                 "  directories: [/a, ./b]\n"
                                                 "job_queue:\n"
                                                 "  broker: { type: redis, address: \"127.0.0.1:6379\", db: 0 }\n"
                                                 "  state:\n"
                                                 "    type: redis\n"
                                                 "    db: 1\n"),
                                            "x.yaml");
    EXPECT_EQ(settings.app.log_level, "debug");
    EXPECT_EQ(settings.app.default_job_ttl, std::chrono::minutes(90));
    EXPECT_EQ(settings.app.log_format, "json");
    EXPECT_EQ(settings.app.expiry_sweep_interval, std::chrono::seconds(2));
    EXPECT_EQ(settings.server.address, "0.0.0.0:8080");
    EXPECT_EQ(settings.server.auth_token, "s3cret");
    EXPECT_EQ(settings.server.shutdown_grace, std::chrono::seconds(5));
    EXPECT_EQ(settings.server.max_body_bytes, 4096u);
    EXPECT_EQ(settings.plugins.directories, (std::vector<std::string>{"/a", "./b"}));
    EXPECT_EQ(settings.job_queue.broker.type, "redis");
    EXPECT_EQ(settings.job_queue.broker.origin, "x.yaml:14");
    EXPECT_EQ(settings.job_queue.broker.options,
              (std::map<std::string, std::string>{{"address", "127.0.0.1:6379"}, {"db", "0"}}));
    EXPECT_EQ(settings.job_queue.state.type, "redis");
    EXPECT_EQ(settings.job_queue.state.origin, "x.yaml:15");
    EXPECT_EQ(settings.job_queue.state.options.at("db"), "1");
}

TEST(ConfigLoaderTest, NullSectionsKeepDefaults) {
    const Settings settings = ParseSettings(With("app:\nserver:\nplugins:\njob_queue:\n"), "test.yaml");
    EXPECT_EQ(settings.app.log_level, "info");
    EXPECT_EQ(settings.job_queue.broker.type, "memory");
}

TEST(ConfigLoaderTest, InstancesAreOrderedByName) {
    const Settings settings = ParseSettings(
        "db:\n  zeta: {type: sqlite}\n  alpha: {type: sqlite}\n  mid-1: {type: sqlite}\nresults:\n  r: {type: "
        "sqlite}\n",
        "test.yaml");
    std::vector<std::string> names;
    for (const auto& [name, instance] : settings.db) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"alpha", "mid-1", "zeta"}));
    EXPECT_EQ(settings.db.at("zeta").origin, "test.yaml:2");
}

TEST(ConfigLoaderTest, PluginOptionsAreText) {
    const Settings settings = ParseSettings(
        "db:\n"
        "  main:\n"
        "    type: postgres\n"
        "    max_connections: 10\n"
        "    ssl: true\n"
        "    timeout: 5s\n"
        "    hosts: [a:1, b:2]\n"
        "    hosts_block:\n"
        "      - c\n"
        "      - d\n"
        "    password: \"\"\n"
        "    empty:\n"
        "    quoted: \"a: b # not a comment\"\n"
        "results:\n  r: {type: sqlite}\n",
        "test.yaml");
    const auto& options = settings.db.at("main").options;
    EXPECT_EQ(options.at("max_connections"), "10");
    EXPECT_EQ(options.at("ssl"), "true");
    EXPECT_EQ(options.at("timeout"), "5s");
    EXPECT_EQ(options.at("hosts"), "a:1,b:2");
    EXPECT_EQ(options.at("hosts_block"), "c,d");
    EXPECT_EQ(options.at("password"), "");
    EXPECT_EQ(options.at("empty"), "");
    EXPECT_EQ(options.at("quoted"), "a: b # not a comment");
    EXPECT_EQ(options.count("type"), 0u);
}

TEST(ConfigLoaderTest, ResultsTableIsReadAndOnlyAllowedUnderResults) {
    const Settings settings = ParseSettings(
        "db:\n  main: {type: sqlite, results_table: x}\n"
        "results:\n  r: {type: sqlite, results_table: \"job_%s_out\"}\n  s: {type: sqlite, results_table: \"%s\"}\n",
        "test.yaml");
    EXPECT_EQ(settings.results.at("r").results_table, "job_%s_out");
    EXPECT_EQ(settings.results.at("s").results_table, "%s");
    // Under db it is an ordinary plugin option, which the plugin's field check will refuse if it does not know it.
    EXPECT_EQ(settings.db.at("main").options.at("results_table"), "x");
}

TEST(ConfigLoaderTest, ResultsTableMustHaveOnePlaceholderAndSafeCharacters) {
    for (const char* table : {"results", "results_%s_%s", "res-%s", "res %s", "%d", "results_%", "%s;drop", ""}) {
        const std::string message = LoadError(
            "db:\n  main: {type: sqlite}\nresults:\n  r:\n    type: sqlite\n"
            "    results_table: \"" +
            std::string(table) + "\"\n");
        EXPECT_HAS(message, "test.yaml:4: results.r.results_table") << table;
        EXPECT_HAS(message, "exactly one %s") << table;
    }
}

TEST(ConfigLoaderTest, UnknownTopLevelKey) {
    const std::string message = LoadError(With("\nworkers: 4\n"));
    EXPECT_HAS(message, "test.yaml:2:");
    EXPECT_HAS(message, "unknown key 'workers'");
    EXPECT_HAS(message, "app, server, plugins, job_queue, db, results");
}

TEST(ConfigLoaderTest, UnknownHostKeysNameFileLineAndPath) {
    EXPECT_HAS(LoadError(With("app:\n  log_level: info\n  loglevel: debug\n")),
               "test.yaml:3: unknown key 'app.loglevel'; valid keys: log_level, default_job_ttl, log_format, "
               "expiry_sweep_interval");
    EXPECT_HAS(LoadError(With("server:\n  adress: x\n")), "test.yaml:2: unknown key 'server.adress'");
    EXPECT_HAS(LoadError(With("plugins:\n  dirs: []\n")),
               "test.yaml:2: unknown key 'plugins.dirs'; valid keys: directories");
    EXPECT_HAS(LoadError(With("job_queue:\n  queue: {type: memory}\n")),
               "test.yaml:2: unknown key 'job_queue.queue'; valid keys: broker, state");
}

TEST(ConfigLoaderTest, WrongTypesNameFileLine) {
    EXPECT_HAS(LoadError(With("app:\n  log_level: [info]\n")),
               "test.yaml:2: app.log_level: expected a single value, not a list");
    EXPECT_HAS(LoadError(With("server:\n  auth_token: {a: b}\n")),
               "test.yaml:2: server.auth_token: expected a single value, not a mapping");
    EXPECT_HAS(LoadError(With("server:\n  max_body_bytes: lots\n")),
               "test.yaml:2: server.max_body_bytes: 'lots' is not a positive whole number");
    EXPECT_HAS(LoadError(With("server:\n  max_body_bytes: -5\n")), "not a positive whole number");
    EXPECT_HAS(LoadError(With("server:\n  max_body_bytes: 0\n")), "not a positive whole number");
    EXPECT_HAS(LoadError(With("server:\n  max_body_bytes: 1.5\n")), "not a positive whole number");
    EXPECT_HAS(LoadError(With("server:\n  max_body_bytes: 99999999999999999999999\n")), "not a positive whole number");
    EXPECT_HAS(LoadError(With("plugins:\n  directories: /opt/plugins\n")),
               "test.yaml:2: plugins.directories: expected a list like [a, b], not a single value");
    EXPECT_HAS(LoadError(With("plugins:\n  directories:\n    - /a\n    - [b]\n")),
               "test.yaml:4: plugins.directories: list items must be non-empty single values");
    EXPECT_HAS(LoadError(With("plugins:\n  directories: [\"\"]\n")), "list items must be non-empty");
    EXPECT_HAS(LoadError(With("app: verbose\n")), "test.yaml:1: app must be a mapping");
    EXPECT_HAS(LoadError(With("job_queue: [a]\n")), "test.yaml:1: job_queue must be a mapping");
    EXPECT_HAS(LoadError("- db\n- results\n"), "test.yaml:1: the config must be a mapping");
    EXPECT_HAS(LoadError("just text\n"), "the config must be a mapping");
}

TEST(ConfigLoaderTest, BadEnumsListTheChoices) {
    EXPECT_HAS(LoadError(With("app:\n  log_level: verbose\n")),
               "test.yaml:2: app.log_level: 'verbose' is not one of error, warning, info, debug");
    EXPECT_HAS(LoadError(With("app:\n  log_level: INFO\n")), "is not one of");
    EXPECT_HAS(LoadError(With("app:\n  log_format: xml\n")),
               "test.yaml:2: app.log_format: 'xml' is not one of text, json");
}

TEST(ConfigLoaderTest, BadDurationsNameFileLineAndInput) {
    const std::string message = LoadError(With("app:\n  log_level: info\n  default_job_ttl: 1 day\n"));
    EXPECT_HAS(message, "test.yaml:3: app.default_job_ttl: invalid duration \"1 day\"");
    EXPECT_HAS(LoadError(With("server:\n  shutdown_grace: -1s\n")),
               "test.yaml:2: server.shutdown_grace: invalid duration \"-1s\"");
    EXPECT_HAS(LoadError(With("app:\n  default_job_ttl: 0s\n")),
               "test.yaml:2: app.default_job_ttl: must be greater than zero");
    EXPECT_HAS(LoadError(With("app:\n  default_job_ttl:\n")), "invalid duration");
    // Zero grace is allowed: cancel at once on SIGTERM.
    EXPECT_EQ(ParseSettings(With("server:\n  shutdown_grace: 0\n"), "t").server.shutdown_grace, milliseconds(0));
}

TEST(ConfigLoaderTest, ServerAddressMustBeHostPort) {
    for (const char* address : {"localhost", "127.0.0.1:", ":6060", "127.0.0.1:http", "127.0.0.1:70000",
                                "http://127.0.0.1:6060", "::1:6060", "[::1]", ""}) {
        const std::string message = LoadError(With(std::string("server:\n  address: \"") + address + "\"\n"));
        EXPECT_HAS(message, "test.yaml:2: server.address: invalid listen address") << address;
    }
    EXPECT_EQ(ParseSettings(With("server:\n  address: \"[::1]:6060\"\n"), "t").server.address, "[::1]:6060");
    EXPECT_EQ(ParseSettings(With("server:\n  address: localhost:1\n"), "t").server.address, "localhost:1");
}

TEST(ConfigLoaderTest, InstanceTypeIsRequiredAndChecked) {
    EXPECT_HAS(LoadError("db:\n  main: {dsn: x.db}\nresults:\n  r: {type: sqlite}\n"),
               "test.yaml:2: db.main: missing 'type'");
    EXPECT_HAS(LoadError("db:\n  main:\nresults:\n  r: {type: sqlite}\n"), "test.yaml:2: db.main: missing 'type'");
    EXPECT_HAS(LoadError("db:\n  main: {type: sqlite}\nresults:\n  r: {dsn: x}\n"),
               "test.yaml:4: results.r: missing 'type'");
    EXPECT_HAS(LoadError(With("job_queue:\n  broker: {address: x}\n")),
               "test.yaml:2: job_queue.broker: missing 'type'");
    EXPECT_HAS(LoadError(With("job_queue:\n  state:\n    db: 1\n")), "test.yaml:2: job_queue.state: missing 'type'");
    EXPECT_HAS(LoadError("db:\n  main: {type: \"\"}\nresults:\n  r: {type: sqlite}\n"),
               "test.yaml:2: db.main.type: is empty");
    EXPECT_HAS(LoadError("db:\n  main: {type: [a]}\nresults:\n  r: {type: sqlite}\n"),
               "db.main.type: expected a single value");
    EXPECT_HAS(LoadError("db:\n  main: {type: ../../evil}\nresults:\n  r: {type: sqlite}\n"), "is not a plugin name");
    EXPECT_HAS(LoadError("db:\n  main: sqlite\nresults:\n  r: {type: sqlite}\n"),
               "test.yaml:2: db.main: expected a mapping with at least 'type'");
}

TEST(ConfigLoaderTest, InstanceNamesAreChecked) {
    for (const char* name : {"\"a b\"", "\"a.b\"", "\"ü\"", "\"a/b\""}) {
        EXPECT_HAS(LoadError(std::string("db:\n  ") + name + ": {type: sqlite}\nresults:\n  r: {type: sqlite}\n"),
                   "test.yaml:2: db.")
            << name;
    }
    EXPECT_HAS(LoadError("db:\n  main: {type: sqlite}\nresults:\n  \"r r\": {type: sqlite}\n"),
               "test.yaml:4: results.r r: instance names may use only");
    EXPECT_NO_THROW(ParseSettings("db:\n  A-z_09: {type: sqlite}\nresults:\n  r: {type: sqlite}\n", "t"));
}

TEST(ConfigLoaderTest, PluginOptionShapes) {
    EXPECT_HAS(LoadError("db:\n  main:\n    type: sqlite\n    pool: {min: 1}\nresults:\n  r: {type: sqlite}\n"),
               "test.yaml:4: db.main.pool: plugin options must be single values or lists");
    EXPECT_HAS(LoadError("db:\n  main:\n    type: sqlite\n    hosts: [[a]]\nresults:\n  r: {type: sqlite}\n"),
               "test.yaml:4: db.main.hosts: list items must be single values");
    EXPECT_HAS(LoadError("db:\n  main:\n    type: sqlite\n    hosts: [\"a,b\"]\nresults:\n  r: {type: sqlite}\n"),
               "db.main.hosts: list items may not contain ','");
}

TEST(ConfigLoaderTest, AtLeastOneDbAndResults) {
    EXPECT_HAS(LoadError("results:\n  r: {type: sqlite}\n"), "db: at least one database is required");
    EXPECT_HAS(LoadError("results:\n  r: {type: sqlite}\ndb:\n"), "test.yaml:3: db: at least one database");
    EXPECT_HAS(LoadError("db: {}\nresults:\n  r: {type: sqlite}\n"), "at least one database");
    EXPECT_HAS(LoadError("db:\n  main: {type: sqlite}\n"), "results: at least one results backend");
    EXPECT_HAS(LoadError("app: {}\n"), "test.yaml:1:");
}

TEST(ConfigLoaderTest, DuplicateKeysAreRefused) {
    EXPECT_HAS(LoadError(With("app:\n  log_level: info\n  log_level: debug\n")),
               "test.yaml:3: app.log_level: duplicate key");
    EXPECT_HAS(LoadError("db:\n  main: {type: sqlite}\n  main: {type: postgres}\nresults:\n  r: {type: sqlite}\n"),
               "test.yaml:3: db.main: duplicate key");
    EXPECT_HAS(LoadError(With("app: {}\napp: {}\n")), "test.yaml:2: app: duplicate key");
    EXPECT_HAS(LoadError("db:\n  main: {type: sqlite, dsn: a, dsn: b}\nresults:\n  r: {type: sqlite}\n"),
               "db.main.dsn: duplicate key");
}

TEST(ConfigLoaderTest, NonScalarKeysAreRefused) {
    EXPECT_HAS(LoadError(With("? [a, b]\n: 1\n")), "keys must be plain names");
}

TEST(ConfigLoaderTest, EmptyDocument) {
    for (const char* text : {"", "\n\n", "# only a comment\n", "---\n", "~\n"}) {
        const std::string message = LoadError(text);
        EXPECT_HAS(message, "test.yaml:1: the config is empty") << text;
    }
}

TEST(ConfigLoaderTest, SyntaxErrorNamesFileLineAndReason) {
    const std::string message = LoadError("db:\n  main: {type: sqlite\nresults: {}\n");
    EXPECT_HAS(message, "test.yaml:");
    EXPECT_HAS(message, "YAML syntax error: ");
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;

    const std::string tabbed = LoadError("app:\n\tlog_level: info\n");
    EXPECT_HAS(tabbed, "test.yaml:2:");
    EXPECT_HAS(tabbed, "YAML syntax error");

    EXPECT_HAS(LoadError("a: b: c\n"), "YAML syntax error");
    EXPECT_HAS(LoadError("db: [1, 2\n"), "YAML syntax error");
    EXPECT_HAS(LoadError("a: *nope\n"), "YAML syntax error");
}

TEST(ConfigLoaderTest, SecondDocumentIsRefused) {
    EXPECT_HAS(LoadError(std::string(kMinimal) + "---\napp: {}\n"), "must be one YAML document");
}

TEST(ConfigLoaderTest, HostileInputsFailCleanly) {
    std::string binary;
    for (int i = 0; i < 4096; ++i) binary.push_back(static_cast<char>((i * 7919) % 256));
    EXPECT_THROW(ParseSettings(binary, "junk"), ConfigError);
    EXPECT_THROW(ParseSettings(std::string("\0\0\0", 3), "junk"), ConfigError);

    const std::string deep(5000, '[');
    EXPECT_THROW(ParseSettings(deep, "deep"), ConfigError);
    const std::string deep_map = std::string(5000, '{') + "a: 1";
    EXPECT_THROW(ParseSettings(deep_map, "deep"), ConfigError);

    // A huge value is accepted as text but not echoed back whole in messages.
    const std::string huge(100000, 'x');
    const std::string message = LoadError(With("app:\n  log_level: " + huge + "\n"));
    EXPECT_LT(message.size(), 400u);
    // yaml-cpp refuses implicit keys longer than 1024 characters; the message must still be one short line.
    const std::string huge_key = LoadError(With(huge + ": 1\n"));
    EXPECT_HAS(huge_key, "test.yaml:1:");
    EXPECT_LT(huge_key.size(), 400u);
}

TEST(ConfigLoaderTest, Utf8BomAndCrlfAreAccepted) {
    std::string text = "\xEF\xBB\xBF";
    for (char c : std::string(kMinimal)) {
        if (c == '\n') text += '\r';
        text += c;
    }
    const Settings settings = ParseSettings(text, "win.yaml");
    EXPECT_EQ(settings.db.at("main").options.at("dsn"), "main.db");
    EXPECT_EQ(settings.db.at("main").origin, "win.yaml:2");
}

class ConfigFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ =
            std::filesystem::temp_directory_path() / ("jobber_config_test_" + std::to_string(::getpid()) + "_" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string Write(const std::string& name, const std::string& text) {
        const std::filesystem::path path = dir_ / name;
        std::ofstream(path, std::ios::binary) << text;
        return path.string();
    }

    std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, LoadsFileAndUsesItsNameInOrigins) {
    const std::string path = Write("jobber.yaml", kMinimal);
    const Settings settings = LoadSettingsFile(path);
    EXPECT_EQ(settings.db.at("main").origin, path + ":2");
}

TEST_F(ConfigFileTest, MissingFile) {
    const std::string path = (dir_ / "nope.yaml").string();
    try {
        LoadSettingsFile(path);
        FAIL() << "loaded a missing file";
    } catch (const ConfigError& error) {
        EXPECT_HAS(error.what(), "config file '" + path + "' not found");
    }
}

TEST_F(ConfigFileTest, DirectoryIsRefused) {
    EXPECT_THROW(
        {
            try {
                LoadSettingsFile(dir_.string());
            } catch (const ConfigError& error) {
                EXPECT_HAS(error.what(), "is a directory");
                throw;
            }
        },
        ConfigError);
}

TEST_F(ConfigFileTest, ErrorsNameTheFile) {
    const std::string path = Write("bad.yaml", With("app:\n  colour: red\n"));
    try {
        LoadSettingsFile(path);
        FAIL() << "loaded a bad file";
    } catch (const ConfigError& error) {
        EXPECT_HAS(error.what(), path + ":2: unknown key 'app.colour'");
    }
}

TEST_F(ConfigFileTest, EmptyFile) {
    const std::string path = Write("empty.yaml", "");
    try {
        LoadSettingsFile(path);
        FAIL() << "loaded an empty file";
    } catch (const ConfigError& error) {
        EXPECT_HAS(error.what(), path + ":1: the config is empty");
    }
}

// The shipped configs are documentation; they must keep loading as the host evolves.
TEST(ShippedConfigTest, DefaultSampleLoads) {
    const Settings settings = LoadSettingsFile(std::string(JOBBER_TEST_SOURCE_DIR) + "/config/sql-jobber.yaml");
    EXPECT_EQ(settings.job_queue.broker.type, "memory");
    EXPECT_EQ(settings.job_queue.state.type, "memory");
    ASSERT_EQ(settings.db.count("demo"), 1u);
    EXPECT_EQ(settings.db.at("demo").type, "sqlite");
    EXPECT_EQ(settings.db.at("demo").options.at("dsn"), "demo.db");
    EXPECT_EQ(settings.db.at("demo").options.at("max_connections"), "4");
    ASSERT_EQ(settings.results.count("demo_results"), 1u);
    EXPECT_EQ(settings.results.at("demo_results").type, "sqlite");
    EXPECT_EQ(settings.results.at("demo_results").options.at("dsn"), "demo-results.db");
    EXPECT_EQ(settings.results.at("demo_results").results_table, "results_%s");
    EXPECT_EQ(settings.server.address, "127.0.0.1:6060");
}

TEST(ShippedConfigTest, ExampleLoads) {
    const Settings settings = LoadSettingsFile(std::string(JOBBER_TEST_SOURCE_DIR) + "/config/jobber.example.yaml");
    EXPECT_EQ(settings.app.log_level, "info");
    EXPECT_EQ(settings.job_queue.broker.type, "memory");
    EXPECT_EQ(settings.db.count("demo"), 1u);
    EXPECT_EQ(settings.results.count("demo_results"), 1u);
}

}  // namespace
}  // namespace jobber::config

namespace jobber::config {
namespace {

TEST(ConfigLoaderExtrasTest, EnvironmentOverridesFileValuesAndIsValidatedLikeThem) {
    const std::string yaml =
        "server: { address: '127.0.0.1:6060' }\n"
        "db: { main: { type: sqlite, dsn: a.db } }\n"
        "results: { r: { type: sqlite, dsn: r.db } }\n";
    ::setenv("SQL_JOBBER_SERVER__ADDRESS", "0.0.0.0:7070", 1);
    ::setenv("SQL_JOBBER_DB__MAIN__DSN", "/srv/b.db", 1);
    const Settings settings = ParseSettings(yaml, "env.yaml");
    EXPECT_EQ(settings.server.address, "0.0.0.0:7070");
    EXPECT_EQ(settings.db.at("main").options.at("dsn"), "/srv/b.db");
    ::setenv("SQL_JOBBER_SERVER__ADDRESS", "not an address", 1);
    EXPECT_THROW(ParseSettings(yaml, "env.yaml"), ConfigError);
    ::unsetenv("SQL_JOBBER_SERVER__ADDRESS");
    ::unsetenv("SQL_JOBBER_DB__MAIN__DSN");
}

TEST(ConfigLoaderExtrasTest, DbMaxConcurrencyIsAHostKey) {
    const Settings settings = ParseSettings(
        "db: { main: { type: sqlite, dsn: a.db, max_concurrency: 3 } }\nresults: { r: { type: sqlite, dsn: r.db } }\n",
        "x.yaml");
    EXPECT_EQ(settings.db.at("main").max_concurrency, 3u);
    EXPECT_EQ(settings.db.at("main").options.count("max_concurrency"), 0u);
    EXPECT_THROW(ParseSettings("db: { main: { type: sqlite, dsn: a.db, max_concurrency: lots } }\n"
                               "results: { r: { type: sqlite, dsn: r.db } }\n",
                               "x.yaml"),
                 ConfigError);
}

TEST(ConfigLoaderExtrasTest, AuthTokenFromAFile) {
    const std::string path = ::testing::TempDir() + "/jobber-token";
    {
        std::ofstream out(path);
        out << "s3cret\n";
    }
    const Settings settings = ParseSettings("server: { auth_token_file: '" + path +
                                                "' }\ndb: { main: { type: sqlite, dsn: a.db } }\n"
                                                "results: { r: { type: sqlite, dsn: r.db } }\n",
                                            "x.yaml");
    EXPECT_EQ(settings.server.auth_token, "s3cret");
    std::filesystem::remove(path);
    EXPECT_THROW(ParseSettings("server: { auth_token_file: /nonexistent/token }\ndb: { main: { type: sqlite, dsn: "
                               "a.db } }\nresults: { r: { type: sqlite, dsn: r.db } }\n",
                               "x.yaml"),
                 ConfigError);
}

}  // namespace
}  // namespace jobber::config

namespace jobber::config {
namespace {

// Found by fuzz/config_fuzzer: yaml-cpp 0.7 never returns on this input. Start-up must fail with a
// clear message instead of hanging.
TEST(ConfigLoaderExtrasTest, AYamlCppHangBecomesAClearError) {
    const auto start = std::chrono::steady_clock::now();
    try {
        ParseSettings("{log_l7 lve:edee:edebug},\nse~og_les}}\n", "hang.yaml");
        ADD_FAILURE() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("hang.yaml: the YAML parser did not finish"), std::string::npos)
            << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

}  // namespace
}  // namespace jobber::config
