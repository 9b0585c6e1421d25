// End-to-end harness: runs the real sql-jobber binary with the real plugins in a throw-away directory and talks to
// it over HTTP on a free loopback port. Each ServerHarness owns one server process, its config, task files, source
// database (the demo seed plus test tables) and results database.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace jobber::e2e {

using namespace std::chrono_literals;

// The sql-jobber binary under test and the repository root, baked in by CMake.
std::string ServerBinary();
std::filesystem::path RepoRoot();

// A fresh directory under $TMPDIR, removed with everything in it unless JOBBER_E2E_KEEP is set.
class TempDir {
public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// A loopback TCP port nobody listens on right now (bound to port 0, then released).
int FreeLoopbackPort();
// 16 random hex digits (thread-safe): unique names for queues, key prefixes and jobs of one test run.
std::string RandomHex();

// Reads a whole file; empty when it does not exist.
std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& text);

// The lines of `text`, without their newlines; a trailing empty line is dropped.
std::vector<std::string> Lines(const std::string& text);

// ---- child processes ------------------------------------------------------------------------------------------

struct ProcessResult {
    int exit_code = -1;      // the exit status; 128 + signal when killed by a signal
    bool timed_out = false;  // still running after the timeout, then killed
    std::string out;         // everything written to stdout
    std::string err;         // everything written to stderr
    std::chrono::milliseconds elapsed{0};
};

// Runs the sql-jobber binary with `args` to completion, stdout and stderr captured separately. Kills it after
// `timeout`.
ProcessResult RunBinary(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 10s);

// A running child whose stdout and stderr both go to one log file.
class ChildProcess {
public:
    ChildProcess() = default;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    void Launch(const std::vector<std::string>& argv, const std::filesystem::path& log_path);
    bool Running();  // reaps the child when it has exited
    std::optional<int> exit_code() const { return exit_code_; }
    // SIGTERM, then waits; SIGKILL after `timeout`. Returns the exit code, nullopt when it had to be killed.
    std::optional<int> Terminate(std::chrono::milliseconds timeout);
    // Waits for the child to exit on its own; nullopt on timeout (the child keeps running).
    std::optional<int> Wait(std::chrono::milliseconds timeout);
    void Kill();
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
};

// ---- HTTP ---------------------------------------------------------------------------------------------------------

struct HttpResponse {
    int status = 0;
    std::string reason;  // the status line's reason phrase
    std::string body;
    std::map<std::string, std::string> headers;  // lower-cased names
    Poco::JSON::Object::Ptr envelope;            // null when the body is not a JSON object
    std::string parse_error;                     // why `envelope` is null

    std::string Header(const std::string& name) const;
    std::string EnvelopeStatus() const;  // "success" / "error"
    std::string Message() const;         // the error message, empty when absent
    Poco::Dynamic::Var Data() const;
    Poco::JSON::Object::Ptr DataObject() const;  // null when data is not an object
    Poco::JSON::Array::Ptr DataArray() const;    // null when data is not an array
    std::string Describe() const;                // status and body, for assertion messages
};

struct HttpRequestOptions {
    std::map<std::string, std::string> headers;
    bool send_auth = true;  // add the harness's bearer token, when it has one
    bool chunked = false;   // send the body with chunked transfer encoding
    std::string content_type = "application/json";
};

// One request on a fresh connection to 127.0.0.1:port.
HttpResponse HttpCall(int port,
                      const std::string& method,
                      const std::string& path,
                      const std::string& body = "",
                      const HttpRequestOptions& options = {});

// Writes `bytes` to a fresh connection to 127.0.0.1:port as they are and returns everything the server sends back
// until it closes the connection or `wait` passes. For requests the HTTP client would not send.
std::string RawExchange(int port, const std::string& bytes, std::chrono::milliseconds wait = 1500ms);

// How many HTTP responses (status lines) `raw` holds.
int CountStatusLines(const std::string& raw);

// ---- JSON ---------------------------------------------------------------------------------------------------------

// obj[key] as text; "" when missing or null. Numbers and booleans are converted.
std::string JsonString(const Poco::JSON::Object::Ptr& obj, const std::string& key);
bool JsonIsNull(const Poco::JSON::Object::Ptr& obj, const std::string& key);
int64_t JsonInt(const Poco::JSON::Object::Ptr& obj, const std::string& key, int64_t missing = -1);
std::string ToJson(const Poco::Dynamic::Var& value);
// Parses the API's "2017-01-02T03:04:05.678Z" timestamps into Unix milliseconds; nullopt when malformed.
std::optional<int64_t> ParseApiTime(const std::string& text);
int64_t NowUnixMs();
// "YYYY-MM-DD HH:MM:SS" (UTC) for a Unix time in milliseconds, seconds truncated.
std::string FormatUtcSeconds(int64_t unix_ms);

// ---- SQLite ---------------------------------------------------------------------------------------------------------

// A query result with every value as SQLite's text rendering (sqlite3_column_text); nullopt for NULL.
struct TableData {
    std::vector<std::string> columns;
    std::vector<std::vector<std::optional<std::string>>> rows;
};

TableData QueryDb(const std::filesystem::path& db, const std::string& sql, const std::vector<std::string>& binds = {});
void ExecDb(const std::filesystem::path& db, const std::string& sql);
bool TableExists(const std::filesystem::path& db, const std::string& table);
// Every table whose name starts with `prefix` (temporary tables of a job included).
std::vector<std::string> TablesWithPrefix(const std::filesystem::path& db, const std::string& prefix);
std::string DescribeRow(const std::vector<std::optional<std::string>>& row);

// ---- the server ---------------------------------------------------------------------------------------------------

// One instance of the db: or results: section. Values are written as they are: quote text with YamlQuote.
struct BackendConfig {
    std::string type;                                       // the plugin: sqlite, postgres, mysql, ...
    std::vector<std::pair<std::string, std::string>> keys;  // the instance's other keys, in order
};

// `text` as a double-quoted YAML scalar (backslashes and quotes escaped): for DSNs and paths.
std::string YamlQuote(const std::string& text);

struct ServerConfig {
    std::string auth_token;                       // server.auth_token
    std::optional<size_t> max_body_bytes;         // server.max_body_bytes
    std::string shutdown_grace = "5s";            // server.shutdown_grace
    std::map<std::string, std::string> app_keys;  // extra app: keys, value written as is
    std::vector<std::string> queues = {"sqljob_queue", "reports"};
    int worker_concurrency = 4;
    bool worker_only = false;
    bool demo_tasks = true;                         // copy sql/demo/tasks.sql
    std::map<std::string, std::string> task_files;  // extra .sql files, name -> text
    std::string source_sql;                         // run on the source database after the demo seed
    std::string extra_yaml;                         // appended to the config as is

    // The SQLite source `demo` (seeded source.db) and results backend `demo_results` (results.db), with the
    // SQLite tasks of TestTasksSql. Turn off for servers on other engines only (set demo_tasks off too).
    bool sqlite_backends = true;
    std::map<std::string, BackendConfig> databases;         // more db: instances, by name
    std::map<std::string, BackendConfig> results_backends;  // more results: instances, by name
    // The body of the job_queue: section, indented by two spaces ("  broker:\n    type: redis\n..."); empty:
    // the in-process memory broker and state store.
    std::string job_queue_yaml;
};

// The task files every default server gets besides the demo tasks (see server_harness.cpp).
const std::string& TestTasksSql();

class ServerHarness {
public:
    explicit ServerHarness(ServerConfig config = {});
    ServerHarness(const ServerHarness&) = delete;
    ServerHarness& operator=(const ServerHarness&) = delete;
    ~ServerHarness();

    // Writes everything, launches the binary and waits for GET /health (or, with --worker-only, for the "ready"
    // log line). Throws std::runtime_error carrying the server log when it does not come up within `timeout`.
    void Start(std::chrono::milliseconds timeout = 20s);
    // SIGTERM and wait; the exit code, nullopt when it had to be killed after `timeout`.
    std::optional<int> Stop(std::chrono::milliseconds timeout = 15s);
    bool Running() { return process_.Running(); }
    // The server's process ID (for signals).
    pid_t pid() const { return process_.pid(); }

    std::string Log() const { return ReadFile(log_path()); }
    size_t LogSize() const;
    // The log from byte `offset` on, at most `max_lines` last lines.
    std::string LogSince(size_t offset, size_t max_lines = 200) const;
    // Waits until the log contains `text`.
    bool WaitForLog(const std::string& text, std::chrono::milliseconds timeout);

    HttpResponse Request(const std::string& method,
                         const std::string& path,
                         const std::string& body = "",
                         HttpRequestOptions options = {}) const;
    HttpResponse Get(const std::string& path) const { return Request("GET", path); }
    HttpResponse Post(const std::string& path, const std::string& body) const { return Request("POST", path, body); }
    HttpResponse Delete(const std::string& path) const { return Request("DELETE", path); }

    // POST /tasks/{task}/jobs with `body`; returns the response.
    HttpResponse PostJob(const std::string& task, const std::string& body) const;
    // GET /jobs/{id} until its state is one of `states`. Returns the job object, or null (with a gtest failure
    // naming the last state seen) on timeout.
    Poco::JSON::Object::Ptr WaitForState(const std::string& job_id,
                                         const std::set<std::string>& states,
                                         std::chrono::milliseconds timeout = 30s) const;
    // GET /groups/{id} until the group's state is one of `states`; like WaitForState.
    Poco::JSON::Object::Ptr WaitForGroupState(const std::string& group_id,
                                              const std::set<std::string>& states,
                                              std::chrono::milliseconds timeout = 30s) const;

    int port() const { return port_; }
    const std::filesystem::path& dir() const { return dir_.path(); }
    std::filesystem::path config_path() const { return dir() / "sql-jobber.yaml"; }
    std::filesystem::path sql_dir() const { return dir() / "sql"; }
    std::filesystem::path source_db() const { return dir() / "source.db"; }
    std::filesystem::path results_db() const { return dir() / "results.db"; }
    std::filesystem::path log_path() const { return dir() / "server.log"; }
    const ServerConfig& config() const { return config_; }

    // The config YAML this harness writes.
    std::string ConfigYaml() const;
    // The command line this harness runs.
    std::vector<std::string> CommandLine() const;

    // Writes the config, task files and source database without starting anything (idempotent).
    void Prepare();

private:
    ServerConfig config_;
    TempDir dir_;
    int port_ = 0;
    ChildProcess process_;
    bool files_written_ = false;
};

// Builds the seeded source database at `path`: sql/demo-data/seed.sql plus `extra_sql`. The seed runs once per test
// process; later calls copy that file.
void CreateSourceDb(const std::filesystem::path& path, const std::string& extra_sql = "");

}  // namespace jobber::e2e
