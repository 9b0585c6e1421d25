// Publishing with publisher confirms: a small pool of connections in confirm mode, each used by one caller at a time.
// Publish returns only once RabbitMQ confirmed the message (persistent, routed to a durable queue), so a POST
// answers success only when RabbitMQ has the job. While RabbitMQ is unreachable, calls fail fast with UNAVAILABLE:
// after a failed connect, further attempts wait for a backoff (100 ms doubling to 5 s) and fail at once meanwhile.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "amqp_connection.hpp"
#include "amqp_settings.hpp"
#include "message_headers.hpp"

namespace jobber::amqp {

class PublisherPool {
public:
    explicit PublisherPool(AmqpSettings settings);
    ~PublisherPool();

    // A message for `queue`, ready now (meta.eta_unix_ms in the past or 0) or held in the delay tree until its eta.
    // Declares the queue (and the tree) on first use per connection. Throws sdk::Error (UNAVAILABLE when
    // RabbitMQ cannot be reached or did not confirm in time).
    void Publish(std::string_view queue, std::string_view payload, const MessageMeta& meta);
    // One round trip on a pooled connection (an idempotent exchange.declare).
    void Ping();
    // Connects once: throws INVALID_ARGUMENT for a refused login, UNAVAILABLE when unreachable.
    void Probe();

private:
    struct Slot;
    std::unique_ptr<Slot> Acquire();
    void Release(std::unique_ptr<Slot> slot);
    std::unique_ptr<Slot> Connect();
    void WaitForConfirm(Slot& slot);

    const AmqpSettings settings_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Slot>> idle_;
    size_t open_ = 0;  // idle plus in use
    // Fail-fast window after a failed connect.
    std::chrono::steady_clock::time_point retry_at_{};
    std::chrono::milliseconds backoff_{0};
    std::string last_error_;
};

}  // namespace jobber::amqp
