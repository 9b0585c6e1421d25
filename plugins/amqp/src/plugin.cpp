// The plugin's only exported entry points; the logic lives in amqp_broker.
#include "jobber/sdk/plugin.hpp"

#include "amqp_broker.hpp"

JOBBER_PLUGIN("amqp",
              "1.0.0",
              "RabbitMQ (AMQP 0-9-1) broker shared by many sql-jobber processes (librabbitmq)",
              jobber::sdk::BrokerRole<jobber::amqp::AmqpBroker>)
