#include "jobber/app/cli.hpp"

#include <charconv>
#include <string_view>

namespace jobber::app {
namespace {

constexpr int kMaxWorkerConcurrency = 1000;

enum class FlagKind { kString, kList, kBool, kInt };

struct Flag {
    std::string_view name;
    FlagKind kind;
};

constexpr Flag kFlags[] = {
    {"config", FlagKind::kString},    {"sql-directory", FlagKind::kList}, {"server", FlagKind::kString},
    {"queue", FlagKind::kList},       {"worker-name", FlagKind::kString}, {"worker-concurrency", FlagKind::kInt},
    {"worker-only", FlagKind::kBool}, {"help", FlagKind::kBool},          {"version", FlagKind::kBool},
};

// At most 80 bytes of an argument in a message.
std::string Quote(std::string_view text) {
    constexpr size_t kShown = 80;
    std::string quoted = "'";
    quoted.append(text.substr(0, kShown));
    quoted.append(text.size() > kShown ? "...'" : "'");
    return quoted;
}

const Flag* FindFlag(std::string_view name) {
    for (const Flag& flag : kFlags) {
        if (flag.name == name) return &flag;
    }
    return nullptr;
}

// Go's strconv.ParseBool spellings, which pflag accepts for --flag=value.
bool ParseBool(std::string_view name, std::string_view value) {
    for (std::string_view yes : {"1", "t", "T", "true", "TRUE", "True"}) {
        if (value == yes) return true;
    }
    for (std::string_view no : {"0", "f", "F", "false", "FALSE", "False"}) {
        if (value == no) return false;
    }
    throw CliError("invalid value " + Quote(value) + " for --" + std::string(name) + "; use true or false");
}

int ParseConcurrency(std::string_view value) {
    int number = 0;
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, number);
    if (value.empty() || ec != std::errc() || ptr != end || number < 1 || number > kMaxWorkerConcurrency) {
        throw CliError("--worker-concurrency must be a whole number from 1 to " +
                       std::to_string(kMaxWorkerConcurrency) + ", not " + Quote(value));
    }
    return number;
}

void AppendList(std::string_view name, std::string_view value, std::vector<std::string>& list) {
    std::string_view rest = value;
    while (true) {
        const size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        if (item.empty()) throw CliError("--" + std::string(name) + " has an empty item in " + Quote(value));
        list.emplace_back(item);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
}

bool IsBoolWord(std::string_view word) {
    for (std::string_view candidate : {"true", "false", "1", "0", "t", "f", "TRUE", "FALSE", "True", "False"}) {
        if (word == candidate) return true;
    }
    return false;
}

class CliParser {
public:
    CliOptions Parse(int argc, const char* const* argv) {
        for (int i = 1; i < argc; ++i) {
            const std::string_view arg = argv[i] != nullptr ? argv[i] : "";
            const std::string_view next = i + 1 < argc && argv[i + 1] != nullptr ? argv[i + 1] : "";
            const bool has_next = i + 1 < argc;
            const std::string previous_bare_bool = std::move(after_bare_bool_);
            after_bare_bool_.clear();
            if (flags_done_ || arg.size() < 2 || arg[0] != '-') {
                if (positionals_.empty()) bool_word_flag_ = previous_bare_bool;
                positionals_.emplace_back(arg);
                continue;
            }
            if (arg == "--") {
                flags_done_ = true;
            } else if (arg == "-h") {
                options_.show_help = true;
            } else if (arg == "-v") {
                options_.show_version = true;
            } else if (arg[1] != '-') {
                // pflag has only -h and -v as shorthands; Go's standard flag package took "-config", so hint at that.
                const size_t equals = arg.find('=');
                const std::string_view name =
                    equals == std::string_view::npos ? arg.substr(1) : arg.substr(1, equals - 1);
                const std::string hint =
                    FindFlag(name) != nullptr ? " (did you mean --" + std::string(name) + "?)" : "";
                throw CliError("unknown flag -" + std::string(name.substr(0, 80)) + hint + "; see --help");
            } else if (ParseLongFlag(arg.substr(2), has_next, next)) {
                ++i;
            }
        }
        if (options_.sql_directories.empty()) options_.sql_directories = {"./sql"};
        if (options_.queues.empty()) options_.queues = {"sqljob_queue"};
        ParseCommand();
        return std::move(options_);
    }

private:
    // Returns true when the value was the next argument, which the caller then skips.
    bool ParseLongFlag(std::string_view body, bool has_next, std::string_view next) {
        const size_t equals = body.find('=');
        const std::string_view name = body.substr(0, equals);
        const Flag* flag = FindFlag(name);
        if (flag == nullptr) throw CliError("unknown flag --" + std::string(name.substr(0, 80)) + "; see --help");
        const bool inline_value = equals != std::string_view::npos;
        const std::string_view inline_text = inline_value ? body.substr(equals + 1) : std::string_view();

        if (flag->kind == FlagKind::kBool) {
            // Like pflag, a bare boolean never takes the next word, so "--worker-only false" leaves "false" behind.
            const bool value = inline_value ? ParseBool(name, inline_text) : true;
            if (!inline_value) after_bare_bool_ = std::string(name);
            SetBool(name, value);
            return false;
        }

        std::string_view value = inline_text;
        bool used_next = false;
        if (!inline_value) {
            // A following flag is almost always a forgotten value; "--config=-odd" still passes a dash-led value.
            if (!has_next || (next.size() > 1 && next[0] == '-')) {
                throw CliError("flag --" + std::string(name) + " needs a value; write --" + std::string(name) +
                               " VALUE or --" + std::string(name) + "=VALUE");
            }
            value = next;
            used_next = true;
        }
        if (value.empty()) throw CliError("flag --" + std::string(name) + " needs a non-empty value");

        if (name == "config") {
            options_.config_path = std::string(value);
            options_.config_given = true;
        } else if (name == "sql-directory") {
            AppendList(name, value, options_.sql_directories);
        } else if (name == "queue") {
            AppendList(name, value, options_.queues);
        } else if (name == "server") {
            options_.server = std::string(value);
        } else if (name == "worker-name") {
            options_.worker_name = std::string(value);
        } else if (name == "worker-concurrency") {
            options_.worker_concurrency = ParseConcurrency(value);
        }
        return used_next;
    }

    void SetBool(std::string_view name, bool value) {
        if (name == "worker-only") options_.worker_only = value;
        if (name == "help") options_.show_help = value;
        if (name == "version") options_.show_version = value;
    }

    void ParseCommand() {
        if (positionals_.empty()) return;
        const std::string& command = positionals_[0];
        // --help and --version print and exit, so words meant for a command need not be complete.
        const bool lenient = options_.show_help || options_.show_version;
        if (command == "plugins") {
            if (positionals_.size() > 1 && !lenient) {
                throw CliError("'plugins' takes no arguments, got " + Quote(positionals_[1]) + "; see --help");
            }
        } else if (command == "plugin-info") {
            if (positionals_.size() < 2 && !lenient) {
                throw CliError(
                    "'plugin-info' needs the path of a plugin library, e.g. plugin-info "
                    "./libjobber_sqlite.so");
            }
            if (positionals_.size() > 2 && !lenient) {
                throw CliError("'plugin-info' takes one path, got also " + Quote(positionals_[2]) + "; see --help");
            }
        } else if (lenient) {
            return;
        } else if (IsBoolWord(command) && !bool_word_flag_.empty()) {
            throw CliError(Quote(command) + " is not a command; to set a boolean write --" + bool_word_flag_ + "=" +
                           command);
        } else {
            throw CliError("unknown command " + Quote(command) +
                           "; commands are 'plugins' and 'plugin-info PATH', or none to run the server; see --help");
        }
        options_.command = command;
        options_.command_args.assign(positionals_.begin() + 1, positionals_.end());
    }

    CliOptions options_;
    std::vector<std::string> positionals_;
    bool flags_done_ = false;
    std::string after_bare_bool_;  // the bare boolean flag just seen, to explain a stray "false" after it
    std::string bool_word_flag_;   // that flag, when the first positional word came right after it
};

}  // namespace

CliOptions ParseCli(int argc, const char* const* argv) {
    if (argv == nullptr) argc = 0;
    return CliParser().Parse(argc, argv);
}

std::string CliUsage() {
    return "Usage: sql-jobber [flags] [command]\n"
           "\n"
           "A job server that defers heavy SQL read queries: tasks are named queries in .sql files, jobs run them\n"
           "on workers and write the rows to a results database.\n"
           "\n"
           "Commands:\n"
           "  (none)                 run the HTTP API and the workers\n"
           "  plugins                list the plugins found, with their roles and config keys\n"
           "  plugin-info PATH       print one plugin library's manifest, config keys and ABI verdict\n"
           "\n"
           "Flags:\n"
           "      --config string              path to the YAML config file (default \"sql-jobber.yaml\")\n"
           "      --sql-directory strings      directory of .sql task files; repeat or comma-separate for several "
           "(default [./sql])\n"
           "      --server string              address for the HTTP API, overrides server.address (e.g. "
           "127.0.0.1:6060)\n"
           "      --queue strings              queues the workers take jobs from; repeat or comma-separate for "
           "several (default [sqljob_queue])\n"
           "      --worker-name string         name of this worker, shown in logs (default \"sqljobber\")\n"
           "      --worker-concurrency int     jobs run at once by this worker, 1 to 1000 (default 10)\n"
           "      --worker-only                run the workers without the HTTP API\n"
           "  -h, --help                       show this help\n"
           "  -v, --version                    show the version and plugin ABI\n";
}

}  // namespace jobber::app
