// amqps:// against a real RabbitMQ TLS listener: a private node (tests/private_rabbitmq_node.hpp) serving
// certificates made at test time with the openssl CLI. Jobs go through TLS; an untrusted server, a server certificate
// for another name, a missing or untrusted client certificate and a plain-AMQP port each fail with an error that says
// what to fix; an idle TLS publisher connection is noticed dead across a restart. Skips only when rabbitmq-server is
// not installed. Each test boots one node, so the scenarios of one node share a test.
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "amqp_broker.hpp"
#include "jobber/abi/broker.h"
#include "jobber/sdk/error.hpp"
#include "jobber/testing/plugin_library.hpp"
#include "private_rabbitmq_node.hpp"
#include "test_pki.hpp"

namespace jobber::amqp {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using Keys = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kPassword = "jobber-test-pass";

using jobber::testing::TestPki;

std::string RandomQueue(const std::string& label) {
    static std::mt19937_64 rng{std::random_device{}()};
    return "jobber_tls_" + label + "_" + std::to_string(rng());
}

int64_t NowUnixMs() {
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The URL with another host in it (same port, credentials and vhost).
std::string WithHost(const std::string& url, const std::string& host) {
    const size_t at = url.find('@');
    const size_t colon = url.find(':', at);
    return url.substr(0, at + 1) + host + url.substr(colon);
}

AmqpSettings Settings(const std::string& url, Keys keys) {
    keys.emplace_back("url", url);
    std::vector<jobber_kv> kvs;
    for (const auto& [key, value] : keys) kvs.push_back({key.c_str(), value.c_str()});
    AmqpSettings settings = ParseSettings(sdk::Config(kvs.data(), static_cast<uint32_t>(kvs.size())));
    settings.connect_timeout = 3000ms;
    settings.command_timeout = 5000ms;
    settings.heartbeat = std::chrono::seconds(2);
    return settings;
}

// Push, pop and ack one message, and one delayed by 300 ms (the delay tree over TLS).
void RoundTrip(AmqpBroker& broker) {
    const std::string queue = RandomQueue("roundtrip");
    broker.Push(queue, "now", 0);
    broker.Push(queue, "later", NowUnixMs() + 300);
    std::set<std::string> received;
    for (int i = 0; i < 2; ++i) {
        auto delivery = broker.Pop({queue}, 5000ms, 60000ms);
        ASSERT_TRUE(delivery.has_value()) << "message " << i << " did not arrive";
        received.insert(delivery->payload);
        broker.Ack(delivery->receipt);
    }
    EXPECT_EQ(received, (std::set<std::string>{"now", "later"}));
}

// Opening a broker with `settings` fails with `code`; returns the message, which never holds the password.
std::string OpenFailure(const AmqpSettings& settings, jobber_code code) {
    try {
        AmqpBroker broker(settings, "tls-test");
    } catch (const sdk::Error& e) {
        EXPECT_EQ(e.code(), code) << e.what();
        EXPECT_EQ(std::strstr(e.what(), kPassword), nullptr) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "opening " << settings.endpoint.Describe() << " succeeded";
    return {};
}

bool Has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A private node with a TLS listener, or the reason to skip (not installed) or fail (did not start).
#define START_TLS_NODE(node, tls)                                     \
    testing::PrivateRabbitMqNode node(tls);                           \
    if (!node.installed()) GTEST_SKIP() << node.unavailable_reason(); \
    ASSERT_TRUE(node.unavailable_reason().empty()) << node.unavailable_reason()

TEST(AmqpTlsTest, JobsGoOverAmqpsAndTheServerCertificateIsVerified) {
    TestPki pki;
    pki.MakeCa("ca");
    pki.MakeCa("other-ca");
    pki.MakeCertificate("server", "ca", "127.0.0.1", "DNS:localhost,IP:127.0.0.1");
    testing::PrivateNodeTls tls{pki.Path("ca.pem"), pki.Path("server.pem"), pki.Path("server.key"), true, false};
    START_TLS_NODE(node, tls);
    const std::string url = node.tls_url();
    const Keys trust_ca = {{"tls_ca_file", pki.Path("ca.pem")}};

    {
        SCOPED_TRACE("127.0.0.1, matched by the certificate's IP address");
        AmqpBroker broker(Settings(url, trust_ca), "tls-ip");
        RoundTrip(broker);
        // Frames larger than a TLS record (16 KiB): a consumer sleeping in poll while OpenSSL holds data would make
        // each of these pops wait its 200 ms idle tick.
        const std::string queue = RandomQueue("large");
        const std::string payload(64 * 1024, 'x');
        for (int i = 0; i < 40; ++i) broker.Push(queue, payload + std::to_string(i), 0);
        const auto start = Clock::now();
        for (int i = 0; i < 40; ++i) {
            auto delivery = broker.Pop({queue}, 5000ms, 60000ms);
            ASSERT_TRUE(delivery.has_value()) << i;
            EXPECT_EQ(delivery->payload.size(), payload.size() + std::to_string(i).size());
            broker.Ack(delivery->receipt);
        }
        EXPECT_LT(Clock::now() - start, 4s) << "40 large deliveries over TLS";
    }
    {
        SCOPED_TRACE("localhost, matched by the certificate's DNS name");
        AmqpBroker broker(Settings(WithHost(url, "localhost"), trust_ca), "tls-dns");
        RoundTrip(broker);
    }
    {
        SCOPED_TRACE("a CA that did not sign the server certificate");
        const std::string message =
            OpenFailure(Settings(url, {{"tls_ca_file", pki.Path("other-ca.pem")}}), JOBBER_INVALID_ARGUMENT);
        EXPECT_TRUE(Has(message, "TLS verification of RabbitMQ at amqps://jobber@127.0.0.1:")) << message;
        EXPECT_TRUE(Has(message, "tls_ca_file")) << message;
        EXPECT_TRUE(Has(message, pki.Path("other-ca.pem"))) << message;
    }
    {
        SCOPED_TRACE("no tls_ca_file: the system store, which does not hold the test CA");
        const std::string message = OpenFailure(Settings(url, {}), JOBBER_INVALID_ARGUMENT);
        EXPECT_TRUE(Has(message, "TLS verification")) << message;
        EXPECT_TRUE(Has(message, "system CA store")) << message;
    }
    {
        SCOPED_TRACE("tls_verify_peer false: encrypted, not authenticated");
        AmqpBroker broker(Settings(url, {{"tls_ca_file", pki.Path("other-ca.pem")}, {"tls_verify_peer", "false"}}),
                          "tls-noverify");
        RoundTrip(broker);
    }
    {
        SCOPED_TRACE("amqps:// to the plain AMQP port");
        const std::string plain = node.url();
        const std::string message =
            OpenFailure(Settings("amqps://" + plain.substr(std::strlen("amqp://")), trust_ca), JOBBER_INVALID_ARGUMENT);
        EXPECT_TRUE(Has(message, "did not answer in TLS")) << message;
    }
    {
        SCOPED_TRACE("through the plugin's C ABI, as the host opens it");
        const jobber_broker_vtable* vtable = jobber::testing::LoadPluginLibrary(JOBBER_AMQP_PLUGIN_PATH).vtables.broker;
        ASSERT_NE(vtable, nullptr);
        const std::string ca = pki.Path("ca.pem"), other = pki.Path("other-ca.pem");
        const jobber_kv good[] = {{"url", url.c_str()}, {"tls_ca_file", ca.c_str()}};
        const jobber_open_args good_args{sizeof(jobber_open_args), "tls-abi", good, 2};
        jobber_broker* instance = nullptr;
        jobber_error error{};
        ASSERT_EQ(vtable->open(&good_args, &instance, &error), JOBBER_OK) << (error.message ? error.message : "");
        jobber_error ping_error{};
        EXPECT_EQ(vtable->ping(instance, &ping_error), JOBBER_OK);
        if (ping_error.release != nullptr) ping_error.release(&ping_error);
        vtable->close(instance);

        const jobber_kv bad[] = {{"url", url.c_str()}, {"tls_ca_file", other.c_str()}};
        const jobber_open_args bad_args{sizeof(jobber_open_args), "tls-abi-bad", bad, 2};
        instance = nullptr;
        EXPECT_EQ(vtable->open(&bad_args, &instance, &error), JOBBER_INVALID_ARGUMENT);
        ASSERT_NE(error.message, nullptr);
        EXPECT_TRUE(Has(error.message, "TLS verification")) << error.message;
        if (error.release != nullptr) error.release(&error);
        EXPECT_EQ(instance, nullptr);
    }
    {
        SCOPED_TRACE("a RabbitMQ restart: idle TLS connections are noticed dead, the consumer comes back");
        AmqpBroker broker(Settings(url, trust_ca), "tls-restart");
        const std::string queue = RandomQueue("restart");
        broker.Push(queue, "before", 0);
        auto before = broker.Pop({queue}, 5000ms, 60000ms);
        ASSERT_TRUE(before.has_value());
        broker.Ack(before->receipt);
        node.Stop();
        node.Start();
        // Nothing was pushed while it was down: the pooled publisher connection is stale, and the first push must
        // notice that before sending (a read through OpenSSL sees the close) and succeed on a new one.
        EXPECT_NO_THROW(broker.Push(queue, "after", 0));
        const auto give_up_at = Clock::now() + 30s;
        bool received = false;
        while (!received && Clock::now() < give_up_at) {
            try {
                auto delivery = broker.Pop({queue}, 1000ms, 60000ms);
                if (!delivery) continue;
                EXPECT_EQ(delivery->payload, "after");
                broker.Ack(delivery->receipt);
                received = true;
            } catch (const sdk::Error&) {
                std::this_thread::sleep_for(200ms);  // the consumer is still reconnecting
            }
        }
        EXPECT_TRUE(received) << "the consumer did not come back over TLS";
    }
}

TEST(AmqpTlsTest, MutualTlsAndHostNameVerification) {
    TestPki pki;
    pki.MakeCa("ca");
    pki.MakeCa("other-ca");
    // The server certificate names another host only: connecting to 127.0.0.1 is a name mismatch.
    pki.MakeCertificate("server", "ca", "rabbitmq.test.invalid", "DNS:rabbitmq.test.invalid");
    pki.MakeCertificate("client", "ca", "jobber client", "DNS:jobber-client.test.invalid");
    pki.MakeCertificate("stranger", "other-ca", "stranger", "DNS:stranger.test.invalid");
    testing::PrivateNodeTls tls{pki.Path("ca.pem"), pki.Path("server.pem"), pki.Path("server.key"), true, true};
    START_TLS_NODE(node, tls);
    const std::string url = node.tls_url();
    const Keys client = {{"tls_ca_file", pki.Path("ca.pem")},
                         {"tls_cert_file", pki.Path("client.pem")},
                         {"tls_key_file", pki.Path("client.key")}};

    {
        SCOPED_TRACE("host name verification: the certificate names rabbitmq.test.invalid, not 127.0.0.1");
        const std::string message = OpenFailure(Settings(url, client), JOBBER_INVALID_ARGUMENT);
        EXPECT_TRUE(Has(message, "TLS verification")) << message;
        EXPECT_TRUE(Has(message, "does not name '127.0.0.1'")) << message;
        EXPECT_TRUE(Has(message, "tls_verify_hostname")) << message;
    }
    Keys no_name_check = client;
    no_name_check.emplace_back("tls_verify_hostname", "false");
    {
        SCOPED_TRACE("tls_verify_hostname false, with the client certificate: works");
        AmqpBroker broker(Settings(url, no_name_check), "mtls");
        RoundTrip(broker);
    }
    {
        SCOPED_TRACE("no client certificate while the server requires one");
        const std::string message =
            OpenFailure(Settings(url, {{"tls_ca_file", pki.Path("ca.pem")}, {"tls_verify_hostname", "false"}}),
                        JOBBER_INVALID_ARGUMENT);
        EXPECT_TRUE(Has(message, "refused the TLS connection")) << message;
        EXPECT_TRUE(Has(message, "requires a client certificate")) << message;
        EXPECT_TRUE(Has(message, "tls_cert_file")) << message;
    }
    {
        SCOPED_TRACE("a client certificate the server does not trust");
        const std::string message = OpenFailure(Settings(url, {{"tls_ca_file", pki.Path("ca.pem")},
                                                               {"tls_cert_file", pki.Path("stranger.pem")},
                                                               {"tls_key_file", pki.Path("stranger.key")},
                                                               {"tls_verify_hostname", "false"}}),
                                                JOBBER_INVALID_ARGUMENT);
        EXPECT_TRUE(Has(message, "refused the TLS connection")) << message;
        EXPECT_TRUE(Has(message, "did not accept the client certificate")) << message;
        EXPECT_TRUE(Has(message, pki.Path("stranger.pem"))) << message;
    }
}

}  // namespace
}  // namespace jobber::amqp
