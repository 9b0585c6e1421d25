#include "memory_broker.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"

namespace jobber::memory {

namespace {

using std::chrono::milliseconds;

// Longer waits are clamped so `now + wait` cannot overflow the clock.
constexpr milliseconds kMaxWait = std::chrono::hours(24 * 365);

int64_t NowUnixMs() {
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

size_t ReadMaxQueueLength(const sdk::Config& config) {
    const int64_t value = config.GetInt("max_queue_length", 0);
    if (value < 0) {
        throw sdk::Error(
            JOBBER_INVALID_ARGUMENT,
            "config key 'max_queue_length' must be 0 (unlimited) or positive, got " + std::to_string(value));
    }
    return static_cast<size_t>(value);
}

std::string RandomReceiptPrefix() {
    std::random_device device;
    char prefix[24];
    std::snprintf(prefix, sizeof(prefix), "mem-%08x%08x-", device(), device());
    return prefix;
}

}  // namespace

MemoryBroker::MemoryBroker(const sdk::OpenArgs& args)
    : instance_name_(args.instance_name),
      max_queue_length_(ReadMaxQueueLength(args.config)),
      receipt_prefix_(RandomReceiptPrefix()) {
    sdk::Log(sdk::LogLevel::kInfo, instance_name_,
             "memory broker opened: max_queue_length=" + std::to_string(max_queue_length_) +
                 " (messages live in this process only)");
}

const std::vector<jobber_config_field>& MemoryBroker::ConfigFields() {
    static const std::vector<jobber_config_field> fields = {
        {"max_queue_length", JOBBER_FIELD_INT, 0, "0",
         "most ready plus delayed messages one queue may hold; push fails with UNAVAILABLE beyond it; 0 = unlimited"},
    };
    return fields;
}

void MemoryBroker::Push(std::string_view queue, std::string_view payload, int64_t eta_unix_ms) {
    if (queue.empty()) throw sdk::Error(JOBBER_INVALID_ARGUMENT, "push needs a queue name");
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const int64_t now_unix_ms = NowUnixMs();
        PromoteLocked(now_unix_ms, std::chrono::steady_clock::now());
        if (max_queue_length_ != 0) {
            auto it = queues_.find(queue);
            const size_t held = it == queues_.end() ? 0 : it->second.ready.size() + it->second.delayed;
            if (held >= max_queue_length_) {
                throw sdk::Error(JOBBER_UNAVAILABLE, "queue '" + std::string(queue) + "' is full (" +
                                                         std::to_string(held) +
                                                         " messages); raise max_queue_length or add workers");
            }
        }
        EnqueueLocked(Message{std::string(queue), std::string(payload), 0}, eta_unix_ms, now_unix_ms);
    }
    // Every waiter is woken, not one: waiters may watch other queues, and a delayed message may move
    // their next wake-up earlier.
    changed_.notify_all();
}

std::optional<sdk::Delivery> MemoryBroker::Pop(const std::vector<std::string>& queues,
                                               milliseconds wait,
                                               milliseconds lease) {
    if (queues.empty()) throw sdk::Error(JOBBER_INVALID_ARGUMENT, "pop needs at least one queue name");
    if (lease.count() <= 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "pop needs a positive lease, got " + std::to_string(lease.count()) + " ms");
    }
    wait = std::clamp(wait, milliseconds(0), kMaxWait);
    std::unique_lock<std::mutex> lock(mutex_);
    const SteadyTime give_up_at = std::chrono::steady_clock::now() + wait;
    for (;;) {
        const SteadyTime now = std::chrono::steady_clock::now();
        const int64_t now_unix_ms = NowUnixMs();
        PromoteLocked(now_unix_ms, now);
        if (auto delivery = TakeOldestLocked(queues, now, lease)) return delivery;
        if (now >= give_up_at) return std::nullopt;
        changed_.wait_until(lock, NextEventLocked(now_unix_ms, now, give_up_at));
    }
}

void MemoryBroker::Ack(std::string_view receipt) {
    std::lock_guard<std::mutex> lock(mutex_);
    PromoteLocked(NowUnixMs(), std::chrono::steady_clock::now());
    EraseLeaseLocked(FindLeaseLocked(receipt));
}

void MemoryBroker::Requeue(std::string_view receipt, int64_t eta_unix_ms) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const int64_t now_unix_ms = NowUnixMs();
        PromoteLocked(now_unix_ms, std::chrono::steady_clock::now());
        auto lease = FindLeaseLocked(receipt);
        Message message = std::move(lease->second.message);
        EraseLeaseLocked(lease);
        EnqueueLocked(std::move(message), eta_unix_ms, now_unix_ms);
    }
    changed_.notify_all();
}

void MemoryBroker::Extend(std::string_view receipt, milliseconds lease) {
    if (lease.count() <= 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "extend needs a positive lease, got " + std::to_string(lease.count()) + " ms");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    const SteadyTime now = std::chrono::steady_clock::now();
    PromoteLocked(NowUnixMs(), now);
    auto it = FindLeaseLocked(receipt);
    lease_deadlines_.erase({it->second.deadline, it->first});
    it->second.deadline = now + std::min(lease, kMaxWait);
    lease_deadlines_.emplace(it->second.deadline, it->first);
}

void MemoryBroker::ListPending(std::string_view queue, const std::function<bool(const sdk::PendingMessage&)>& visit) {
    std::vector<std::pair<std::string, int64_t>> snapshot;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        PromoteLocked(NowUnixMs(), std::chrono::steady_clock::now());
        auto it = queues_.find(queue);
        if (it == queues_.end()) return;
        snapshot.reserve(it->second.ready.size() + it->second.delayed);
        for (const auto& [sequence, message] : it->second.ready) snapshot.emplace_back(message.payload, 0);
        // Delayed messages of all queues share one index; a queue's own are found by scanning it.
        for (const auto& [key, message] : delayed_) {
            if (message.queue == queue) snapshot.emplace_back(message.payload, key.first);
        }
    }
    for (const auto& [payload, eta_unix_ms] : snapshot) {
        if (!visit(sdk::PendingMessage{payload, eta_unix_ms})) return;
    }
}

size_t MemoryBroker::QueueCount() {
    std::lock_guard<std::mutex> lock(mutex_);
    return queues_.size();
}

size_t MemoryBroker::LeaseCount() {
    std::lock_guard<std::mutex> lock(mutex_);
    return leases_.size();
}

void MemoryBroker::PromoteLocked(int64_t now_unix_ms, SteadyTime now) {
    while (!delayed_.empty() && delayed_.begin()->first.first <= now_unix_ms) {
        auto node = delayed_.extract(delayed_.begin());
        auto queue = queues_.find(node.mapped().queue);
        --queue->second.delayed;
        EnqueueReadyLocked(std::move(node.mapped()), next_sequence_++);
    }
    while (!lease_deadlines_.empty() && lease_deadlines_.begin()->first <= now) {
        auto lease = leases_.find(lease_deadlines_.begin()->second);
        lease_deadlines_.erase(lease_deadlines_.begin());
        // The old sequence number puts it back at the head: it was the oldest when it was popped.
        EnqueueReadyLocked(std::move(lease->second.message), lease->second.sequence);
        leases_.erase(lease);
    }
}

void MemoryBroker::EnqueueReadyLocked(Message message, uint64_t sequence) {
    auto queue = queues_.try_emplace(message.queue).first;
    queue->second.ready.emplace(sequence, std::move(message));
}

void MemoryBroker::EnqueueLocked(Message message, int64_t eta_unix_ms, int64_t now_unix_ms) {
    if (eta_unix_ms <= now_unix_ms) {
        EnqueueReadyLocked(std::move(message), next_sequence_++);
        return;
    }
    auto queue = queues_.try_emplace(message.queue).first;
    ++queue->second.delayed;
    delayed_.emplace(std::make_pair(eta_unix_ms, next_sequence_++), std::move(message));
}

std::optional<sdk::Delivery> MemoryBroker::TakeOldestLocked(const std::vector<std::string>& queues,
                                                            SteadyTime now,
                                                            milliseconds lease) {
    auto oldest = queues_.end();
    for (const auto& name : queues) {
        auto it = queues_.find(name);
        if (it == queues_.end() || it->second.ready.empty()) continue;
        if (oldest == queues_.end() || it->second.ready.begin()->first < oldest->second.ready.begin()->first) {
            oldest = it;
        }
    }
    if (oldest == queues_.end()) return std::nullopt;

    auto node = oldest->second.ready.extract(oldest->second.ready.begin());
    ForgetQueueIfEmptyLocked(oldest);
    Message& message = node.mapped();
    ++message.deliveries;
    sdk::Delivery delivery{message.payload, message.queue, receipt_prefix_ + std::to_string(next_receipt_++),
                           message.deliveries};
    const SteadyTime deadline = now + std::min(lease, kMaxWait);
    leases_.emplace(delivery.receipt, Lease{std::move(message), node.key(), deadline});
    lease_deadlines_.emplace(deadline, delivery.receipt);
    return delivery;
}

MemoryBroker::SteadyTime MemoryBroker::NextEventLocked(int64_t now_unix_ms, SteadyTime now, SteadyTime limit) const {
    SteadyTime next = limit;
    if (!delayed_.empty()) {
        const int64_t due_in_ms = std::min(delayed_.begin()->first.first - now_unix_ms, kMaxWait.count());
        next = std::min(next, now + milliseconds(due_in_ms));
    }
    if (!lease_deadlines_.empty()) next = std::min(next, lease_deadlines_.begin()->first);
    return next;
}

std::unordered_map<std::string, MemoryBroker::Lease>::iterator MemoryBroker::FindLeaseLocked(std::string_view receipt) {
    auto it = leases_.find(std::string(receipt));
    if (it == leases_.end()) {
        throw sdk::Error(JOBBER_NOT_FOUND, "no lease with receipt '" + std::string(receipt) +
                                               "' (already acked or requeued, or its lease ran out)");
    }
    return it;
}

void MemoryBroker::EraseLeaseLocked(std::unordered_map<std::string, Lease>::iterator lease) {
    lease_deadlines_.erase({lease->second.deadline, lease->first});
    leases_.erase(lease);
}

void MemoryBroker::ForgetQueueIfEmptyLocked(std::map<std::string, Queue, std::less<>>::iterator queue) {
    if (queue->second.ready.empty() && queue->second.delayed == 0) queues_.erase(queue);
}

}  // namespace jobber::memory
