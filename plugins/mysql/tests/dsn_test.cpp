#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "jobber/sdk/error.hpp"
#include "mysql_dsn.hpp"

namespace jobber::mysql {
namespace {

TEST(MysqlDsnTest, ParsesTcpForm) {
    const Endpoint e = ParseDsn("mysql://app:secret@db.example.com:3307/ledger");
    EXPECT_EQ(e.user, "app");
    EXPECT_EQ(e.password, "secret");
    EXPECT_EQ(e.host, "db.example.com");
    EXPECT_EQ(e.port, 3307u);
    EXPECT_EQ(e.database, "ledger");
    EXPECT_TRUE(e.socket.empty());
    EXPECT_EQ(e.Describe(), "app@db.example.com:3307/ledger");
}

TEST(MysqlDsnTest, DefaultsPortAndAllowsNoPassword) {
    const Endpoint e = ParseDsn("mysql://app@127.0.0.1/ledger");
    EXPECT_EQ(e.port, 3306u);
    EXPECT_EQ(e.password, "");
}

TEST(MysqlDsnTest, ParsesSocketForm) {
    const Endpoint e = ParseDsn("mysql://app:pw@/ledger?socket=/run/mysqld/mysqld.sock");
    EXPECT_EQ(e.socket, "/run/mysqld/mysqld.sock");
    EXPECT_TRUE(e.host.empty());
    EXPECT_EQ(e.Describe(), "app@unix(/run/mysqld/mysqld.sock)/ledger");
    EXPECT_EQ(ParseDsn("mysql://app:pw@localhost/ledger?socket=/tmp/s.sock").socket, "/tmp/s.sock");
}

TEST(MysqlDsnTest, DecodesPercentEncodingAndKeepsRawAtInPassword) {
    const Endpoint e = ParseDsn("mysql://app:p%40ss%2Fw%3Ard@h/db%2D1");
    EXPECT_EQ(e.password, "p@ss/w:rd");
    EXPECT_EQ(e.database, "db-1");
    // The last '@' ends the credentials.
    EXPECT_EQ(ParseDsn("mysql://app:p@ss@h/db").password, "p@ss");
}

TEST(MysqlDsnTest, ParsesBracketedIpv6) {
    const Endpoint e = ParseDsn("mysql://app:pw@[::1]:3310/db");
    EXPECT_EQ(e.host, "::1");
    EXPECT_EQ(e.port, 3310u);
    EXPECT_EQ(ParseDsn("mysql://app:pw@[::1]/db").port, 3306u);
}

TEST(MysqlDsnTest, PasswordNeverInDescription) {
    EXPECT_EQ(ParseDsn("mysql://app:topsecret@h:1/db").Describe().find("topsecret"), std::string::npos);
}

void ExpectRejected(const std::string& dsn, const std::string& fragment) {
    try {
        ParseDsn(dsn);
        ADD_FAILURE() << dsn << " was accepted";
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT);
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("config key 'dsn'"), std::string::npos) << e.what();
    }
}

TEST(MysqlDsnTest, RejectsMalformedDsns) {
    ExpectRejected("postgres://a@h/db", "must start with mysql://");
    ExpectRejected("mysql://h/db", "no user");
    ExpectRejected("mysql://:pw@h/db", "user is empty");
    ExpectRejected("mysql://a@h", "no database");
    ExpectRejected("mysql://a@h/", "database is empty");
    ExpectRejected("mysql://a@h:0/db", "port '0'");
    ExpectRejected("mysql://a@h:99999/db", "port '99999'");
    ExpectRejected("mysql://a@h:33x/db", "port '33x'");
    ExpectRejected("mysql://a@/db", "no host and no socket");
    ExpectRejected("mysql://a@h/db?sslmode=require", "unknown parameter 'sslmode'");
    ExpectRejected("mysql://a@/db?socket=relative.sock", "must be absolute");
    ExpectRejected("mysql://a@db.example.com/db?socket=/s.sock", "empty host or localhost");
    ExpectRejected("mysql://a:%zz@h/db", "percent-encoding in the password");
    ExpectRejected("mysql://a:%00@h/db", "NUL");
}

// Three empty files standing in for PEM files: ParseDsn checks that they can be read, not what they hold.
class TlsFiles {
public:
    TlsFiles() {
        std::string pattern = (std::filesystem::temp_directory_path() / "jobber-mysql-dsn-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        for (const char* name : {"ca.pem", "client.pem", "client.key"}) std::ofstream(dir_ / name) << "x\n";
    }
    ~TlsFiles() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    std::string Path(const std::string& name) const { return (dir_ / name).string(); }
    std::string dir() const { return dir_.string(); }

private:
    std::filesystem::path dir_;
};

TEST(MysqlDsnTest, TlsDefaultsToPreferred) {
    const Endpoint e = ParseDsn("mysql://app:pw@h/db");
    EXPECT_EQ(e.tls, TlsMode::kPreferred);
    EXPECT_FALSE(e.TlsRequired());
    EXPECT_TRUE(e.tls_ca.empty());
    EXPECT_TRUE(e.tls_cert.empty());
    EXPECT_EQ(e.DescribeTls(), "tls=preferred");
}

TEST(MysqlDsnTest, ParsesEveryTlsMode) {
    EXPECT_EQ(ParseDsn("mysql://a:pw@h/db?tls=disabled").tls, TlsMode::kDisabled);
    EXPECT_EQ(ParseDsn("mysql://a:pw@h/db?tls=preferred").tls, TlsMode::kPreferred);
    EXPECT_EQ(ParseDsn("mysql://a:pw@h/db?tls=required").tls, TlsMode::kRequired);
    EXPECT_TRUE(ParseDsn("mysql://a:pw@h/db?tls=required").TlsRequired());
    EXPECT_EQ(ParseDsn("mysql://a:pw@h/db?tls=verify-ca").tls, TlsMode::kVerifyCa);
    const Endpoint full = ParseDsn("mysql://a:pw@h/db?tls=verify-full");
    EXPECT_EQ(full.tls, TlsMode::kVerifyFull);
    EXPECT_EQ(full.DescribeTls(), "tls=verify-full tls_ca=<system store>");
    // With a socket too, in any order.
    const Endpoint socket = ParseDsn("mysql://a:pw@/db?tls=required&socket=/run/m.sock");
    EXPECT_EQ(socket.tls, TlsMode::kRequired);
    EXPECT_EQ(socket.socket, "/run/m.sock");
}

TEST(MysqlDsnTest, ParsesTlsFiles) {
    const TlsFiles files;
    const std::string ca = files.Path("ca.pem");
    const std::string cert = files.Path("client.pem");
    const std::string key = files.Path("client.key");
    const Endpoint e = ParseDsn("mysql://a:secret@db.example.com:3307/db?tls=verify-full&tls_ca=" + ca +
                                "&tls_cert=" + cert + "&tls_key=" + key);
    EXPECT_EQ(e.tls, TlsMode::kVerifyFull);
    EXPECT_EQ(e.tls_ca, ca);
    EXPECT_EQ(e.tls_cert, cert);
    EXPECT_EQ(e.tls_key, key);
    EXPECT_EQ(e.Describe(), "a@db.example.com:3307/db");
    EXPECT_EQ(e.DescribeTls(), "tls=verify-full tls_ca=" + ca + " tls_cert=" + cert);
    EXPECT_EQ(e.DescribeTls().find("secret"), std::string::npos);
    // A client certificate without verification, and a percent-encoded path.
    const Endpoint required =
        ParseDsn("mysql://a@h/db?tls=required&tls_cert=" + cert + "&tls_key=" + files.dir() + "%2Fclient.key");
    EXPECT_EQ(required.tls_key, key);
    EXPECT_TRUE(required.tls_ca.empty());
}

TEST(MysqlDsnTest, RejectsBadTlsParameters) {
    const TlsFiles files;
    const std::string ca = files.Path("ca.pem");
    const std::string cert = files.Path("client.pem");
    const std::string key = files.Path("client.key");
    ExpectRejected("mysql://a:pw@h/db?tls=require", "parameter tls='require' is not one of disabled, preferred");
    ExpectRejected("mysql://a:pw@h/db?tls=VERIFY-FULL", "parameter tls='VERIFY-FULL'");
    ExpectRejected("mysql://a:pw@h/db?tls=", "parameter tls=''");
    ExpectRejected("mysql://a:pw@h/db?tls", "parameter 'tls' has no value");
    ExpectRejected("mysql://a:pw@h/db?tls=required&tls=disabled", "parameter 'tls' is given twice");
    ExpectRejected("mysql://a:pw@h/db?ssl_ca=/x", "unknown parameter 'ssl_ca'");
    ExpectRejected("mysql://a:pw@h/db?tls_ca=" + ca, "tls_ca is only used with tls=verify-ca or tls=verify-full");
    ExpectRejected("mysql://a:pw@h/db?tls=required&tls_ca=" + ca, "(tls=required does not check");
    ExpectRejected("mysql://a:pw@h/db?tls=preferred&tls_cert=" + cert + "&tls_key=" + key,
                   "tls_cert/tls_key need tls=required");
    ExpectRejected("mysql://a:pw@h/db?tls=disabled&tls_cert=" + cert + "&tls_key=" + key,
                   "tls_cert/tls_key need tls=required");
    ExpectRejected("mysql://a:pw@h/db?tls=required&tls_cert=" + cert, "tls_cert is given without tls_key");
    ExpectRejected("mysql://a:pw@h/db?tls=required&tls_key=" + key, "tls_key is given without tls_cert");
    ExpectRejected("mysql://a:pw@h/db?tls=verify-ca&tls_ca=", "parameter tls_ca= is empty");
    ExpectRejected("mysql://a:pw@h/db?tls=verify-ca&tls_ca=" + files.Path("missing.pem"),
                   "parameter tls_ca: cannot read '" + files.Path("missing.pem") + "' (No such file or directory)");
    ExpectRejected("mysql://a:pw@h/db?tls=verify-ca&tls_ca=" + files.dir(),
                   "parameter tls_ca: '" + files.dir() + "' is not a regular file");
    ExpectRejected("mysql://a:pw@h/db?tls=required&tls_cert=/nonexistent/c.pem&tls_key=" + key,
                   "parameter tls_cert: cannot read '/nonexistent/c.pem'");
    ExpectRejected("mysql://a:pw@h/db?tls=required&tls_cert=" + cert + "&tls_key=/nonexistent/k.pem",
                   "parameter tls_key: cannot read '/nonexistent/k.pem'");
    ExpectRejected("mysql://a:pw@h/db?tls=verify-ca&tls_ca=%zz", "percent-encoding in the value of parameter tls_ca");
}

TEST(MysqlDsnTest, UnreadableTlsFileIsNamed) {
    if (geteuid() == 0) GTEST_SKIP() << "root reads every file: a permission check cannot fail";
    const TlsFiles files;
    const std::string ca = files.Path("ca.pem");
    std::filesystem::permissions(ca, std::filesystem::perms::none);
    ExpectRejected("mysql://a:pw@h/db?tls=verify-ca&tls_ca=" + ca,
                   "parameter tls_ca: cannot read '" + ca + "' (Permission denied)");
}

TEST(MysqlDsnTest, TlsErrorsNeverEchoThePassword) {
    for (const std::string query : {"tls=bogus", "tls=verify-ca&tls_ca=/nonexistent", "tls_cert=/x",
                                    "tls=required&tls=required", "tls=required&tls_key=/x"}) {
        try {
            ParseDsn("mysql://a:hunter2secret@h/db?" + query);
            ADD_FAILURE() << query << " was accepted";
        } catch (const sdk::Error& e) {
            EXPECT_EQ(std::string(e.what()).find("hunter2secret"), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace jobber::mysql
