// Config parsing of the amqp plugin: the URL (and that its password never shows in messages), bounds, and the TLS
// keys with their files (fixed PEM test data written to a temp dir). No server.
#include "amqp_settings.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "jobber/sdk/error.hpp"

namespace jobber::amqp {
namespace {

sdk::Config MakeConfig(const std::vector<std::pair<std::string, std::string>>& entries) {
    static std::vector<std::pair<std::string, std::string>> storage;
    storage = entries;
    std::vector<jobber_kv> kvs;
    for (const auto& [key, value] : storage) kvs.push_back({key.c_str(), value.c_str()});
    return sdk::Config(kvs.data(), static_cast<uint32_t>(kvs.size()));
}

template <class Body>
std::string InvalidArgumentMessage(Body&& body) {
    try {
        body();
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), JOBBER_INVALID_ARGUMENT) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "no error thrown";
    return {};
}

TEST(AmqpUrlTest, ParsesUserPasswordHostPortAndVhost) {
    const AmqpEndpoint e = ParseUrl("amqp://jobber:s3cret@mq.internal:5673/prod");
    EXPECT_EQ(e.user, "jobber");
    EXPECT_EQ(e.password, "s3cret");
    EXPECT_EQ(e.host, "mq.internal");
    EXPECT_EQ(e.port, 5673);
    EXPECT_EQ(e.vhost, "prod");
    EXPECT_EQ(e.Describe(), "amqp://jobber@mq.internal:5673/prod") << "no password in descriptions";
}

TEST(AmqpUrlTest, DefaultsAndPercentEncoding) {
    AmqpEndpoint e = ParseUrl("amqp://localhost");
    EXPECT_EQ(e.user, "guest");
    EXPECT_EQ(e.password, "guest");
    EXPECT_EQ(e.port, 5672);
    EXPECT_EQ(e.vhost, "/");
    EXPECT_EQ(ParseUrl("amqp://localhost/").vhost, "/");
    EXPECT_EQ(ParseUrl("amqp://localhost/%2F").vhost, "/");
    EXPECT_EQ(ParseUrl("amqp://localhost/%2fjobs").vhost, "/jobs");

    e = ParseUrl("amqp://u%40corp:p%3Aw%2Fd@[::1]:5600/v");
    EXPECT_EQ(e.user, "u@corp");
    EXPECT_EQ(e.password, "p:w/d");
    EXPECT_EQ(e.host, "::1");
    EXPECT_EQ(e.port, 5600);
    EXPECT_EQ(e.Describe(), "amqp://u@corp@[::1]:5600/v");
}

TEST(AmqpUrlTest, RejectsMalformedUrlsWithoutEchoingThePassword) {
    for (const char* bad :
         {"", "http://h", "amqpx://h", "amqps://", "amqps://u:topsecret@h:0", "amqp://", "amqp://u:topsecret@",
          "amqp://u:topsecret@h:0", "amqp://u:topsecret@h:99999", "amqp://u:topsecret@h:x", "amqp://u:top%zzsecret@h",
          "amqp://:topsecret@h", "amqp://u:topsecret@[::1", "amqp://h/%2"}) {
        const std::string message = InvalidArgumentMessage([&] { ParseUrl(bad); });
        EXPECT_NE(message.find("'url'"), std::string::npos) << bad << ": " << message;
        EXPECT_EQ(message.find("topsecret"), std::string::npos) << bad << ": " << message;
        EXPECT_EQ(message.find("top%zz"), std::string::npos) << bad << ": " << message;
    }
}

TEST(AmqpUrlTest, AmqpsMeansTlsOnPort5671ByDefault) {
    AmqpEndpoint e = ParseUrl("amqps://jobber:s3cret@mq.internal/prod");
    EXPECT_TRUE(e.tls);
    EXPECT_EQ(e.port, 5671);
    EXPECT_EQ(e.vhost, "prod");
    EXPECT_EQ(e.Describe(), "amqps://jobber@mq.internal:5671/prod");
    e = ParseUrl("amqps://jobber:s3cret@[::1]:15671");
    EXPECT_TRUE(e.tls);
    EXPECT_EQ(e.port, 15671);
    EXPECT_EQ(e.Describe(), "amqps://jobber@[::1]:15671/");
    e = ParseUrl("amqp://mq.internal");
    EXPECT_FALSE(e.tls);
    EXPECT_EQ(e.port, 5672);
    EXPECT_EQ(e.Describe(), "amqp://guest@mq.internal:5672/");
}

TEST(AmqpSettingsTest, Defaults) {
    const AmqpSettings s = ParseSettings(MakeConfig({}));
    EXPECT_EQ(s.endpoint.host, "127.0.0.1");
    EXPECT_EQ(s.prefetch, 10);
    EXPECT_EQ(s.heartbeat.count(), 10);
    EXPECT_EQ(s.connect_timeout.count(), 2000);
    EXPECT_EQ(s.command_timeout.count(), 5000);
    EXPECT_EQ(s.queue_type, QueueType::kQuorum);
    EXPECT_EQ(s.publisher_connections, 4u);
    EXPECT_EQ(s.topology_prefix, "jobber");
    EXPECT_FALSE(s.endpoint.tls);
}

TEST(AmqpSettingsTest, ReadsEveryKey) {
    const AmqpSettings s = ParseSettings(MakeConfig({{"url", "amqp://a:b@h:1234/v"},
                                                     {"prefetch", "32"},
                                                     {"heartbeat", "30000"},
                                                     {"connect_timeout", "250"},
                                                     {"command_timeout", "1500"},
                                                     {"queue_type", "classic"},
                                                     {"publisher_connections", "2"},
                                                     {"topology_prefix", "app1.jobs"}}));
    EXPECT_EQ(s.endpoint.port, 1234);
    EXPECT_EQ(s.prefetch, 32);
    EXPECT_EQ(s.heartbeat.count(), 30);
    EXPECT_EQ(s.connect_timeout.count(), 250);
    EXPECT_EQ(s.command_timeout.count(), 1500);
    EXPECT_EQ(s.queue_type, QueueType::kClassic);
    EXPECT_EQ(s.publisher_connections, 2u);
    EXPECT_EQ(s.topology_prefix, "app1.jobs");
}

TEST(AmqpSettingsTest, RejectsOutOfRangeValuesNamingTheKey) {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"prefetch", "0"},          {"prefetch", "70000"},          {"heartbeat", "500"},
        {"heartbeat", "0"},         {"connect_timeout", "0"},       {"command_timeout", "-1"},
        {"queue_type", "stream"},   {"publisher_connections", "0"}, {"publisher_connections", "65"},
        {"topology_prefix", "a b"}, {"topology_prefix", ""},        {"topology_prefix", "x*"}};
    for (const auto& [key, value] : bad) {
        const std::string message = InvalidArgumentMessage([&] { ParseSettings(MakeConfig({{key, value}})); });
        EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << key << "=" << value << ": " << message;
    }
}

TEST(AmqpSettingsTest, QueueNames) {
    EXPECT_TRUE(IsValidQueueName("sqljob_queue"));
    EXPECT_TRUE(IsValidQueueName("a.b:c-d_9"));
    EXPECT_TRUE(IsValidQueueName(std::string(128, 'q')));
    EXPECT_FALSE(IsValidQueueName(std::string(129, 'q')));
    EXPECT_FALSE(IsValidQueueName(""));
    EXPECT_FALSE(IsValidQueueName("a*"));
    EXPECT_FALSE(IsValidQueueName("a#"));
    EXPECT_FALSE(IsValidQueueName("a b"));
}

// Fixed test PEMs: a CA, a client certificate it signed (EC P-256, valid until 2126), the client's key, a key of
// nobody's certificate, and the client's key encrypted (passphrase "secret").
constexpr const char* kCaPem = R"(-----BEGIN CERTIFICATE-----
MIIBkzCCATmgAwIBAgIUEWDAwc+G+Z9GoVG/kORZME4m4IQwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTam9iYmVyIHVuaXQgdGVzdCBDQTAgFw0yNjEyMDcxNzI0Mjla
GA8yMTI2MTExMzE3MjQyOVowHjEcMBoGA1UEAwwTam9iYmVyIHVuaXQgdGVzdCBD
QTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABJsAnI66tK0i/xWYWMIXO4cqvSfT
lPTMz6ng0zJt8U2/BXNPUjWrwb6gHmeRjW9brUHxjCKhjaHK/JUPIhu1aUGjUzBR
MB0GA1UdDgQWBBTG8sWkweT09csCPp6RpGW9NL2RBzAfBgNVHSMEGDAWgBTG8sWk
weT09csCPp6RpGW9NL2RBzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gA
MEUCIFdxaxCKITmWE0YjE8DBP65SSPyq2ZCT8W7eRt35WuZbAiEAk9msBrHWdliA
pwklHTZtfNPLO5bf7SXcrYpWxwWA4cE=
-----END CERTIFICATE-----
)";
constexpr const char* kClientPem = R"(-----BEGIN CERTIFICATE-----
MIIBPDCB4wIUPJayR200N+drBPxG92Cy+VlDnfUwCgYIKoZIzj0EAwIwHjEcMBoG
A1UEAwwTam9iYmVyIHVuaXQgdGVzdCBDQTAgFw0yNjEyMDcxNzI0MjlaGA8yMTI2
MTExMzE3MjQyOVowIjEgMB4GA1UEAwwXam9iYmVyIHVuaXQgdGVzdCBjbGllbnQw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARrVX6h91bNIg6mX9gYpRhQOXPG38o3
JJurqj6jY0cVUFowpRU4Ec+nDWPbOknQ9imJCKSq1FPJnSoMoI7IxgQiMAoGCCqG
SM49BAMCA0gAMEUCIQDu5k032TihmUCSkAoxdWGjxnc2K3ACb5E+CAT95tt0iAIg
bKKikOgO2htM+J1Y+9asV1TsxuUzdAUxwk9f5k243ZM=
-----END CERTIFICATE-----
)";
constexpr const char* kClientKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5X4immHgpMOKpaJ3
j4kb0OFA4miOJl4XSlHNiVibja6hRANCAARrVX6h91bNIg6mX9gYpRhQOXPG38o3
JJurqj6jY0cVUFowpRU4Ec+nDWPbOknQ9imJCKSq1FPJnSoMoI7IxgQi
-----END PRIVATE KEY-----
)";
constexpr const char* kOtherKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgrjgKF8lkidBDK9uU
+imYDqCl70eg3sVgZcGvwNx5qSmhRANCAASE40jwLNo75OH1E1aa14iDDTAs7Hi3
i9/KLm3HRhfFaZzg1lDlXdbF6OG6sOtk+NnHOKvArY4IDl9or26QYmGd
-----END PRIVATE KEY-----
)";
constexpr const char* kEncryptedKey = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjj1MoykLkPeAICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEIUTW20U0PYoEUogjBSMKq0EgZD/
Wmfs1bUizG/HP5di2loyrtkwNkC1ukW7iwGqhPKGKlsTi1AxEw8lYnfeXamAJg3F
N9HuXYT8B4hy7gBrTif/vfKaTbLL9XVXD7WL8MWFeIe4mDeWr0I6u3uz7LMg9jA5
OjPUz5SPV706V9ft0ofwhH4l8vp2h+UQY8HQEAEmtmQQ9Tws7oOFT5/53TvkDjc=
-----END ENCRYPTED PRIVATE KEY-----
)";

class AmqpTlsSettingsTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "jobber-amqp-tls-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        Write("ca.pem", kCaPem);
        Write("client.pem", kClientPem);
        Write("client.key", kClientKey);
        Write("other.key", kOtherKey);
        Write("encrypted.key", kEncryptedKey);
        Write("not-pem.txt", "just text\n");
    }
    void TearDown() override {
        std::error_code ignored;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
    }
    void Write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
    std::string Path(const std::string& name) const { return (dir_ / name).string(); }

    std::filesystem::path dir_;
};

TEST_F(AmqpTlsSettingsTest, AmqpsDefaultsVerifyThePeerAndItsNameAgainstTheSystemStore) {
    const AmqpSettings s = ParseSettings(MakeConfig({{"url", "amqps://a:b@mq.internal/v"}}));
    EXPECT_TRUE(s.endpoint.tls);
    EXPECT_EQ(s.endpoint.port, 5671);
    EXPECT_TRUE(s.tls.verify_peer);
    EXPECT_TRUE(s.tls.verify_hostname);
    EXPECT_EQ(s.tls.ca_file, "");
    EXPECT_EQ(s.tls.cert_file, "");
    EXPECT_EQ(s.tls.key_file, "");
}

TEST_F(AmqpTlsSettingsTest, ReadsEveryTlsKey) {
    AmqpSettings s = ParseSettings(MakeConfig({{"url", "amqps://a:b@h/v"},
                                               {"tls_ca_file", Path("ca.pem")},
                                               {"tls_cert_file", Path("client.pem")},
                                               {"tls_key_file", Path("client.key")},
                                               {"tls_verify_peer", "true"},
                                               {"tls_verify_hostname", "false"}}));
    EXPECT_EQ(s.tls.ca_file, Path("ca.pem"));
    EXPECT_EQ(s.tls.cert_file, Path("client.pem"));
    EXPECT_EQ(s.tls.key_file, Path("client.key"));
    EXPECT_TRUE(s.tls.verify_peer);
    EXPECT_FALSE(s.tls.verify_hostname);

    // No peer verification means no name check either (a name in an unverified certificate proves nothing).
    s = ParseSettings(MakeConfig({{"url", "amqps://a:b@h/v"}, {"tls_verify_peer", "false"}}));
    EXPECT_FALSE(s.tls.verify_peer);
    EXPECT_FALSE(s.tls.verify_hostname);
}

TEST_F(AmqpTlsSettingsTest, TlsKeysWithAnAmqpUrlAreRefusedNamingTheKey) {
    for (const auto& [key, value] :
         std::vector<std::pair<std::string, std::string>>{{"tls_ca_file", Path("ca.pem")},
                                                          {"tls_cert_file", Path("client.pem")},
                                                          {"tls_key_file", Path("client.key")},
                                                          {"tls_verify_peer", "false"},
                                                          {"tls_verify_hostname", "true"}}) {
        const std::string message = InvalidArgumentMessage([&] {
            ParseSettings(MakeConfig({{"url", "amqp://a:topsecret@h/v"}, {key, value}}));
        });
        EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << key << ": " << message;
        EXPECT_NE(message.find("amqps://"), std::string::npos) << key << ": " << message;
        EXPECT_EQ(message.find("topsecret"), std::string::npos) << message;
    }
}

TEST_F(AmqpTlsSettingsTest, VerifyingTheNameWithoutThePeerIsRefused) {
    const std::string message = InvalidArgumentMessage([&] {
        ParseSettings(
            MakeConfig({{"url", "amqps://a:b@h/v"}, {"tls_verify_peer", "false"}, {"tls_verify_hostname", "true"}}));
    });
    EXPECT_NE(message.find("'tls_verify_hostname'"), std::string::npos) << message;
}

TEST_F(AmqpTlsSettingsTest, BadTlsFilesAreRefusedNamingTheKeyAndTheFile) {
    struct Case {
        std::vector<std::pair<std::string, std::string>> keys;
        std::string key;   // the key the message must name
        std::string says;  // and what it must say
    };
    const std::vector<Case> cases = {
        {{{"tls_ca_file", Path("missing.pem")}}, "tls_ca_file", "does not exist"},
        {{{"tls_ca_file", dir_.string()}}, "tls_ca_file", "is a directory"},
        {{{"tls_ca_file", Path("not-pem.txt")}}, "tls_ca_file", "holds no PEM certificate"},
        {{{"tls_cert_file", Path("client.pem")}}, "tls_key_file", "set both or neither"},
        {{{"tls_key_file", Path("client.key")}}, "tls_cert_file", "set both or neither"},
        {{{"tls_cert_file", Path("missing.pem")}, {"tls_key_file", Path("client.key")}},
         "tls_cert_file",
         "does not exist"},
        {{{"tls_cert_file", Path("client.pem")}, {"tls_key_file", Path("missing.key")}},
         "tls_key_file",
         "does not exist"},
        {{{"tls_cert_file", Path("not-pem.txt")}, {"tls_key_file", Path("client.key")}},
         "tls_cert_file",
         "holds no PEM certificate"},
        {{{"tls_cert_file", Path("client.pem")}, {"tls_key_file", Path("not-pem.txt")}},
         "tls_key_file",
         "holds no PEM private key"},
        {{{"tls_cert_file", Path("client.pem")}, {"tls_key_file", Path("other.key")}},
         "tls_key_file",
         "is not the key of the certificate"},
        {{{"tls_cert_file", Path("client.pem")}, {"tls_key_file", Path("encrypted.key")}},
         "tls_key_file",
         "is encrypted"},
    };
    for (const auto& c : cases) {
        auto keys = c.keys;
        keys.emplace_back("url", "amqps://a:topsecret@h/v");
        const std::string message = InvalidArgumentMessage([&] { ParseSettings(MakeConfig(keys)); });
        EXPECT_NE(message.find("'" + c.key + "'"), std::string::npos) << message;
        EXPECT_NE(message.find(c.says), std::string::npos) << message;
        EXPECT_EQ(message.find("topsecret"), std::string::npos) << message;
        for (const auto& [key, file] : c.keys) {
            if (key == c.key) {
                EXPECT_NE(message.find(file), std::string::npos) << "names the file: " << message;
            }
        }
    }
}

TEST_F(AmqpTlsSettingsTest, AnUnreadableCaFileIsRefused) {
    if (geteuid() == 0) GTEST_SKIP() << "root reads every file; the permission check cannot fail";
    std::filesystem::permissions(Path("ca.pem"), std::filesystem::perms::none);
    const std::string message = InvalidArgumentMessage([&] {
        ParseSettings(MakeConfig({{"url", "amqps://a:b@h/v"}, {"tls_ca_file", Path("ca.pem")}}));
    });
    EXPECT_NE(message.find("'tls_ca_file'"), std::string::npos) << message;
    EXPECT_NE(message.find("not readable"), std::string::npos) << message;
}

}  // namespace
}  // namespace jobber::amqp
