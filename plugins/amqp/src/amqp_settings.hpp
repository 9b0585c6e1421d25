// The amqp plugin's configuration: where RabbitMQ is (one amqp:// or amqps:// URL), how TLS is checked, how its queues
// are declared, and how long to wait for it. The password inside the URL is kept here and never put into a message or
// a log line.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jobber/abi/common.h"
#include "jobber/sdk/config.hpp"

namespace jobber::amqp {

constexpr int kAmqpPort = 5672;
constexpr int kAmqpsPort = 5671;

struct AmqpEndpoint {
    // amqps://: the connection runs over TLS (AmqpSettings::tls says how the server is checked).
    bool tls = false;
    std::string host = "127.0.0.1";
    int port = kAmqpPort;
    std::string user = "guest";
    std::string password = "guest";
    std::string vhost = "/";

    // amqp[s]://user@host:port/vhost: for messages and logs, without the password.
    std::string Describe() const;
};

// Parses amqp[s]://[user[:password]@]host[:port][/vhost] (percent-encoded parts decoded; an empty path is the vhost
// "/"; the port defaults to 5672, or 5671 for amqps). Throws sdk::Error(INVALID_ARGUMENT) naming the key 'url' but
// never echoing the password.
AmqpEndpoint ParseUrl(std::string_view url);

// How an amqps:// connection checks RabbitMQ (and proves who we are). Only used when endpoint.tls is set; with an
// amqp:// URL every tls_* key is refused.
struct TlsSettings {
    // PEM CA bundle the server certificate must chain to; empty: OpenSSL's default store (the system's CAs).
    std::string ca_file;
    // Client certificate (PEM, may carry its chain) and its unencrypted PEM key, for servers that require peer
    // certificates (RabbitMQ ssl_options.fail_if_no_peer_cert). Both or neither.
    std::string cert_file;
    std::string key_file;
    // The server certificate must chain to a trusted CA and be valid now. Off: encrypted but not authenticated (and
    // the host name is not checked either: a name in an unverified certificate proves nothing).
    bool verify_peer = true;
    // The certificate must name the URL's host: a DNS name (subjectAltName DNS, wildcards allowed, or the CN when there
    // are none) or an IP literal (subjectAltName IP). Checked by OpenSSL as part of the chain verification.
    bool verify_hostname = true;
};

enum class QueueType { kQuorum, kClassic };

struct AmqpSettings {
    AmqpEndpoint endpoint;
    TlsSettings tls;
    // Unacked deliveries RabbitMQ hands one consumer (one per queue a worker pops from): leased jobs plus those
    // buffered for the next pop. Set it to the process's --worker-concurrency.
    uint16_t prefetch = 10;
    std::chrono::seconds heartbeat{10};
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds command_timeout{5000};
    QueueType queue_type = QueueType::kQuorum;
    // Connections publishing in confirm mode, each used by one push at a time.
    size_t publisher_connections = 4;
    // Prefix of the delay exchanges and queues (prefix.delay.N, prefix.ready).
    std::string topology_prefix = "jobber";
};

// Reads and validates the host-validated key/value config. Throws sdk::Error(INVALID_ARGUMENT) naming the key. The
// TLS files are loaded with OpenSSL here, as each connection will load them, so a missing, unreadable, malformed or
// encrypted file, or a key that does not belong to its certificate, stops `open` instead of failing every connect.
AmqpSettings ParseSettings(const sdk::Config& config);

// A queue name the plugin accepts: 1-128 of A-Z a-z 0-9 _ . : - (the host's own rule). Keeps names safe inside the
// topic routing keys of the delay exchanges.
bool IsValidQueueName(std::string_view name);

const std::vector<jobber_config_field>& AmqpConfigFields();

}  // namespace jobber::amqp
