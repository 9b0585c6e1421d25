#include "redis_broker.hpp"

#include <algorithm>
#include <cstdio>

#include "broker_scripts.hpp"
#include "jobber/sdk/host.hpp"

namespace jobber::redis {

namespace {

using std::chrono::milliseconds;

// Longer waits and leases are cut to a year, so deadlines cannot overflow.
constexpr milliseconds kMaxWait = std::chrono::hours(24 * 365);
constexpr int kListPageSize = 500;

// BLPOP takes seconds with a fraction; 0 would mean "forever", so the shortest wait is 1 ms.
std::string BlockSeconds(milliseconds block) {
    const int64_t ms = std::max<int64_t>(block.count(), 1);
    char text[32];
    std::snprintf(text, sizeof(text), "%lld.%03lld", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000));
    return text;
}

}  // namespace

RedisBroker::RedisBroker(const sdk::OpenArgs& args) : RedisBroker(ParseSettings(args.config), args.instance_name) {}

RedisBroker::RedisBroker(RedisSettings settings, const std::string& instance_name)
    : client_(std::move(settings), instance_name) {
    client_.Probe();
    sdk::Log(sdk::LogLevel::kInfo, instance_name,
             "redis broker opened: address=" + client_.Describe() + " db=" + std::to_string(client_.settings().db) +
                 " key_prefix=" + client_.settings().key_prefix);
}

void RedisBroker::Push(std::string_view queue, std::string_view payload, int64_t eta_unix_ms) {
    if (queue.empty()) throw sdk::Error(JOBBER_INVALID_ARGUMENT, "push needs a queue name");
    const std::string eta = std::to_string(eta_unix_ms);
    client_.Eval(scripts::kPush, {}, {client_.settings().key_prefix, queue, payload, eta});
}

std::optional<sdk::Delivery> RedisBroker::Pop(const std::vector<std::string>& queues,
                                              milliseconds wait,
                                              milliseconds lease) {
    if (queues.empty()) throw sdk::Error(JOBBER_INVALID_ARGUMENT, "pop needs at least one queue name");
    if (lease.count() <= 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "pop needs a positive lease, got " + std::to_string(lease.count()) + " ms");
    }
    wait = std::clamp(wait, milliseconds(0), kMaxWait);
    lease = std::min(lease, kMaxWait);
    const std::string& prefix = client_.settings().key_prefix;
    const std::string lease_text = std::to_string(lease.count());
    std::vector<std::string_view> pop_args{prefix, lease_text};
    std::vector<std::string> wake_keys;
    for (const auto& queue : queues) {
        if (queue.empty()) throw sdk::Error(JOBBER_INVALID_ARGUMENT, "pop got an empty queue name");
        pop_args.push_back(queue);
        wake_keys.push_back(prefix + "w:" + queue);
    }
    const auto give_up_at = std::chrono::steady_clock::now() + wait;
    for (;;) {
        Reply reply = client_.Eval(scripts::kPop, {}, pop_args);
        if (IntegerOf(ElementOf(reply.get(), 0)) == 1) {
            sdk::Delivery delivery;
            delivery.payload = std::string(TextOf(ElementOf(reply.get(), 1)));
            delivery.queue = std::string(TextOf(ElementOf(reply.get(), 2)));
            delivery.receipt = std::string(TextOf(ElementOf(reply.get(), 3)));
            delivery.delivery_count = static_cast<uint32_t>(IntegerOf(ElementOf(reply.get(), 4)));
            return delivery;
        }
        const int64_t next_event_ms = IntegerOf(ElementOf(reply.get(), 1));
        const auto remaining = std::chrono::duration_cast<milliseconds>(give_up_at - std::chrono::steady_clock::now());
        if (remaining.count() <= 0) return std::nullopt;
        if (next_event_ms == 0) continue;
        const milliseconds block = next_event_ms > 0 ? std::min(remaining, milliseconds(next_event_ms)) : remaining;
        // Wakes on a push or requeue to any of the queues (the token they leave), or when something falls due;
        // either way the pop script runs again and decides.
        std::vector<std::string_view> blpop{"BLPOP"};
        blpop.insert(blpop.end(), wake_keys.begin(), wake_keys.end());
        const std::string seconds = BlockSeconds(block);
        blpop.push_back(seconds);
        client_.Blocking(blpop, block);
    }
}

void RedisBroker::Ack(std::string_view receipt) {
    Settle("ack", receipt, 0);
}

void RedisBroker::Requeue(std::string_view receipt, int64_t eta_unix_ms) {
    Settle("requeue", receipt, eta_unix_ms);
}

void RedisBroker::Extend(std::string_view receipt, milliseconds lease) {
    if (lease.count() <= 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "extend needs a positive lease, got " + std::to_string(lease.count()) + " ms");
    }
    Settle("extend", receipt, std::min(lease, kMaxWait).count());
}

void RedisBroker::Settle(std::string_view op, std::string_view receipt, int64_t argument) {
    const std::string argument_text = std::to_string(argument);
    Reply reply = client_.Eval(scripts::kSettle, {}, {client_.settings().key_prefix, op, receipt, argument_text});
    if (IntegerOf(reply.get()) != 1) {
        throw sdk::Error(JOBBER_NOT_FOUND, "no lease with receipt '" + std::string(receipt) +
                                               "' (already acked or requeued, or its lease ran out)");
    }
}

void RedisBroker::ListPending(std::string_view queue, const std::function<bool(const sdk::PendingMessage&)>& visit) {
    const std::string count = std::to_string(kListPageSize);
    for (const char* phase : {"ready", "delayed"}) {
        for (int64_t offset = 0;; offset += kListPageSize) {
            const std::string offset_text = std::to_string(offset);
            Reply reply = client_.Eval(scripts::kListPending, {},
                                       {client_.settings().key_prefix, queue, phase, offset_text, count});
            const int64_t scanned = IntegerOf(ElementOf(reply.get(), 0));
            const redisReply* entries = ElementOf(reply.get(), 1);
            for (size_t i = 0; i + 1 < entries->elements; i += 2) {
                sdk::PendingMessage message{TextOf(entries->element[i]), IntegerOf(entries->element[i + 1])};
                if (!visit(message)) return;
            }
            if (scanned < kListPageSize) break;
        }
    }
}

void RedisBroker::Ping() {
    client_.Command({"PING"});
}

}  // namespace jobber::redis
