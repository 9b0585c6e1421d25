#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace jobber::app {

// A command line the host cannot run with. what() is one line ending in what to do, e.g. "unknown flag --x; see
// --help". main() prints it with the usage hint and exits with status 2.
class CliError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The command line, with the Go sql-jobber's flags and defaults. Nothing here is checked against the config; that
// happens once both are loaded.
struct CliOptions {
    std::string config_path = "sql-jobber.yaml";
    bool config_given = false;                 // --config was passed (else a missing default file may fall back)
    std::vector<std::string> sql_directories;  // {"./sql"} when none given
    std::string server;                        // overrides server.address when non-empty
    std::vector<std::string> queues;           // {"sqljob_queue"} when none given
    std::string worker_name = "sqljobber";
    int worker_concurrency = 10;  // 1..1000
    bool worker_only = false;     // run workers without the HTTP server
    bool show_version = false;
    bool show_help = false;
    std::string command;                    // "" (serve), "plugins" or "plugin-info"
    std::vector<std::string> command_args;  // plugin-info: {PATH}
};

// Parses argv as Go's pflag does: "--flag value" and "--flag=value"; --sql-directory and --queue repeat and also take
// comma-separated lists (the first use replaces the default); booleans are "--worker-only" or "--worker-only=false";
// "--" ends the flags. The first positional word is the command: "plugins" or "plugin-info PATH". With --help or
// --version the command words are not checked, so "sql-jobber plugin-info --help" shows the help.
// argv[0] is the program name. Throws CliError.
CliOptions ParseCli(int argc, const char* const* argv);

// The --help text: usage line, commands and every flag with its default.
std::string CliUsage();

}  // namespace jobber::app
