// In-process broker: named FIFO queues with leases, delayed delivery and redelivery, for a single
// sql-jobber process (tests, development, one-box deployments). Nothing survives a restart.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "jobber/sdk/roles.hpp"

namespace jobber::memory {

// All methods are thread-safe: one mutex guards everything, and waiting pops sleep on a condition
// variable that pushes and requeues wake.
//
// Ordering: every message entering a queue's ready list gets the next value of one global sequence,
// and Pop takes the lowest sequence among the listed queues, so it is oldest-first across queues.
// A message whose lease runs out keeps its old sequence and so returns to the head of its queue.
class MemoryBroker final : public sdk::Broker {
public:
    // A message comes back only once its lease lapsed (the reaper), so the host needs no run lease.
    static constexpr bool kRedeliversOnlyAfterLease = true;

    explicit MemoryBroker(const sdk::OpenArgs& args);

    static const std::vector<jobber_config_field>& ConfigFields();

    void Push(std::string_view queue, std::string_view payload, int64_t eta_unix_ms) override;
    std::optional<sdk::Delivery> Pop(const std::vector<std::string>& queues,
                                     std::chrono::milliseconds wait,
                                     std::chrono::milliseconds lease) override;
    void Ack(std::string_view receipt) override;
    void Requeue(std::string_view receipt, int64_t eta_unix_ms) override;
    void Extend(std::string_view receipt, std::chrono::milliseconds lease) override;
    // Takes a snapshot under the lock and visits it without the lock, so `visit` may call back in.
    void ListPending(std::string_view queue, const std::function<bool(const sdk::PendingMessage&)>& visit) override;

    // Queues currently holding ready or delayed messages; empty queues are forgotten.
    size_t QueueCount();
    // Messages currently leased.
    size_t LeaseCount();

private:
    using SteadyTime = std::chrono::steady_clock::time_point;

    struct Message {
        std::string queue;
        std::string payload;
        // Deliveries so far; Pop reports this plus one.
        uint32_t deliveries = 0;
    };

    struct Queue {
        // Keyed by sequence number: iteration order is delivery order.
        std::map<uint64_t, Message> ready;
        size_t delayed = 0;
    };

    struct Lease {
        Message message;
        uint64_t sequence = 0;
        SteadyTime deadline;
    };

    // Moves due delayed messages to their queue's tail and expired leases back to their queue's head.
    void PromoteLocked(int64_t now_unix_ms, SteadyTime now);
    void EnqueueReadyLocked(Message message, uint64_t sequence);
    // Delayed when `eta_unix_ms` is after `now_unix_ms`, otherwise at the tail of its queue.
    void EnqueueLocked(Message message, int64_t eta_unix_ms, int64_t now_unix_ms);
    std::optional<sdk::Delivery> TakeOldestLocked(const std::vector<std::string>& queues,
                                                  SteadyTime now,
                                                  std::chrono::milliseconds lease);
    // When a waiting Pop must look again even if nothing is pushed: next eta or lease deadline.
    SteadyTime NextEventLocked(int64_t now_unix_ms, SteadyTime now, SteadyTime limit) const;
    std::unordered_map<std::string, Lease>::iterator FindLeaseLocked(std::string_view receipt);
    void EraseLeaseLocked(std::unordered_map<std::string, Lease>::iterator lease);
    void ForgetQueueIfEmptyLocked(std::map<std::string, Queue, std::less<>>::iterator queue);

    const std::string instance_name_;
    const size_t max_queue_length_;
    // Distinguishes this instance's receipts from any other's.
    const std::string receipt_prefix_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, Queue, std::less<>> queues_;
    // Keyed by (eta, sequence): equal etas keep push order.
    std::map<std::pair<int64_t, uint64_t>, Message> delayed_;
    std::unordered_map<std::string, Lease> leases_;
    std::set<std::pair<SteadyTime, std::string>> lease_deadlines_;
    uint64_t next_sequence_ = 1;
    uint64_t next_receipt_ = 1;
};

}  // namespace jobber::memory
