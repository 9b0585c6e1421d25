// TLS (the DSN's tls=, tls_ca=, tls_cert=, tls_key=) against a private mariadbd started by each test with
// certificates made at test time by the openssl CLI: a source query and a results write over verify-full, an untrusted
// CA, a certificate that lacks the DSN's host, an account that REQUIRE X509 with and without a client certificate, and
// tls=required against a server without TLS. Each test boots one server, so the scenarios of one server share a test.
// Skips only when mariadbd is not installed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "jobber/sdk/error.hpp"
#include "mysql_connection.hpp"
#include "mysql_results.hpp"
#include "mysql_source.hpp"
#include "test_pki.hpp"
#include "test_support.hpp"

namespace jobber::mysql {
namespace {

using namespace testing;
using jobber::testing::TempDir;
using jobber::testing::TestPki;
using namespace std::chrono_literals;

constexpr const char* kPassword = "tls-test-secret-pw";

std::string Quote(const std::string& text) {
    return "'" + text + "'";
}

// Runs a shell command; returns its exit status and, in `output`, what it printed.
int Shell(const std::string& command, std::string* output) {
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("cannot run: " + command);
    std::array<char, 512> buffer{};
    std::string text;
    while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) text += buffer.data();
    const int status = pclose(pipe);
    if (output != nullptr) *output = text;
    return status;
}

std::string FindMariadbd() {
    for (const char* path : {"/usr/sbin/mariadbd", "/usr/bin/mariadbd", "/usr/local/sbin/mariadbd"}) {
        if (access(path, X_OK) == 0) return path;
    }
    std::string found;
    if (Shell("command -v mariadbd", &found) == 0 && !found.empty()) return found.substr(0, found.find('\n'));
    return "";
}

// A mariadbd of the test's own on a free loopback port, with `extra_args` (the TLS options). Database jobber_tls;
// user jobber (password kPassword) REQUIRE SSL, so anything it does proves an encrypted connection; user certuser
// REQUIRE X509. Root logs in over the unix socket.
class PrivateMariadb {
public:
    explicit PrivateMariadb(const std::vector<std::string>& extra_args) : dir_("mariadbd") {
        mariadbd_ = FindMariadbd();
        if (mariadbd_.empty()) return;
        port_ = FreePort();
        const bool root = geteuid() == 0;
        const std::string user = root ? " --user=nobody" : "";
        if (root && Shell("chown -R nobody " + Quote(Path("")), nullptr) != 0) {
            throw std::runtime_error("cannot hand " + Path("") + " to nobody");
        }
        std::filesystem::create_directories(Path("tmp"));
        if (root) Shell("chown nobody " + Quote(Path("tmp")), nullptr);
        std::string common =
            " --innodb-log-file-size=48M --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 "
            "--innodb-flush-method=nosync --innodb-buffer-pool-size=32M --tmpdir=" +
            Quote(Path("tmp"));
        std::string output;
        if (Shell("mariadb-install-db --no-defaults --datadir=" + Quote(Path("data")) + user + common +
                      " --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve",
                  &output) != 0) {
            throw std::runtime_error("mariadb-install-db failed: " + output);
        }
        std::string command = Quote(mariadbd_) + " --no-defaults --datadir=" + Quote(Path("data")) +
                              " --socket=" + Quote(socket()) + " --port=" + std::to_string(port_) +
                              " --bind-address=127.0.0.1 --pid-file=" + Quote(Path("mysqld.pid")) +
                              " --log-error=" + Quote(Path("error.log")) + user + common +
                              " --skip-name-resolve --skip-log-bin --performance-schema=OFF --max-connections=50";
        for (const auto& arg : extra_args) command += " " + Quote(arg);
        std::string pid_text;
        if (Shell(command + " >/dev/null 2>&1 & echo $!", &pid_text) != 0)
            throw std::runtime_error("cannot start " + command);
        pid_ = std::stoi(pid_text);
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        std::string last;
        while (true) {
            try {
                Root().Exec("DROP USER IF EXISTS ''@'localhost', ''@'%'", "set-up");
                break;
            } catch (const std::exception& e) {
                last = e.what();
            }
            if (kill(pid_, 0) != 0 || std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error("mariadbd did not come up (" + last + "); error log: " + ErrorLog());
            }
            std::this_thread::sleep_for(100ms);
        }
        MysqlConnection root_connection = Root();
        for (const std::string& sql :
             {std::string("CREATE DATABASE jobber_tls CHARACTER SET utf8mb4"),
              std::string("CREATE USER 'jobber'@'%' IDENTIFIED BY '") + kPassword + "' REQUIRE SSL",
              std::string("GRANT ALL PRIVILEGES ON jobber_tls.* TO 'jobber'@'%'"),
              std::string("CREATE USER 'certuser'@'%' IDENTIFIED BY '") + kPassword + "' REQUIRE X509",
              std::string("GRANT ALL PRIVILEGES ON jobber_tls.* TO 'certuser'@'%'")}) {
            root_connection.Exec(sql, "set-up: " + sql);
        }
    }
    ~PrivateMariadb() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        for (int i = 0; i < 300 && kill(pid_, 0) == 0; ++i) std::this_thread::sleep_for(100ms);
        if (kill(pid_, 0) == 0) kill(pid_, SIGKILL);
    }
    PrivateMariadb(const PrivateMariadb&) = delete;
    PrivateMariadb& operator=(const PrivateMariadb&) = delete;

    bool installed() const { return !mariadbd_.empty(); }
    // mysql://user:pw@127.0.0.1:port/jobber_tls?query
    std::string Dsn(const std::string& query, const std::string& user = "jobber") const {
        return "mysql://" + user + ":" + kPassword + "@127.0.0.1:" + std::to_string(port_) + "/jobber_tls" +
               (query.empty() ? "" : "?" + query);
    }
    std::string socket() const { return Path("mysqld.sock"); }
    MysqlConnection Root() const {
        ConnectionOptions options;
        options.endpoint = ParseDsn("mysql://root@/mysql?tls=disabled&socket=" + socket());
        options.connect_timeout_ms = 2000;
        return MysqlConnection(options);
    }
    std::string ErrorLog() const {
        std::ifstream in(Path("error.log"));
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

private:
    std::string Path(const std::string& file) const { return dir_.Path(file); }
    // A port the kernel just handed out on 127.0.0.1 (free unless someone takes it in between).
    static int FreePort() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) throw std::runtime_error("socket() failed");
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof(address);
        if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
            getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            close(fd);
            throw std::runtime_error("cannot find a free loopback port");
        }
        close(fd);
        return ntohs(address.sin_port);
    }

    TempDir dir_;
    std::string mariadbd_;
    int port_ = 0;
    int pid_ = 0;
};

#define JOBBER_REQUIRE_MARIADBD(server)                                                                  \
    do {                                                                                                 \
        if (!(server).installed()) GTEST_SKIP() << "mariadbd is not installed (install mariadb-server)"; \
    } while (0)

ConnectionOptions Options(const std::string& dsn) {
    ConnectionOptions options;
    options.endpoint = ParseDsn(dsn);
    options.connect_timeout_ms = 5000;
    return options;
}

// The cipher of a connection with `dsn`, as the server sees it ("" when not encrypted).
std::string ServerSideCipher(const std::string& dsn) {
    MysqlConnection connection(Options(dsn));
    const TextRows rows = connection.Query("SHOW SESSION STATUS LIKE 'Ssl_cipher'", "cipher");
    return rows.empty() || !rows[0][1] ? "" : *rows[0][1];
}

// Connecting with `dsn` fails with `code`; returns the message, which never holds the password.
std::string ConnectFailure(const std::string& dsn, jobber_code code) {
    try {
        MysqlConnection connection(Options(dsn));
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), code) << e.what();
        EXPECT_EQ(std::string(e.what()).find(kPassword), std::string::npos) << e.what();
        return e.what();
    }
    ADD_FAILURE() << dsn << " connected";
    return "";
}

#define EXPECT_HAS(text, fragment) EXPECT_NE(std::string(text).find(fragment), std::string::npos) << (text)

class MysqlTlsTest : public ::testing::Test {
protected:
    void SetUp() override {
        pki_.MakeCa("ca");
        pki_.MakeCa("other_ca");
        pki_.MakeCertificate("server", "ca", "jobber test server", "IP:127.0.0.1,DNS:localhost");
        pki_.MakeCertificate("client", "ca", "jobber test client", "DNS:client.invalid");
        pki_.MakeCertificate("stranger", "other_ca", "jobber test stranger", "DNS:stranger.invalid");
    }
    std::vector<std::string> ServerTlsArgs() const {
        return {"--ssl-ca=" + pki_.Path("ca.pem"), "--ssl-cert=" + pki_.Path("server.pem"),
                "--ssl-key=" + pki_.Path("server.key")};
    }
    std::string Ca() const { return "tls_ca=" + pki_.Path("ca.pem"); }
    std::string ClientCert(const std::string& name = "client") const {
        return "tls_cert=" + pki_.Path(name + ".pem") + "&tls_key=" + pki_.Path(name + ".key");
    }

    TestPki pki_;
};

TEST_F(MysqlTlsTest, VerifiedSourceAndResultsAndVerificationFailures) {
    PrivateMariadb server(ServerTlsArgs());
    JOBBER_REQUIRE_MARIADBD(server);
    const std::string verify_full = server.Dsn("tls=verify-full&" + Ca());

    // Source: the query runs on an encrypted, verified connection (the server reports the cipher of that session).
    {
        MysqlSource source(Args({{"dsn", verify_full}, {"max_connections", "1"}}));
        auto stream = source.Execute(MakeQuery(
            "cipher", "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER'",
            1));
        const auto rows = AllRows(Drain(*stream), stream->schema());
        ASSERT_EQ(rows.size(), 1u);
        EXPECT_FALSE(rows[0].empty() || rows[0] == "NULL") << rows[0];
    }
    // Results: a table written through verify-full (user jobber REQUIRE SSL: a plain connection could not log in).
    {
        MysqlResults results(Args({{"dsn", verify_full}, {"max_connections", "1"}}));
        const sdk::Schema schema = {{"n", sdk::ColumnType::kBigInt}, {"s", sdk::ColumnType::kText}};
        auto writer = results.Begin(sdk::ResultsTarget{"job-tls", "results_tls", 0}, schema);
        sdk::BatchBuilder builder(schema);
        builder.AppendInt64(0, 42);
        builder.AppendText(1, "over tls");
        ArrowArray array{};
        builder.Finish(&array);
        sdk::OwnedArray owned(&array);
        writer->Write(sdk::BatchView(*owned, schema));
        writer->Commit();
        writer.reset();
        MysqlConnection check(Options(verify_full));
        EXPECT_EQ(check.Query("SELECT CONCAT(n, '|', s) FROM results_tls", "check")[0][0].value_or("NULL"),
                  "42|over tls");
    }
    // Every mode that encrypts does so against this server; preferred is the default; disabled stays plain.
    EXPECT_NE(ServerSideCipher(server.Dsn("")), "");
    EXPECT_NE(ServerSideCipher(server.Dsn("tls=required")), "");
    EXPECT_NE(ServerSideCipher(server.Dsn("tls=verify-ca&" + Ca())), "");
    // disabled: the account REQUIRE SSL refuses the plain login, with the hint.
    EXPECT_HAS(ConnectFailure(server.Dsn("tls=disabled"), JOBBER_UNAVAILABLE), "REQUIRE SSL needs tls=required");

    // An untrusted CA: INVALID_ARGUMENT naming tls_ca, for verify-ca and verify-full.
    for (const std::string mode : {"verify-ca", "verify-full"}) {
        const std::string message =
            ConnectFailure(server.Dsn("tls=" + mode + "&tls_ca=" + pki_.Path("other_ca.pem")), JOBBER_INVALID_ARGUMENT);
        EXPECT_HAS(message, "over TLS (tls=" + mode + ")");
        EXPECT_HAS(message, "chains to the DSN parameter tls_ca (" + pki_.Path("other_ca.pem") + ")");
    }
    // No tls_ca: the system store, which does not know our test CA.
    EXPECT_HAS(ConnectFailure(server.Dsn("tls=verify-full"), JOBBER_INVALID_ARGUMENT), "the system store");
    // required does not check the certificate, so the untrusted one is fine.
    EXPECT_NE(ServerSideCipher(server.Dsn("tls=required")), "");

    // A certificate that lacks the DSN's host: swap in one for another name (FLUSH SSL reloads it). verify-full
    // fails naming the host; verify-ca, which skips the name check, still connects.
    std::filesystem::copy_file(pki_.Path("server.pem"), pki_.Path("server.pem.orig"));
    std::filesystem::copy_file(pki_.Path("server.key"), pki_.Path("server.key.orig"));
    pki_.MakeCertificate("server", "ca", "jobber test elsewhere", "DNS:db.elsewhere.invalid");
    server.Root().Exec("FLUSH SSL", "flush ssl");
    const std::string mismatch = ConnectFailure(verify_full, JOBBER_INVALID_ARGUMENT);
    EXPECT_HAS(mismatch, "does not name the DSN's host '127.0.0.1'");
    EXPECT_HAS(mismatch, "or use tls=verify-ca");
    EXPECT_NE(ServerSideCipher(server.Dsn("tls=verify-ca&" + Ca())), "");
    std::filesystem::copy_file(pki_.Path("server.pem.orig"), pki_.Path("server.pem"),
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(pki_.Path("server.key.orig"), pki_.Path("server.key"),
                               std::filesystem::copy_options::overwrite_existing);
    server.Root().Exec("FLUSH SSL", "flush ssl");
    EXPECT_NE(ServerSideCipher(verify_full), "");
}

TEST_F(MysqlTlsTest, ClientCertificateForAnAccountThatRequiresX509) {
    PrivateMariadb server(ServerTlsArgs());
    JOBBER_REQUIRE_MARIADBD(server);
    // With the certificate: logs in, source and results open.
    const std::string with_cert = server.Dsn("tls=verify-full&" + Ca() + "&" + ClientCert(), "certuser");
    EXPECT_NE(ServerSideCipher(with_cert), "");
    {
        MysqlSource source(Args({{"dsn", with_cert}}));
        auto stream = source.Execute(MakeQuery("who", "SELECT CURRENT_USER()", 1));
        EXPECT_EQ(AllRows(Drain(*stream), stream->schema()), (std::vector<std::string>{"certuser@%"}));
        MysqlResults results(Args({{"dsn", with_cert}}));
    }
    // Without one: access denied, and the message says which DSN parameters to set.
    const std::string message = ConnectFailure(server.Dsn("tls=verify-full&" + Ca(), "certuser"), JOBBER_UNAVAILABLE);
    EXPECT_HAS(message, "Access denied");
    EXPECT_HAS(message, "REQUIRE X509, ISSUER or SUBJECT also the DSN parameters tls_cert and tls_key");
    // A certificate from a CA the server does not trust: refused during the handshake (an alert) or, when the alert
    // is lost to the reset under TLS 1.3, at login; either message names the file to check.
    try {
        MysqlConnection connection(
            Options(server.Dsn("tls=verify-full&" + Ca() + "&" + ClientCert("stranger"), "certuser")));
        ADD_FAILURE() << "an untrusted client certificate logged in";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(std::string(e.what()).find(kPassword), std::string::npos) << e.what();
        EXPECT_HAS(e.what(), "trusts the DSN parameter tls_cert (" + pki_.Path("stranger.pem") + ")");
    }
}

TEST_F(MysqlTlsTest, ServerWithoutTls) {
    PrivateMariadb server({});
    JOBBER_REQUIRE_MARIADBD(server);
    // The jobber account REQUIRE SSL cannot log in on a server without TLS; certuser neither. Root over TCP is not
    // allowed, so a plain account is made for this test.
    server.Root().Exec(std::string("CREATE USER 'plain'@'%' IDENTIFIED BY '") + kPassword + "'", "set-up");
    server.Root().Exec("GRANT ALL PRIVILEGES ON jobber_tls.* TO 'plain'@'%'", "set-up");
    // preferred (the default) falls back to a plain connection; disabled is plain.
    EXPECT_EQ(ServerSideCipher(server.Dsn("", "plain")), "");
    EXPECT_EQ(ServerSideCipher(server.Dsn("tls=preferred", "plain")), "");
    EXPECT_EQ(ServerSideCipher(server.Dsn("tls=disabled", "plain")), "");
    // required and stricter fail clearly, INVALID_ARGUMENT (a configuration mismatch, not a blip).
    for (const std::string& query : {std::string("tls=required"), "tls=verify-ca&" + Ca(), "tls=verify-full&" + Ca()}) {
        const std::string message = ConnectFailure(server.Dsn(query, "plain"), JOBBER_INVALID_ARGUMENT);
        EXPECT_HAS(message, "the server offers no TLS, but the DSN says tls=");
        EXPECT_HAS(message, "change the DSN parameter tls");
    }
    // Through the roles: the source fails its first query, the results backend refuses to open.
    MysqlSource source(Args({{"dsn", server.Dsn("tls=required", "plain")}}));
    try {
        source.Execute(MakeQuery("q", "SELECT 1", 1));
        ADD_FAILURE() << "a query ran over a plain connection with tls=required";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT) << e.what();
        EXPECT_HAS(e.what(), "offers no TLS");
    }
    try {
        MysqlResults results(Args({{"dsn", server.Dsn("tls=required", "plain")}}));
        ADD_FAILURE() << "the results backend opened over a plain connection with tls=required";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT) << e.what();
        EXPECT_EQ(std::string(e.what()).find(kPassword), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace jobber::mysql
