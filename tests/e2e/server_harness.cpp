#include "server_harness.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace jobber::e2e {

namespace fs = std::filesystem;

namespace {

constexpr auto kPollInterval = 25ms;

int DecodeWaitStatus(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

// posix_spawn with stdout and stderr sent to files. Returns the child's pid.
pid_t Spawn(const std::vector<std::string>& argv, const fs::path& out_path, const fs::path& err_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err_path == out_path) {
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    } else {
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + " failed: " + std::strerror(rc));
    return pid;
}

std::string Lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string Indent(const std::string& text) {
    std::string out;
    for (const auto& line : Lines(text)) out += "    | " + line + "\n";
    return out;
}

class Sqlite {
public:
    explicit Sqlite(const fs::path& path, bool create = false) {
        const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
        if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
            const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw std::runtime_error("cannot open " + path.string() + ": " + message);
        }
        sqlite3_busy_timeout(db_, 10000);
    }
    Sqlite(const Sqlite&) = delete;
    Sqlite& operator=(const Sqlite&) = delete;
    ~Sqlite() { sqlite3_close(db_); }

    void Exec(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            const std::string text = message != nullptr ? message : sqlite3_errmsg(db_);
            sqlite3_free(message);
            throw std::runtime_error("sqlite: " + text);
        }
    }

    TableData Query(const std::string& sql, const std::vector<std::string>& binds) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
            throw std::runtime_error("sqlite: " + std::string(sqlite3_errmsg(db_)) + " in: " + sql);
        }
        std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
        for (size_t i = 0; i < binds.size(); ++i) {
            sqlite3_bind_text(stmt, static_cast<int>(i + 1), binds[i].c_str(), static_cast<int>(binds[i].size()),
                              SQLITE_TRANSIENT);
        }
        TableData out;
        const int columns = sqlite3_column_count(stmt);
        for (int c = 0; c < columns; ++c) out.columns.emplace_back(sqlite3_column_name(stmt, c));
        int rc = SQLITE_OK;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            std::vector<std::optional<std::string>> row;
            for (int c = 0; c < columns; ++c) {
                if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
                    row.emplace_back(std::nullopt);
                } else {
                    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
                    row.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
                }
            }
            out.rows.push_back(std::move(row));
        }
        if (rc != SQLITE_DONE) throw std::runtime_error("sqlite: " + std::string(sqlite3_errmsg(db_)) + " in: " + sql);
        return out;
    }

private:
    sqlite3* db_ = nullptr;
};

// The tasks every harness server gets next to the demo tasks.
const char* const kTestTasks = R"sql(-- Tasks for the end-to-end tests, next to the demo tasks.

-- name: echo_types
-- db: demo
-- results: demo_results
-- How each argument was bound: typeof() of every one.
SELECT typeof(?) AS t0, typeof(?) AS t1, typeof(?) AS t2, typeof(?) AS t3, typeof(?) AS t4, typeof(?) AS t5,
       typeof(?) AS t6;

-- name: echo_values
-- db: demo
-- results: demo_results
SELECT ? AS v0, ? AS v1, ? AS v2, ? AS v3, ? AS v4, ? AS v5, ? AS v6;

-- name: slow_with_timeout
-- db: demo
-- results: demo_results
-- timeout: 1s
-- The demo's slow_query with a task-level timeout.
WITH RECURSIVE counter(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM counter WHERE x < 1000000000)
SELECT COUNT(*) AS counted FROM counter;

-- name: missing_table_raw
-- db: demo
-- results: demo_results
-- raw: 1
-- Not prepared at startup, so it loads; every run fails on the missing table.
SELECT * FROM table_that_does_not_exist;
)sql";

std::mutex seed_mutex;

}  // namespace

// ---- paths ----------------------------------------------------------------------------------------------------------

std::string ServerBinary() {
    return JOBBER_E2E_SERVER_BINARY;
}

fs::path RepoRoot() {
    return JOBBER_E2E_REPO_ROOT;
}

const std::string& TestTasksSql() {
    static const std::string text = kTestTasks;
    return text;
}

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "jobber-e2e-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + std::string(strerror(errno)));
    path_ = pattern;
}

TempDir::~TempDir() {
    if (std::getenv("JOBBER_E2E_KEEP") != nullptr) {
        std::fprintf(stderr, "[e2e] kept %s\n", path_.c_str());
        return;
    }
    std::error_code ignored;  // best effort: a leftover temp dir must not fail a test
    fs::remove_all(path_, ignored);
}

int FreeLoopbackPort() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    const int port = socket.address().port();
    socket.close();
    return port;
}

std::string ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
}

// ---- processes ------------------------------------------------------------------------------------------------------

ProcessResult RunBinary(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
    TempDir out_dir;
    std::vector<std::string> argv{ServerBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto started = std::chrono::steady_clock::now();
    ChildProcess child;
    const fs::path out_path = out_dir.path() / "stdout";
    const fs::path err_path = out_dir.path() / "stderr";
    pid_t pid = Spawn(argv, out_path, err_path);
    ProcessResult result;
    while (true) {
        int status = 0;
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            result.exit_code = DecodeWaitStatus(status);
            break;
        }
        if (std::chrono::steady_clock::now() - started > timeout) {
            result.timed_out = true;
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            result.exit_code = DecodeWaitStatus(status);
            break;
        }
        std::this_thread::sleep_for(kPollInterval);
    }
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    result.out = ReadFile(out_path);
    result.err = ReadFile(err_path);
    return result;
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !exit_code_) Terminate(5s);
}

void ChildProcess::Launch(const std::vector<std::string>& argv, const fs::path& log_path) {
    pid_ = Spawn(argv, log_path, log_path);
    exit_code_.reset();
}

bool ChildProcess::Running() {
    if (pid_ <= 0 || exit_code_) return false;
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
        exit_code_ = DecodeWaitStatus(status);
        return false;
    }
    return true;
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Running()) {
        if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
        std::this_thread::sleep_for(kPollInterval);
    }
    return exit_code_;
}

std::optional<int> ChildProcess::Terminate(std::chrono::milliseconds timeout) {
    if (!Running()) return exit_code_;
    kill(pid_, SIGTERM);
    if (auto code = Wait(timeout)) return code;
    Kill();
    return std::nullopt;
}

void ChildProcess::Kill() {
    if (!Running()) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_code_ = DecodeWaitStatus(status);
}

// ---- HTTP -----------------------------------------------------------------------------------------------------------

std::string HttpResponse::Header(const std::string& name) const {
    auto it = headers.find(Lower(name));
    return it == headers.end() ? "" : it->second;
}

std::string HttpResponse::EnvelopeStatus() const {
    return JsonString(envelope, "status");
}

std::string HttpResponse::Message() const {
    return JsonString(envelope, "message");
}

Poco::Dynamic::Var HttpResponse::Data() const {
    if (envelope.isNull() || !envelope->has("data")) return {};
    return envelope->get("data");
}

Poco::JSON::Object::Ptr HttpResponse::DataObject() const {
    if (envelope.isNull()) return {};
    return envelope->getObject("data");
}

Poco::JSON::Array::Ptr HttpResponse::DataArray() const {
    if (envelope.isNull()) return {};
    return envelope->getArray("data");
}

std::string HttpResponse::Describe() const {
    return "HTTP " + std::to_string(status) + " body=" + (body.size() > 2000 ? body.substr(0, 2000) + "..." : body);
}

HttpResponse HttpCall(int port,
                      const std::string& method,
                      const std::string& path,
                      const std::string& body,
                      const HttpRequestOptions& options) {
    HttpResponse out;
    try {
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
        session.setTimeout(Poco::Timespan(30, 0));
        session.setKeepAlive(false);
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        const bool has_body = !body.empty() || method == "POST" || method == "PUT";
        if (has_body) {
            if (options.chunked) {
                request.setChunkedTransferEncoding(true);
            } else {
                request.setContentLength(static_cast<std::streamsize>(body.size()));
            }
            request.setContentType(options.content_type);
        }
        for (const auto& [name, value] : options.headers) request.set(name, value);
        std::string write_error;
        try {
            std::ostream& os = session.sendRequest(request);
            if (has_body) os << body;
            os.flush();
        } catch (const Poco::Exception& e) {
            // The server may answer (413, 401) and close before reading the whole body; read what it said.
            write_error = e.displayText();
        }
        Poco::Net::HTTPResponse response;
        std::istream& is = [&]() -> std::istream& {
            try {
                return session.receiveResponse(response);
            } catch (const Poco::Exception& e) {
                if (write_error.empty()) throw;
                throw Poco::IOException("sending the request failed (" + write_error +
                                        ") and no response could be read (" + e.displayText() + ")");
            }
        }();
        Poco::StreamCopier::copyToString(is, out.body);
        out.status = static_cast<int>(response.getStatus());
        out.reason = response.getReason();
        for (const auto& [name, value] : response) out.headers[Lower(name)] = value;
    } catch (const Poco::Exception& e) {
        throw std::runtime_error(method + " " + path + " failed: " + e.displayText());
    }
    try {
        Poco::JSON::Parser parser;
        const auto parsed = parser.parse(out.body);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
            out.envelope = parsed.extract<Poco::JSON::Object::Ptr>();
        } else {
            out.parse_error = "body is JSON but not an object";
        }
    } catch (const Poco::Exception& e) {
        out.parse_error = "body is not JSON: " + e.displayText();
    }
    return out;
}

std::string RawExchange(int port, const std::string& bytes, std::chrono::milliseconds wait) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    std::unique_ptr<int, void (*)(int*)> guard(new int(fd), [](int* p) {
        close(*p);
        delete p;
    });
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        throw std::runtime_error("connect: " + std::string(std::strerror(errno)));
    }
    size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server closed; read what it answered
        sent += static_cast<size_t>(n);
    }
    std::string received;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (true) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd pfd{fd, POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
        char buffer[8192];
        const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        received.append(buffer, static_cast<size_t>(n));
    }
    return received;
}

int CountStatusLines(const std::string& raw) {
    int count = 0;
    for (size_t pos = raw.find("HTTP/1."); pos != std::string::npos; pos = raw.find("HTTP/1.", pos + 1)) {
        if (pos == 0 || raw[pos - 1] == '\n' || raw[pos - 1] == '}') ++count;
    }
    return count;
}

// ---- JSON -----------------------------------------------------------------------------------------------------------

std::string JsonString(const Poco::JSON::Object::Ptr& obj, const std::string& key) {
    if (obj.isNull() || !obj->has(key) || obj->isNull(key)) return {};
    const auto value = obj->get(key);
    if (value.type() == typeid(Poco::JSON::Object::Ptr) || value.type() == typeid(Poco::JSON::Array::Ptr)) {
        return ToJson(value);
    }
    return value.convert<std::string>();
}

bool JsonIsNull(const Poco::JSON::Object::Ptr& obj, const std::string& key) {
    return !obj.isNull() && obj->has(key) && obj->isNull(key);
}

int64_t JsonInt(const Poco::JSON::Object::Ptr& obj, const std::string& key, int64_t missing) {
    if (obj.isNull() || !obj->has(key) || obj->isNull(key)) return missing;
    return obj->get(key).convert<Poco::Int64>();
}

std::string ToJson(const Poco::Dynamic::Var& value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

namespace {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::optional<int64_t> ParseApiTime(const std::string& text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
    char tail = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &s, &ms, &tail) != 8 ||
        tail != 'Z') {
        return std::nullopt;
    }
    const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    return ((days * 24 + h) * 60 + mi) * 60000 + s * 1000 + ms;
}

int64_t NowUnixMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string FormatUtcSeconds(int64_t unix_ms) {
    const time_t seconds = static_cast<time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

// ---- SQLite ---------------------------------------------------------------------------------------------------------

TableData QueryDb(const fs::path& db, const std::string& sql, const std::vector<std::string>& binds) {
    Sqlite conn(db);
    return conn.Query(sql, binds);
}

void ExecDb(const fs::path& db, const std::string& sql) {
    Sqlite conn(db, true);
    conn.Exec(sql);
}

bool TableExists(const fs::path& db, const std::string& table) {
    if (!fs::exists(db)) return false;
    return !QueryDb(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", {table}).rows.empty();
}

std::vector<std::string> TablesWithPrefix(const fs::path& db, const std::string& prefix) {
    std::vector<std::string> names;
    if (!fs::exists(db)) return names;
    // substr instead of LIKE: '_' in job IDs is a LIKE wildcard.
    const auto data = QueryDb(
        db, "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, length(?1)) = ?1", {prefix});
    for (const auto& row : data.rows) names.push_back(row[0].value_or(""));
    return names;
}

std::string DescribeRow(const std::vector<std::optional<std::string>>& row) {
    std::string out = "(";
    for (size_t i = 0; i < row.size(); ++i) {
        if (i > 0) out += ", ";
        out += row[i] ? "'" + *row[i] + "'" : "NULL";
    }
    return out + ")";
}

void CreateSourceDb(const fs::path& path, const std::string& extra_sql) {
    // The seed takes a few hundred milliseconds and ctest runs every test in its own process, so the seeded file is
    // cached in the build tree, keyed by the seed's text, and copied.
    const std::string seed = ReadFile(RepoRoot() / "sql" / "demo-data" / "seed.sql");
    if (seed.empty()) throw std::runtime_error("cannot read sql/demo-data/seed.sql under " + RepoRoot().string());
    const fs::path cache_dir = JOBBER_E2E_CACHE_DIR;
    const fs::path cached = cache_dir / ("seeded-" + std::to_string(std::hash<std::string>{}(seed)) + ".db");
    {
        std::lock_guard<std::mutex> lock(seed_mutex);
        if (!fs::exists(cached)) {
            fs::create_directories(cache_dir);
            // Built under a unique name and renamed, so concurrent test processes never see half a file.
            const fs::path building = cached.string() + "." + std::to_string(getpid()) + ".tmp";
            fs::remove(building);
            {
                Sqlite conn(building, true);
                conn.Exec("PRAGMA synchronous=OFF");
                conn.Exec(seed);
            }
            fs::rename(building, cached);
        }
    }
    fs::copy_file(cached, path, fs::copy_options::overwrite_existing);
    if (!extra_sql.empty()) ExecDb(path, extra_sql);
}

// ---- the server -----------------------------------------------------------------------------------------------------

std::string YamlQuote(const std::string& text) {
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return quoted + "\"";
}

namespace {

// Instances of a db: or results: section, each under its name.
void WriteBackends(std::ostream& y, const std::map<std::string, BackendConfig>& backends) {
    for (const auto& [name, backend] : backends) {
        y << "  " << name << ":\n    type: " << backend.type << "\n";
        for (const auto& [key, value] : backend.keys) y << "    " << key << ": " << value << "\n";
    }
}

}  // namespace

ServerHarness::ServerHarness(ServerConfig config) : config_(std::move(config)), port_(FreeLoopbackPort()) {}

ServerHarness::~ServerHarness() {
    if (process_.Running()) Stop(10s);
}

std::string ServerHarness::ConfigYaml() const {
    std::ostringstream y;
    y << "# Written by the end-to-end test harness.\n";
    y << "app:\n  log_level: info\n  default_job_ttl: 1h\n";
    for (const auto& [key, value] : config_.app_keys) y << "  " << key << ": " << value << "\n";
    y << "server:\n  address: \"127.0.0.1:" << port_ << "\"\n";
    y << "  auth_token: \"" << config_.auth_token << "\"\n";
    y << "  shutdown_grace: " << config_.shutdown_grace << "\n";
    if (config_.max_body_bytes) y << "  max_body_bytes: " << *config_.max_body_bytes << "\n";
    y << "job_queue:\n";
    if (config_.job_queue_yaml.empty()) {
        y << "  broker:\n    type: memory\n  state:\n    type: memory\n";
    } else {
        y << config_.job_queue_yaml;
    }
    y << "db:\n";
    if (config_.sqlite_backends) {
        y << "  demo:\n    type: sqlite\n    dsn: \"" << source_db().string() << "\"\n    max_connections: 8\n";
    }
    WriteBackends(y, config_.databases);
    y << "results:\n";
    if (config_.sqlite_backends) {
        y << "  demo_results:\n    type: sqlite\n    dsn: \"" << results_db().string() << "\"\n";
        y << "    results_table: \"results_%s\"\n";
    }
    WriteBackends(y, config_.results_backends);
    y << config_.extra_yaml;
    return y.str();
}

std::vector<std::string> ServerHarness::CommandLine() const {
    std::vector<std::string> argv{ServerBinary(), "--config", config_path().string(), "--sql-directory",
                                  sql_dir().string()};
    std::string queues;
    for (const auto& q : config_.queues) queues += (queues.empty() ? "" : ",") + q;
    argv.insert(argv.end(), {"--queue", queues, "--worker-concurrency", std::to_string(config_.worker_concurrency),
                             "--worker-name", "e2e"});
    if (config_.worker_only) argv.push_back("--worker-only");
    return argv;
}

void ServerHarness::Prepare() {
    if (files_written_) return;
    WriteFile(config_path(), ConfigYaml());
    fs::create_directories(sql_dir());
    if (config_.demo_tasks) fs::copy_file(RepoRoot() / "sql" / "demo" / "tasks.sql", sql_dir() / "demo.sql");
    // The test tasks and the seeded database are SQLite's.
    if (config_.sqlite_backends) WriteFile(sql_dir() / "e2e.sql", TestTasksSql());
    for (const auto& [name, text] : config_.task_files) WriteFile(sql_dir() / name, text);
    if (config_.sqlite_backends) CreateSourceDb(source_db(), config_.source_sql);
    files_written_ = true;
}

void ServerHarness::Start(std::chrono::milliseconds timeout) {
    Prepare();
    process_.Launch(CommandLine(), log_path());
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last_problem = "no answer yet";
    while (std::chrono::steady_clock::now() < deadline) {
        if (!process_.Running()) {
            throw std::runtime_error("sql-jobber exited with code " +
                                     std::to_string(process_.exit_code().value_or(-1)) +
                                     " before it was ready; its log:\n" + Indent(Log()));
        }
        if (config_.worker_only) {
            if (Log().find("logger=jobber.app ready") != std::string::npos) return;
        } else {
            try {
                const auto health =
                    HttpCall(port_, "GET", "/health", "", {{{"Authorization", "Bearer " + config_.auth_token}}, true});
                if (health.status == 200) return;
                last_problem = health.Describe();
            } catch (const std::exception& e) {
                last_problem = e.what();
            }
        }
        std::this_thread::sleep_for(50ms);
    }
    process_.Kill();
    throw std::runtime_error("sql-jobber was not ready within " + std::to_string(timeout.count()) +
                             " ms (last health check: " + last_problem + "); its log:\n" + Indent(Log()));
}

std::optional<int> ServerHarness::Stop(std::chrono::milliseconds timeout) {
    return process_.Terminate(timeout);
}

size_t ServerHarness::LogSize() const {
    std::error_code ec;
    const auto size = fs::file_size(log_path(), ec);
    return ec ? 0 : static_cast<size_t>(size);
}

std::string ServerHarness::LogSince(size_t offset, size_t max_lines) const {
    const std::string log = Log();
    const auto lines = Lines(offset < log.size() ? log.substr(offset) : std::string());
    std::string out;
    const size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
    if (first > 0) out += "    | ... " + std::to_string(first) + " earlier lines\n";
    for (size_t i = first; i < lines.size(); ++i) out += "    | " + lines[i] + "\n";
    return out;
}

bool ServerHarness::WaitForLog(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (Log().find(text) != std::string::npos) return true;
        std::this_thread::sleep_for(kPollInterval);
    }
    return Log().find(text) != std::string::npos;
}

HttpResponse ServerHarness::Request(const std::string& method,
                                    const std::string& path,
                                    const std::string& body,
                                    HttpRequestOptions options) const {
    if (options.send_auth && !config_.auth_token.empty() && options.headers.count("Authorization") == 0) {
        options.headers["Authorization"] = "Bearer " + config_.auth_token;
    }
    return HttpCall(port_, method, path, body, options);
}

HttpResponse ServerHarness::PostJob(const std::string& task, const std::string& body) const {
    return Post("/tasks/" + task + "/jobs", body);
}

Poco::JSON::Object::Ptr ServerHarness::WaitForState(const std::string& job_id,
                                                    const std::set<std::string>& states,
                                                    std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    HttpResponse last;
    while (true) {
        last = Get("/jobs/" + job_id);
        if (last.status == 200) {
            auto job = last.DataObject();
            if (!job.isNull() && states.count(JsonString(job, "state")) > 0) return job;
        }
        if (std::chrono::steady_clock::now() > deadline) break;
        std::this_thread::sleep_for(kPollInterval);
    }
    std::string wanted;
    for (const auto& s : states) wanted += (wanted.empty() ? "" : "|") + s;
    ADD_FAILURE() << "job '" << job_id << "' did not reach " << wanted << " within " << timeout.count()
                  << " ms; last GET: " << last.Describe();
    return {};
}

Poco::JSON::Object::Ptr ServerHarness::WaitForGroupState(const std::string& group_id,
                                                         const std::set<std::string>& states,
                                                         std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    HttpResponse last;
    while (true) {
        last = Get("/groups/" + group_id);
        if (last.status == 200) {
            auto group = last.DataObject();
            if (!group.isNull() && states.count(JsonString(group, "state")) > 0) return group;
        }
        if (std::chrono::steady_clock::now() > deadline) break;
        std::this_thread::sleep_for(kPollInterval);
    }
    std::string wanted;
    for (const auto& s : states) wanted += (wanted.empty() ? "" : "|") + s;
    ADD_FAILURE() << "group '" << group_id << "' did not reach " << wanted << " within " << timeout.count()
                  << " ms; last GET: " << last.Describe();
    return {};
}

std::string RandomHex() {
    static std::mt19937_64 rng{std::random_device{}()};
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    char text[17];
    std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(rng()));
    return text;
}

}  // namespace jobber::e2e
