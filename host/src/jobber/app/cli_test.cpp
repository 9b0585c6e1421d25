#include "jobber/app/cli.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace jobber::app {
namespace {

#define EXPECT_HAS(text, part) EXPECT_PRED_FORMAT2(::testing::IsSubstring, part, text)

using Strings = std::vector<std::string>;

// Runs ParseCli on "sql-jobber" followed by `args`.
CliOptions Parse(std::initializer_list<std::string> args) {
    std::vector<std::string> storage{"sql-jobber"};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const std::string& arg : storage) argv.push_back(arg.c_str());
    argv.push_back(nullptr);
    return ParseCli(static_cast<int>(storage.size()), argv.data());
}

std::string CliErrorOf(std::initializer_list<std::string> args) {
    try {
        Parse(args);
    } catch (const CliError& error) {
        return error.what();
    }
    ADD_FAILURE() << "command line accepted";
    return {};
}

TEST(ParseCliTest, Defaults) {
    const CliOptions options = Parse({});
    EXPECT_EQ(options.config_path, "sql-jobber.yaml");
    EXPECT_FALSE(options.config_given);
    EXPECT_EQ(options.sql_directories, Strings{"./sql"});
    EXPECT_EQ(options.server, "");
    EXPECT_EQ(options.queues, Strings{"sqljob_queue"});
    EXPECT_EQ(options.worker_name, "sqljobber");
    EXPECT_EQ(options.worker_concurrency, 10);
    EXPECT_FALSE(options.worker_only);
    EXPECT_FALSE(options.show_version);
    EXPECT_FALSE(options.show_help);
    EXPECT_EQ(options.command, "");
    EXPECT_TRUE(options.command_args.empty());
}

TEST(ParseCliTest, NoArgvAtAll) {
    EXPECT_EQ(ParseCli(0, nullptr).queues, Strings{"sqljob_queue"});
    const char* const only_program[] = {"sql-jobber", nullptr};
    EXPECT_EQ(ParseCli(1, only_program).config_path, "sql-jobber.yaml");
}

TEST(ParseCliTest, SeedReadmeCommandLine) {
    const CliOptions options =
        Parse({"--config", "/path/to/config.toml", "--sql-directory", "/path/to/your/sql/queries"});
    EXPECT_EQ(options.config_path, "/path/to/config.toml");
    EXPECT_TRUE(options.config_given);
    EXPECT_EQ(options.sql_directories, Strings{"/path/to/your/sql/queries"});
}

TEST(ParseCliTest, SpaceAndEqualsForms) {
    const CliOptions spaced =
        Parse({"--config", "a.yaml", "--server", "0.0.0.0:7000", "--worker-name", "w1", "--worker-concurrency", "32"});
    const CliOptions equals =
        Parse({"--config=a.yaml", "--server=0.0.0.0:7000", "--worker-name=w1", "--worker-concurrency=32"});
    for (const CliOptions* options : {&spaced, &equals}) {
        EXPECT_EQ(options->config_path, "a.yaml");
        EXPECT_TRUE(options->config_given);
        EXPECT_EQ(options->server, "0.0.0.0:7000");
        EXPECT_EQ(options->worker_name, "w1");
        EXPECT_EQ(options->worker_concurrency, 32);
    }
}

TEST(ParseCliTest, ValueMayContainEquals) {
    EXPECT_EQ(Parse({"--worker-name=a=b"}).worker_name, "a=b");
    EXPECT_EQ(Parse({"--config=--odd.yaml"}).config_path, "--odd.yaml");
}

TEST(ParseCliTest, LastScalarWins) {
    EXPECT_EQ(Parse({"--config", "a.yaml", "--config", "b.yaml"}).config_path, "b.yaml");
}

TEST(ParseCliTest, ListsRepeatAndSplitOnCommas) {
    const CliOptions options = Parse({"--queue", "a,b", "--queue=c", "--sql-directory=x", "--sql-directory", "y,z"});
    EXPECT_EQ(options.queues, (Strings{"a", "b", "c"}));
    EXPECT_EQ(options.sql_directories, (Strings{"x", "y", "z"}));
}

TEST(ParseCliTest, ListGivenReplacesDefault) {
    EXPECT_EQ(Parse({"--queue", "reports"}).queues, Strings{"reports"});
    EXPECT_EQ(Parse({"--sql-directory", "./sql"}).sql_directories, Strings{"./sql"});
}

TEST(ParseCliTest, ListWithEmptyItem) {
    EXPECT_HAS(CliErrorOf({"--queue", "a,,b"}), "--queue has an empty item in 'a,,b'");
    EXPECT_HAS(CliErrorOf({"--sql-directory=a,"}), "--sql-directory has an empty item");
}

TEST(ParseCliTest, Booleans) {
    EXPECT_TRUE(Parse({"--worker-only"}).worker_only);
    EXPECT_TRUE(Parse({"--worker-only=true"}).worker_only);
    EXPECT_FALSE(Parse({"--worker-only=false"}).worker_only);
    EXPECT_TRUE(Parse({"--worker-only=1"}).worker_only);
    EXPECT_FALSE(Parse({"--worker-only=F"}).worker_only);
    EXPECT_FALSE(Parse({"--worker-only", "--worker-only=false"}).worker_only);
    EXPECT_HAS(CliErrorOf({"--worker-only=maybe"}), "invalid value 'maybe' for --worker-only; use true or false");
    EXPECT_HAS(CliErrorOf({"--worker-only="}), "invalid value '' for --worker-only");
}

TEST(ParseCliTest, BareBooleanDoesNotTakeTheNextWord) {
    const std::string message = CliErrorOf({"--worker-only", "false"});
    EXPECT_HAS(message, "'false' is not a command; to set a boolean write --worker-only=false");
}

TEST(ParseCliTest, HelpAndVersion) {
    EXPECT_TRUE(Parse({"-h"}).show_help);
    EXPECT_TRUE(Parse({"--help"}).show_help);
    EXPECT_TRUE(Parse({"-v"}).show_version);
    EXPECT_TRUE(Parse({"--version"}).show_version);
    EXPECT_FALSE(Parse({"--help=false"}).show_help);
    const CliOptions both = Parse({"-v", "--help", "--worker-only"});
    EXPECT_TRUE(both.show_help);
    EXPECT_TRUE(both.show_version);
    EXPECT_TRUE(both.worker_only);
}

TEST(ParseCliTest, HelpSkipsCommandChecksButNotFlagChecks) {
    const CliOptions options = Parse({"plugin-info", "--help"});
    EXPECT_TRUE(options.show_help);
    EXPECT_EQ(options.command, "plugin-info");
    EXPECT_TRUE(Parse({"bogus", "-h"}).show_help);
    EXPECT_HAS(CliErrorOf({"--help", "--bogus"}), "unknown flag --bogus; see --help");
}

TEST(ParseCliTest, WorkerConcurrencyRange) {
    EXPECT_EQ(Parse({"--worker-concurrency", "1"}).worker_concurrency, 1);
    EXPECT_EQ(Parse({"--worker-concurrency=1000"}).worker_concurrency, 1000);
    for (const char* bad : {"0", "1001", "ten", "-1", "1.5", "10x", " 10", "+10", "99999999999999999999"}) {
        const std::string message = CliErrorOf({std::string("--worker-concurrency=") + bad});
        EXPECT_HAS(message, "--worker-concurrency must be a whole number from 1 to 1000") << bad;
        EXPECT_HAS(message, std::string("'") + bad + "'") << bad;
    }
}

TEST(ParseCliTest, UnknownFlags) {
    EXPECT_EQ(CliErrorOf({"--x"}), "unknown flag --x; see --help");
    EXPECT_EQ(CliErrorOf({"--x=1"}), "unknown flag --x; see --help");
    EXPECT_EQ(CliErrorOf({"--Config", "a"}), "unknown flag --Config; see --help");
    EXPECT_EQ(CliErrorOf({"---config"}), "unknown flag ---config; see --help");
    EXPECT_EQ(CliErrorOf({"-x"}), "unknown flag -x; see --help");
    EXPECT_EQ(CliErrorOf({"-hv"}), "unknown flag -hv; see --help");
}

TEST(ParseCliTest, SingleDashLongFlagGetsAHint) {
    EXPECT_EQ(CliErrorOf({"-config", "a.yaml"}), "unknown flag -config (did you mean --config?); see --help");
    EXPECT_EQ(CliErrorOf({"-worker-only=true"}), "unknown flag -worker-only (did you mean --worker-only?); see --help");
}

TEST(ParseCliTest, MissingValues) {
    for (const char* flag :
         {"--config", "--sql-directory", "--server", "--queue", "--worker-name", "--worker-concurrency"}) {
        EXPECT_HAS(CliErrorOf({flag}), std::string("flag ") + flag + " needs a value") << flag;
        EXPECT_HAS(CliErrorOf({flag, "--worker-only"}), std::string("flag ") + flag + " needs a value") << flag;
        EXPECT_HAS(CliErrorOf({std::string(flag) + "="}), std::string("flag ") + flag + " needs a non-empty value")
            << flag;
    }
    EXPECT_HAS(CliErrorOf({"--config", "-h"}), "flag --config needs a value");
}

TEST(ParseCliTest, Commands) {
    const CliOptions plugins = Parse({"plugins"});
    EXPECT_EQ(plugins.command, "plugins");
    EXPECT_TRUE(plugins.command_args.empty());

    const CliOptions info = Parse({"plugin-info", "./libjobber_sqlite.so"});
    EXPECT_EQ(info.command, "plugin-info");
    EXPECT_EQ(info.command_args, Strings{"./libjobber_sqlite.so"});

    // Flags and words may interleave, as with pflag.
    const CliOptions mixed = Parse({"--config", "c.yaml", "plugin-info", "--worker-only", "x.so"});
    EXPECT_EQ(mixed.command, "plugin-info");
    EXPECT_EQ(mixed.command_args, Strings{"x.so"});
    EXPECT_EQ(mixed.config_path, "c.yaml");
    EXPECT_TRUE(mixed.worker_only);
}

TEST(ParseCliTest, DoubleDashEndsFlags) {
    const CliOptions options = Parse({"plugin-info", "--", "--weird.so"});
    EXPECT_EQ(options.command_args, Strings{"--weird.so"});
    EXPECT_HAS(CliErrorOf({"--", "--help"}), "unknown command '--help'");
}

TEST(ParseCliTest, CommandErrors) {
    EXPECT_HAS(CliErrorOf({"serve"}), "unknown command 'serve'; commands are 'plugins' and 'plugin-info PATH'");
    EXPECT_HAS(CliErrorOf({""}), "unknown command ''");
    EXPECT_HAS(CliErrorOf({"-"}), "unknown command '-'");
    EXPECT_HAS(CliErrorOf({"plugins", "extra"}), "'plugins' takes no arguments, got 'extra'");
    EXPECT_HAS(CliErrorOf({"plugin-info"}), "'plugin-info' needs the path of a plugin library");
    EXPECT_HAS(CliErrorOf({"plugin-info", "a.so", "b.so"}), "'plugin-info' takes one path, got also 'b.so'");
    EXPECT_HAS(CliErrorOf({"Plugins"}), "unknown command 'Plugins'");
}

TEST(ParseCliTest, HostileArguments) {
    const std::string huge(1 << 20, 'x');
    EXPECT_LT(CliErrorOf({"--" + huge}).size(), 200u);
    EXPECT_LT(CliErrorOf({"-" + huge}).size(), 200u);
    EXPECT_LT(CliErrorOf({huge}).size(), 300u);
    EXPECT_LT(CliErrorOf({"--worker-concurrency=" + huge}).size(), 200u);
    EXPECT_EQ(Parse({"--config", huge}).config_path.size(), huge.size());
    EXPECT_HAS(CliErrorOf({std::string("\xff\xfe")}), "unknown command");

    // A null entry inside argc (a broken exec) reads as an empty word.
    const char* const broken[] = {"sql-jobber", nullptr, nullptr};
    EXPECT_THROW(ParseCli(2, broken), CliError);
}

TEST(CliUsageTest, MentionsEveryFlagAndCommand) {
    const std::string usage = CliUsage();
    for (const char* part :
         {"--config", "--sql-directory", "--server", "--queue", "--worker-name", "--worker-concurrency",
          "--worker-only", "-h, --help", "-v, --version", "plugins", "plugin-info PATH", "sql-jobber.yaml",
          "sqljob_queue", "./sql", "sqljobber", "(default 10)"}) {
        EXPECT_HAS(usage, part);
    }
    EXPECT_EQ(usage.back(), '\n');
}

}  // namespace
}  // namespace jobber::app
