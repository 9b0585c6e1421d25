// The amqp plugin's configuration: where RabbitMQ is (one amqp:// URL), how its queues are declared, and how long to
// wait for it. The password inside the URL is kept here and never put into a message or a log line.
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

struct AmqpEndpoint {
    std::string host = "127.0.0.1";
    int port = 5672;
    std::string user = "guest";
    std::string password = "guest";
    std::string vhost = "/";

    // amqp://user@host:port/vhost: for messages and logs, without the password.
    std::string Describe() const;
};

// Parses amqp://[user[:password]@]host[:port][/vhost] (percent-encoded parts decoded; an empty path is the vhost
// "/"). Throws sdk::Error(INVALID_ARGUMENT) naming the key 'url' but never echoing the password.
AmqpEndpoint ParseUrl(std::string_view url);

enum class QueueType { kQuorum, kClassic };

struct AmqpSettings {
    AmqpEndpoint endpoint;
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

// Reads and validates the host-validated key/value config. Throws sdk::Error(INVALID_ARGUMENT) naming the key.
AmqpSettings ParseSettings(const sdk::Config& config);

// A queue name the plugin accepts: 1-128 of A-Z a-z 0-9 _ . : - (the host's own rule). Keeps names safe inside the
// topic routing keys of the delay exchanges.
bool IsValidQueueName(std::string_view name);

const std::vector<jobber_config_field>& AmqpConfigFields();

}  // namespace jobber::amqp
