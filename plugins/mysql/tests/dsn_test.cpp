#include <gtest/gtest.h>

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

}  // namespace
}  // namespace jobber::mysql
