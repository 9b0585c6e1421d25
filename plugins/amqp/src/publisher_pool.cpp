#include "publisher_pool.hpp"

#include <algorithm>

#include "delay_topology.hpp"
#include "jobber/sdk/error.hpp"

namespace jobber::amqp {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstBackoff{100};
constexpr milliseconds kMaxBackoff{5000};
// A message due this close to now goes straight to its queue.
constexpr int64_t kDueSlackMs = 5;

int64_t NowUnixMs() {
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct PublisherPool::Slot {
    explicit Slot(const AmqpSettings& settings) : connection(settings, std::chrono::seconds(0)) {}
    AmqpConnection connection;
    uint64_t next_sequence = 1;
    std::set<std::string> declared_queues;
    bool tree_declared = false;
};

PublisherPool::PublisherPool(AmqpSettings settings) : settings_(std::move(settings)) {}

PublisherPool::~PublisherPool() = default;

std::unique_ptr<PublisherPool::Slot> PublisherPool::Connect() {
    auto slot = std::make_unique<Slot>(settings_);
    amqp_confirm_select(slot->connection.get(), kChannel);
    slot->connection.Check(amqp_get_rpc_reply(slot->connection.get()), "confirm.select");
    return slot;
}

std::unique_ptr<PublisherPool::Slot> PublisherPool::Acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto give_up_at = Clock::now() + settings_.command_timeout;
    for (;;) {
        while (!idle_.empty()) {
            std::unique_ptr<Slot> slot = std::move(idle_.back());
            idle_.pop_back();
            // A connection RabbitMQ closed while it sat idle (a restart) is dropped before anything is sent on it,
            // so the push that finds it goes on to a fresh one instead of failing.
            if (!slot->connection.LooksDead()) return slot;
            --open_;
            lock.unlock();
            slot.reset();
            lock.lock();
        }
        if (open_ < settings_.publisher_connections) {
            if (Clock::now() < retry_at_) {
                throw sdk::Error(JOBBER_UNAVAILABLE, last_error_ + " (retrying shortly)");
            }
            ++open_;
            lock.unlock();
            try {
                auto slot = Connect();
                lock.lock();
                backoff_ = milliseconds(0);
                return slot;
            } catch (const sdk::Error& e) {
                lock.lock();
                --open_;
                backoff_ = std::clamp(backoff_ * 2, kFirstBackoff, kMaxBackoff);
                retry_at_ = Clock::now() + backoff_;
                last_error_ = e.what();
                available_.notify_one();
                throw;
            }
        }
        if (available_.wait_until(lock, give_up_at) == std::cv_status::timeout) {
            throw sdk::Error(JOBBER_UNAVAILABLE, "every RabbitMQ publisher connection stayed busy for " +
                                                     std::to_string(settings_.command_timeout.count()) + " ms");
        }
    }
}

void PublisherPool::Release(std::unique_ptr<Slot> slot) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (slot->connection.broken()) {
        --open_;
        slot.reset();
    } else {
        idle_.push_back(std::move(slot));
    }
    available_.notify_one();
}

void PublisherPool::Probe() {
    Release(Acquire());
}

void PublisherPool::Ping() {
    auto slot = Acquire();
    try {
        DeclareReadyExchange(slot->connection, settings_.topology_prefix);
    } catch (...) {
        Release(std::move(slot));
        throw;
    }
    Release(std::move(slot));
}

void PublisherPool::Publish(std::string_view queue, std::string_view payload, const MessageMeta& meta) {
    auto slot = Acquire();
    try {
        AmqpConnection& c = slot->connection;
        const std::string name(queue);
        if (slot->declared_queues.count(name) == 0) {
            DeclareJobQueue(c, settings_, queue);
            slot->declared_queues.insert(name);
        }
        const int64_t delay = meta.eta_unix_ms - NowUnixMs();
        std::string exchange, routing_key;
        if (meta.eta_unix_ms > 0 && delay > kDueSlackMs) {
            if (!slot->tree_declared) {
                DeclareDelayTree(c, settings_.topology_prefix);
                slot->tree_declared = true;
            }
            DelayRoute route = RouteForDelay(settings_.topology_prefix, delay, queue);
            exchange = std::move(route.exchange);
            routing_key = std::move(route.routing_key);
        } else {
            routing_key = name;  // the default exchange routes by queue name
        }
        const OutgoingProperties properties(meta);
        // mandatory: an unroutable message comes back (basic.return) instead of vanishing.
        c.CheckStatus(amqp_basic_publish(c.get(), kChannel, Bytes(exchange), Bytes(routing_key), 1, 0, properties.get(),
                                         Bytes(payload)),
                      "basic.publish");
        WaitForConfirm(*slot);
    } catch (...) {
        slot->connection.MarkBroken();  // its confirm sequence is unknown now
        Release(std::move(slot));
        throw;
    }
    Release(std::move(slot));
}

void PublisherPool::WaitForConfirm(Slot& slot) {
    AmqpConnection& c = slot.connection;
    const uint64_t sequence = slot.next_sequence++;
    const auto give_up_at = Clock::now() + settings_.command_timeout;
    bool returned = false;
    for (;;) {
        const auto left = std::chrono::duration_cast<milliseconds>(give_up_at - Clock::now());
        if (left.count() <= 0) {
            c.MarkBroken();
            throw sdk::Error(JOBBER_UNAVAILABLE, "RabbitMQ at " + settings_.endpoint.Describe() +
                                                     " did not confirm a publish within " +
                                                     std::to_string(settings_.command_timeout.count()) + " ms");
        }
        timeval timeout = ToTimeval(left);
        amqp_frame_t frame{};
        const int status = amqp_simple_wait_frame_noblock(c.get(), &frame, &timeout);
        if (status == AMQP_STATUS_TIMEOUT) continue;
        c.CheckStatus(status, "waiting for a publisher confirm");
        if (frame.frame_type != AMQP_FRAME_METHOD) continue;
        switch (frame.payload.method.id) {
            case AMQP_BASIC_ACK_METHOD: {
                const auto* ack = static_cast<const amqp_basic_ack_t*>(frame.payload.method.decoded);
                if (ack->delivery_tag < sequence && !ack->multiple) continue;
                if (returned) {
                    throw sdk::Error(JOBBER_UNAVAILABLE,
                                     "RabbitMQ could not route the message (its queue was deleted?); try again");
                }
                return;
            }
            case AMQP_BASIC_NACK_METHOD:
                throw sdk::Error(JOBBER_UNAVAILABLE, "RabbitMQ refused the message (basic.nack); try again");
            case AMQP_BASIC_RETURN_METHOD: {
                // The returned message's header and body follow; read them off the wire.
                amqp_message_t message{};
                c.Check(amqp_read_message(c.get(), frame.channel, &message, 0), "reading a returned message");
                amqp_destroy_message(&message);
                returned = true;
                continue;
            }
            case AMQP_CHANNEL_CLOSE_METHOD:
            case AMQP_CONNECTION_CLOSE_METHOD:
                throw sdk::Error(JOBBER_UNAVAILABLE,
                                 "RabbitMQ closed the publisher channel: " + c.AcknowledgeClose(frame));
            default:
                continue;
        }
    }
}

}  // namespace jobber::amqp
