// Delayed delivery without RabbitMQ's delayed-message plugin and without head-of-line blocking: a binary tree of
// TTL queues shared by every job queue of the deployment.
//
// Level L (0..kDelayLevels-1) is a topic exchange `<prefix>.delay.L` and a classic queue of the same name whose
// x-message-ttl is 2^L ms and whose dead-letter exchange is level L-1 (level 0: `<prefix>.ready`). A delayed message
// carries its delay in binary in its routing key, one word per level, highest level first, then the target queue:
//   "0.0.....1.0.1.sqljob_queue"   (13 ms = 8 + 4 + 1)
// Exchange L sends a message whose bit L is 1 into queue L (it waits 2^L ms there) and one whose bit is 0 straight
// on to exchange L-1. Dead-lettering keeps the routing key, so a message visits exactly the levels of its set bits
// and arrives at `<prefix>.ready`, which routes it by the queue name at the end of the key to its job queue. Every
// message in one level queue has the same TTL, so they expire in arrival order: a message due in 1 s never waits
// behind one due in an hour (the hour's message sits in higher levels meanwhile). TTLs never fire early, so a
// message never arrives before its eta; it arrives a few ms per hop later.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "amqp_connection.hpp"
#include "amqp_settings.hpp"

namespace jobber::amqp {

// 2^36 ms is about 795 days. A longer delay goes through the tree more than once (the consumer re-sends a message
// that arrives before its eta).
constexpr int kDelayLevels = 36;
constexpr int64_t kMaxDelayMs = (int64_t{1} << kDelayLevels) - 1;

std::string DelayName(std::string_view prefix, int level);
std::string ReadyExchange(std::string_view prefix);

struct DelayRoute {
    std::string exchange;
    std::string routing_key;
};

// Where to publish a message for `queue` that should wait `delay_ms` (1..kMaxDelayMs; more is cut to the maximum).
DelayRoute RouteForDelay(std::string_view prefix, int64_t delay_ms, std::string_view queue);

// Binding keys: level L's "bit is `bit`" pattern, and the ready exchange's binding for `queue`.
std::string LevelBindingKey(int level, bool bit);
std::string ReadyBindingKey(std::string_view queue);

// Declarations; idempotent, so every connection runs them once before relying on them.
void DeclareDelayTree(AmqpConnection& connection, std::string_view prefix);
void DeclareReadyExchange(AmqpConnection& connection, std::string_view prefix);
// A job queue: durable, of the configured type, bound to the ready exchange so delayed messages reach it.
void DeclareJobQueue(AmqpConnection& connection, const AmqpSettings& settings, std::string_view queue);

}  // namespace jobber::amqp
