#include "jobber/config/config_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "jobber/config/env_overrides.hpp"
#include "jobber/config/listen_address.hpp"
#include "jobber/config/yaml_reader.hpp"

namespace jobber::config {
namespace {

using Entry = YamlReader::Entry;

// Far beyond any real config; refusing early keeps a wrong --config (a log file, a database) from eating memory.
constexpr std::uintmax_t kMaxConfigBytes = 8u << 20;

bool IsInstanceNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool IsPluginTypeChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool IsTableChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

[[noreturn]] void UnknownKey(const YamlReader& reader,
                             const Entry& entry,
                             const std::string& path,
                             const std::string& valid) {
    reader.Fail(entry.key_node, "",
                "unknown key '" + (path.empty() ? "" : path + ".") + entry.key + "'; valid keys: " + valid);
}

// A plugin option as the text the plugin will receive. Lists are joined with ",", which is how list-valued plugin
// fields are declared (e.g. redis cluster addresses), so an item containing "," would split wrongly and is refused.
std::string OptionText(const YamlReader& reader, const Entry& entry, const std::string& path) {
    if (!entry.value.IsSequence()) {
        if (entry.value.IsMap()) {
            reader.Fail(entry.key_node, path, "plugin options must be single values or lists, not a mapping");
        }
        return reader.Text(entry, path);
    }
    std::string joined;
    bool first = true;
    for (const YAML::Node& item : entry.value) {
        if (!item.IsScalar()) {
            throw ConfigError(reader.Where(item, entry.key_node) + ": " + path +
                              ": list items must be single values, not nested lists or mappings");
        }
        if (item.Scalar().find(',') != std::string::npos) {
            throw ConfigError(reader.Where(item, entry.key_node) + ": " + path +
                              ": list items may not contain ',' because the list is passed to the plugin joined "
                              "with ','");
        }
        if (!first) joined += ",";
        joined += item.Scalar();
        first = false;
    }
    return joined;
}

// Reads one plugin instance. `results_table`, when non-null, accepts the results-only key.
PluginInstanceSettings ParseInstance(const YamlReader& reader,
                                     const Entry& entry,
                                     const std::string& path,
                                     std::string* results_table) {
    PluginInstanceSettings instance;
    instance.name = entry.key;
    instance.origin = reader.Where(entry.key_node);
    if (!entry.value.IsNull() && !entry.value.IsMap()) {
        reader.Fail(entry.key_node, path, "expected a mapping with at least 'type', e.g. { type: sqlite, dsn: x.db }");
    }
    bool has_type = false;
    for (const Entry& option : reader.Entries(entry, path)) {
        const std::string option_path = path + "." + option.key;
        if (option.key == "type") {
            instance.type = reader.Text(option, option_path);
            if (instance.type.empty()) reader.Fail(option.key_node, option_path, "is empty; name the plugin to use");
            for (char c : instance.type) {
                if (!IsPluginTypeChar(c)) {
                    reader.Fail(option.key_node, option_path,
                                "'" + instance.type + "' is not a plugin name; plugin names use only a-z, 0-9 and _");
                }
            }
            has_type = true;
        } else if (option.key == "results_table" && results_table != nullptr) {
            *results_table = reader.Text(option, option_path);
        } else {
            instance.options.emplace(option.key, OptionText(reader, option, option_path));
        }
    }
    if (!has_type) {
        reader.Fail(entry.key_node, path, "missing 'type': name the plugin that provides this instance (e.g. sqlite)");
    }
    return instance;
}

void CheckInstanceName(const YamlReader& reader, const Entry& entry, const std::string& path) {
    for (char c : entry.key) {
        if (!IsInstanceNameChar(c)) {
            reader.Fail(entry.key_node, path, "instance names may use only A-Z, a-z, 0-9, '_' and '-'");
        }
    }
}

void CheckResultsTable(const YamlReader& reader,
                       const Entry& instance,
                       const std::string& path,
                       const std::string& table) {
    const size_t first = table.find("%s");
    const bool one_placeholder = first != std::string::npos && table.find("%s", first + 2) == std::string::npos;
    bool clean = one_placeholder;
    for (size_t i = 0; clean && i < table.size(); ++i) {
        if (i == first) {
            ++i;
            continue;
        }
        clean = IsTableChar(table[i]);
    }
    if (!clean) {
        reader.Fail(instance.key_node, path + ".results_table",
                    "'" + table + "' must contain exactly one %s (the job id) and otherwise only A-Z, a-z, 0-9 and _");
    }
}

void ParseApp(const YamlReader& reader, const Entry& section, Settings::App& app) {
    for (const Entry& entry : reader.Entries(section, "app")) {
        const std::string path = "app." + entry.key;
        if (entry.key == "log_level") {
            app.log_level = reader.OneOf(entry, path, {"error", "warning", "info", "debug"});
        } else if (entry.key == "default_job_ttl") {
            app.default_job_ttl = reader.Duration(entry, path);
            if (app.default_job_ttl.count() == 0) reader.Fail(entry.key_node, path, "must be greater than zero");
        } else if (entry.key == "log_format") {
            app.log_format = reader.OneOf(entry, path, {"text", "json"});
        } else if (entry.key == "job_lease") {
            app.job_lease = reader.Duration(entry, path);
            if (app.job_lease < std::chrono::seconds(2)) reader.Fail(entry.key_node, path, "must be at least 2s");
        } else if (entry.key == "expiry_sweep_interval") {
            app.expiry_sweep_interval = reader.Duration(entry, path);
            if (app.expiry_sweep_interval.count() == 0) reader.Fail(entry.key_node, path, "must be greater than zero");
        } else {
            UnknownKey(reader, entry, "app",
                       "log_level, default_job_ttl, log_format, expiry_sweep_interval, job_lease");
        }
    }
}

void ParseServer(const YamlReader& reader, const Entry& section, Settings::Server& server) {
    for (const Entry& entry : reader.Entries(section, "server")) {
        const std::string path = "server." + entry.key;
        if (entry.key == "address") {
            server.address = reader.Text(entry, path);
            try {
                ParseListenAddress(server.address);
            } catch (const std::invalid_argument& error) {
                reader.Fail(entry.key_node, path, error.what());
            }
        } else if (entry.key == "auth_token") {
            if (!server.auth_token.empty())
                reader.Fail(entry.key_node, path, "set auth_token or auth_token_file, not both");
            server.auth_token = reader.Text(entry, path);
        } else if (entry.key == "auth_token_file") {
            // Keeps the secret out of the config file (a mounted secret, say).
            if (!server.auth_token.empty())
                reader.Fail(entry.key_node, path, "set auth_token or auth_token_file, not both");
            const std::string file = reader.Text(entry, path);
            std::ifstream in(file, std::ios::binary);
            if (!in) reader.Fail(entry.key_node, path, "cannot read '" + file + "'");
            std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
                token.pop_back();
            if (token.empty()) reader.Fail(entry.key_node, path, "'" + file + "' is empty");
            server.auth_token = token;
        } else if (entry.key == "shutdown_grace") {
            server.shutdown_grace = reader.Duration(entry, path);
        } else if (entry.key == "max_body_bytes") {
            server.max_body_bytes = static_cast<size_t>(reader.PositiveInteger(entry, path));
        } else {
            UnknownKey(reader, entry, "server", "address, auth_token, auth_token_file, shutdown_grace, max_body_bytes");
        }
    }
}

void ParsePlugins(const YamlReader& reader, const Entry& section, Settings::Plugins& plugins) {
    for (const Entry& entry : reader.Entries(section, "plugins")) {
        if (entry.key == "directories") {
            plugins.directories = reader.TextList(entry, "plugins.directories");
        } else {
            UnknownKey(reader, entry, "plugins", "directories");
        }
    }
}

void ParseJobQueue(const YamlReader& reader, const Entry& section, Settings::JobQueue& job_queue) {
    for (const Entry& entry : reader.Entries(section, "job_queue")) {
        const std::string path = "job_queue." + entry.key;
        if (entry.key == "broker") {
            job_queue.broker = ParseInstance(reader, entry, path, nullptr);
        } else if (entry.key == "state") {
            job_queue.state = ParseInstance(reader, entry, path, nullptr);
        } else {
            UnknownKey(reader, entry, "job_queue", "broker, state");
        }
    }
}

void ParseDb(const YamlReader& reader, const Entry& section, std::map<std::string, PluginInstanceSettings>& db) {
    for (const Entry& entry : reader.Entries(section, "db")) {
        const std::string path = "db." + entry.key;
        CheckInstanceName(reader, entry, path);
        PluginInstanceSettings instance = ParseInstance(reader, entry, path, nullptr);
        // A host key, not the plugin's: at most this many queries on this database at once.
        auto limit = instance.options.find("max_concurrency");
        if (limit != instance.options.end()) {
            const std::string& text = limit->second;
            const bool digits =
                !text.empty() && text.size() <= 6 && text.find_first_not_of("0123456789") == std::string::npos;
            if (!digits) {
                throw ConfigError(instance.origin + ": " + path + ".max_concurrency: '" + text +
                                  "' must be a whole number (0 = no limit)");
            }
            instance.max_concurrency = static_cast<uint32_t>(std::stoul(text));
            instance.options.erase(limit);
        }
        db.emplace(entry.key, std::move(instance));
    }
}

void ParseResults(const YamlReader& reader, const Entry& section, std::map<std::string, ResultsSettings>& results) {
    for (const Entry& entry : reader.Entries(section, "results")) {
        const std::string path = "results." + entry.key;
        CheckInstanceName(reader, entry, path);
        ResultsSettings settings;
        std::string table = settings.results_table;
        static_cast<PluginInstanceSettings&>(settings) = ParseInstance(reader, entry, path, &table);
        CheckResultsTable(reader, entry, path, table);
        settings.results_table = table;
        results.emplace(entry.key, std::move(settings));
    }
}

// yaml-cpp 0.7 (Debian 12) loops forever, allocating, on some malformed flow collections
// (jbeder/yaml-cpp#499, #1040; found again by fuzz/config_fuzzer). The parse runs on its own
// thread so start-up fails with a clear message instead of hanging; the stuck thread dies with the
// process, which exits on any ConfigError.
std::vector<YAML::Node> LoadAllWithDeadline(const std::string& yaml_text, const std::string& origin_name) {
    constexpr auto kParseDeadline = std::chrono::seconds(5);
    auto text = std::make_shared<const std::string>(yaml_text);
    std::packaged_task<std::vector<YAML::Node>()> parse([text] { return YAML::LoadAll(*text); });
    auto result = parse.get_future();
    std::thread(std::move(parse)).detach();
    if (result.wait_for(kParseDeadline) != std::future_status::ready) {
        throw ConfigError(origin_name +
                          ": the YAML parser did not finish; the file trips a known yaml-cpp hang on malformed flow "
                          "collections: check every '{', '[', ',' and ':' in inline {...} and [...] values");
    }
    return result.get();
}

YAML::Node LoadDocument(const std::string& yaml_text, const std::string& origin_name) {
    std::vector<YAML::Node> documents;
    try {
        documents = LoadAllWithDeadline(yaml_text, origin_name);
    } catch (const YAML::Exception& error) {
        // yaml-cpp's what() has its own "line N, column M" prefix; use the file:line form like every other message.
        const std::string where = error.mark.is_null() ? origin_name
                                                       : origin_name + ":" + std::to_string(error.mark.line + 1) + ":" +
                                                             std::to_string(error.mark.column + 1);
        throw ConfigError(where + ": YAML syntax error: " + error.msg);
    }
    if (documents.size() > 1) {
        throw ConfigError(origin_name + ":" + std::to_string(documents[1].Mark().line + 1) +
                          ": the config must be one YAML document; remove the second '---'");
    }
    if (documents.empty() || documents[0].IsNull()) {
        throw ConfigError(origin_name +
                          ":1: the config is empty; at least 'db' and 'results' are required (see "
                          "config/jobber.example.yaml)");
    }
    return documents[0];
}

}  // namespace

Settings ParseSettings(const std::string& yaml_text, const std::string& origin_name) {
    const YamlReader reader(origin_name);
    YAML::Node root = LoadDocument(yaml_text, origin_name);
    ApplyEnvironmentOverrides(root, JobberEnvironment());
    Settings settings;
    // Where "at least one" errors point: the empty section when there is one, else the top of the file.
    YAML::Node db_key = root;
    YAML::Node results_key = root;
    for (const Entry& section : reader.RootEntries(root)) {
        if (section.key == "app") {
            ParseApp(reader, section, settings.app);
        } else if (section.key == "server") {
            ParseServer(reader, section, settings.server);
        } else if (section.key == "plugins") {
            ParsePlugins(reader, section, settings.plugins);
        } else if (section.key == "job_queue") {
            ParseJobQueue(reader, section, settings.job_queue);
        } else if (section.key == "db") {
            db_key = section.key_node;
            ParseDb(reader, section, settings.db);
        } else if (section.key == "results") {
            results_key = section.key_node;
            ParseResults(reader, section, settings.results);
        } else {
            UnknownKey(reader, section, "", "app, server, plugins, job_queue, db, results");
        }
    }
    if (settings.job_queue.broker.origin.empty()) settings.job_queue.broker.origin = origin_name + " (default)";
    if (settings.job_queue.state.origin.empty()) settings.job_queue.state.origin = origin_name + " (default)";
    if (settings.db.empty()) {
        throw ConfigError(reader.Where(db_key) +
                          ": db: at least one database is required, e.g. db: { main: { type: "
                          "sqlite, dsn: main.db } }");
    }
    if (settings.results.empty()) {
        throw ConfigError(reader.Where(results_key) +
                          ": results: at least one results backend is required, e.g. results: { "
                          "main_results: { type: sqlite, dsn: results.db } }");
    }
    return settings;
}

Settings LoadSettingsFile(const std::string& path) {
    std::error_code error;
    const std::filesystem::file_status status = std::filesystem::status(path, error);
    if (status.type() == std::filesystem::file_type::not_found) {
        throw ConfigError("config file '" + path + "' not found; pass --config with the path of your config");
    }
    if (error) throw ConfigError("config file '" + path + "' cannot be read: " + error.message());
    if (std::filesystem::is_directory(status)) {
        throw ConfigError("config file '" + path + "' is a directory; pass --config with the path of a YAML file");
    }
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    if (!error && size > kMaxConfigBytes) {
        throw ConfigError("config file '" + path + "' is " + std::to_string(size) +
                          " bytes, more than any config needs; check --config points at the YAML config");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError("config file '" + path + "' cannot be read: " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ConfigError("config file '" + path + "' cannot be read: " + std::strerror(errno));
    return ParseSettings(text.str(), path);
}

}  // namespace jobber::config
