// The consuming side: one connection owned by one I/O thread (librabbitmq connections are not thread-safe). The
// thread basic.consume's every queue a pop has asked for (lazily, on first use), buffers what RabbitMQ delivers
// (at most `prefetch` unacked per queue, leased ones included), sends the acks and rejects other threads hand it,
// services heartbeats, and enforces leases: RabbitMQ itself only takes a message back when the consumer's
// channel closes, so a lease that runs out unextended is rejected with requeue here, and RabbitMQ delivers the
// message again (to any process). A process that dies loses its connection, and RabbitMQ requeues its unacked
// messages by itself. On connection loss the thread reconnects with backoff (100 ms doubling to 5 s) and
// consumes the same queues again; leases and buffered deliveries of the old connection are void (RabbitMQ has
// requeued them), so their receipts answer NOT_FOUND.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "amqp_connection.hpp"
#include "amqp_settings.hpp"
#include "message_headers.hpp"

namespace jobber::amqp {

// A delivery taken off the buffer, not leased yet.
struct Received {
    std::string queue;
    std::string payload;
    uint64_t generation = 0;
    uint64_t tag = 0;
    uint32_t delivery_count = 1;
    MessageMeta meta;
};

// A leased delivery, as a requeue needs it.
struct LeasedMessage {
    std::string queue;
    std::string payload;
    uint32_t delivery_count = 1;
};

class Consumer {
public:
    using Clock = std::chrono::steady_clock;

    Consumer(AmqpSettings settings, std::string instance_name);
    ~Consumer();
    Consumer(const Consumer&) = delete;
    Consumer& operator=(const Consumer&) = delete;

    // Makes sure every queue in `queues` is (or will shortly be) consumed.
    void Want(const std::vector<std::string>& queues);
    // The oldest buffered delivery of any of `queues`, waiting until `deadline`; nullopt when none came. Throws
    // UNAVAILABLE when the connection is down (with the reason).
    std::optional<Received> Next(const std::vector<std::string>& queues, Clock::time_point deadline);
    // Leases a received delivery; empty when its connection is gone meanwhile (RabbitMQ has it back).
    std::string Lease(const Received& received, std::chrono::milliseconds lease);
    // Settles a received (never leased) delivery: ack, or reject with requeue.
    void Settle(const Received& received, bool ack);

    // Receipt operations; throw Error(NOT_FOUND) when the lease is not live.
    void Ack(std::string_view receipt);
    void Extend(std::string_view receipt, std::chrono::milliseconds lease);
    void RequeueNow(std::string_view receipt);
    // Requeue for later in two steps around the caller's publish of a copy: Begin marks the lease as being
    // settled (it no longer expires), then Finish acks the original, or Abort leaves the lease as it was.
    LeasedMessage BeginRequeue(std::string_view receipt);
    void FinishRequeue(std::string_view receipt);
    void AbortRequeue(std::string_view receipt);

private:
    struct LeaseEntry {
        LeasedMessage message;
        Clock::time_point deadline;
        bool settling = false;
    };
    struct Command {
        uint64_t generation;
        uint64_t tag;
        bool ack;  // false: reject with requeue
    };

    void Run();
    void Connect();
    void Step();
    void Subscribe();
    void SendCommands();
    void WaitForInput();
    // Reads what has arrived, at most kReadsPerTurn frames. Returns false when it stopped with more perhaps left
    // (then the next turn must not sleep in poll: over TLS, what OpenSSL holds does not make the socket readable).
    bool ReadAvailable();
    void Disconnect(const std::string& reason);
    void Wake();
    // Under mutex_: the lease named by `receipt` or NOT_FOUND.
    std::map<uint64_t, LeaseEntry>::iterator FindLease(std::string_view receipt);
    std::string Receipt(uint64_t generation, uint64_t tag) const;

    const AmqpSettings settings_;
    const std::string instance_;
    const std::string receipt_prefix_;
    int wake_fd_ = -1;
    std::unique_ptr<AmqpConnection> connection_;  // I/O thread only
    bool drained_ = false;                        // I/O thread only: the last read found nothing more

    std::mutex mutex_;
    std::condition_variable delivered_;
    bool stopping_ = false;
    bool connected_ = false;
    std::string last_error_;
    uint64_t generation_ = 0;
    std::set<std::string> wanted_;
    std::set<std::string> consumed_;
    std::deque<Received> ready_;
    std::map<uint64_t, LeaseEntry> leases_;  // by delivery tag, current generation only
    std::vector<Command> commands_;

    std::thread thread_;
};

}  // namespace jobber::amqp
