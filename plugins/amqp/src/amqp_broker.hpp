// Broker on RabbitMQ (AMQP 0-9-1): durable queues, persistent messages, publisher confirms, manual acks, leases
// enforced by the plugin, delayed delivery through a tree of TTL queues. See plugins/amqp/README.md and
// docs/amqp.md for the design and its limits.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp_settings.hpp"
#include "consumer.hpp"
#include "jobber/sdk/roles.hpp"
#include "publisher_pool.hpp"

namespace jobber::amqp {

class AmqpBroker final : public sdk::Broker {
public:
    explicit AmqpBroker(const sdk::OpenArgs& args);
    AmqpBroker(AmqpSettings settings, const std::string& instance_name);

    static const std::vector<jobber_config_field>& ConfigFields() { return AmqpConfigFields(); }

    void Push(std::string_view queue, std::string_view payload, int64_t eta_unix_ms) override;
    std::optional<sdk::Delivery> Pop(const std::vector<std::string>& queues,
                                     std::chrono::milliseconds wait,
                                     std::chrono::milliseconds lease) override;
    void Ack(std::string_view receipt) override;
    void Requeue(std::string_view receipt, int64_t eta_unix_ms) override;
    void Extend(std::string_view receipt, std::chrono::milliseconds lease) override;
    // AMQP cannot browse a queue: ListPending stays UNIMPLEMENTED (the SDK default); the host answers
    // GET /jobs/queue/{queue} from the state store instead.
    void Ping() override;

private:
    static void CheckQueueName(std::string_view queue);

    AmqpSettings settings_;
    PublisherPool publisher_;
    Consumer consumer_;
};

}  // namespace jobber::amqp
