#include "delay_topology.hpp"

#include <algorithm>
#include <vector>

namespace jobber::amqp {

namespace {

// Words of the key before level L's bit: one per higher level.
std::string Wildcards(int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out += "*.";
    return out;
}

class Table {
public:
    void Add(const char* key, int64_t value) {
        amqp_table_entry_t entry{};
        entry.key = amqp_cstring_bytes(key);
        entry.value.kind = AMQP_FIELD_KIND_I64;
        entry.value.value.i64 = value;
        entries_.push_back(entry);
    }
    void Add(const char* key, const std::string& value) {
        strings_.push_back(value);
        amqp_table_entry_t entry{};
        entry.key = amqp_cstring_bytes(key);
        entry.value.kind = AMQP_FIELD_KIND_UTF8;
        entry.value.value.bytes = Bytes(strings_.back());
        entries_.push_back(entry);
    }
    amqp_table_t get() {
        // strings_ may have reallocated since the entries were made: point them at the final copies.
        size_t s = 0;
        for (auto& entry : entries_) {
            if (entry.value.kind == AMQP_FIELD_KIND_UTF8) entry.value.value.bytes = Bytes(strings_[s++]);
        }
        return amqp_table_t{static_cast<int>(entries_.size()), entries_.data()};
    }

private:
    std::vector<amqp_table_entry_t> entries_;
    std::vector<std::string> strings_;
};

void DeclareExchange(AmqpConnection& c, const std::string& name) {
    amqp_exchange_declare(c.get(), kChannel, Bytes(name), amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
    c.Check(amqp_get_rpc_reply(c.get()), "exchange.declare " + name);
}

}  // namespace

std::string DelayName(std::string_view prefix, int level) {
    return std::string(prefix) + ".delay." + std::to_string(level);
}

std::string ReadyExchange(std::string_view prefix) {
    return std::string(prefix) + ".ready";
}

DelayRoute RouteForDelay(std::string_view prefix, int64_t delay_ms, std::string_view queue) {
    delay_ms = std::clamp<int64_t>(delay_ms, 1, kMaxDelayMs);
    std::string key;
    int highest = -1;
    for (int level = kDelayLevels - 1; level >= 0; --level) {
        const bool bit = ((delay_ms >> level) & 1) != 0;
        if (bit && highest < 0) highest = level;
        key += bit ? "1." : "0.";
    }
    key += queue;
    // Publishing to the highest set bit's exchange skips the levels above, which would pass it on anyway.
    return DelayRoute{DelayName(prefix, highest), key};
}

std::string LevelBindingKey(int level, bool bit) {
    return Wildcards(kDelayLevels - 1 - level) + (bit ? "1" : "0") + ".#";
}

std::string ReadyBindingKey(std::string_view queue) {
    return Wildcards(kDelayLevels) + std::string(queue);
}

void DeclareReadyExchange(AmqpConnection& c, std::string_view prefix) {
    DeclareExchange(c, ReadyExchange(prefix));
}

void DeclareDelayTree(AmqpConnection& c, std::string_view prefix) {
    DeclareReadyExchange(c, prefix);
    for (int level = 0; level < kDelayLevels; ++level) {
        const std::string name = DelayName(prefix, level);
        const std::string next = level == 0 ? ReadyExchange(prefix) : DelayName(prefix, level - 1);
        DeclareExchange(c, name);
        Table args;
        args.Add("x-message-ttl", int64_t{1} << level);
        args.Add("x-dead-letter-exchange", next);
        // Classic on purpose: the tree is transit only, and TTL plus dead-lettering are classic queues' home ground.
        args.Add("x-queue-type", std::string("classic"));
        amqp_queue_declare(c.get(), kChannel, Bytes(name), 0, 1, 0, 0, args.get());
        c.Check(amqp_get_rpc_reply(c.get()), "queue.declare " + name);
        amqp_queue_bind(c.get(), kChannel, Bytes(name), Bytes(name), Bytes(LevelBindingKey(level, true)),
                        amqp_empty_table);
        c.Check(amqp_get_rpc_reply(c.get()), "queue.bind " + name);
    }
    // Exchange-to-exchange bindings after every exchange exists.
    for (int level = 0; level < kDelayLevels; ++level) {
        const std::string name = DelayName(prefix, level);
        const std::string next = level == 0 ? ReadyExchange(prefix) : DelayName(prefix, level - 1);
        amqp_exchange_bind(c.get(), kChannel, Bytes(next), Bytes(name), Bytes(LevelBindingKey(level, false)),
                           amqp_empty_table);
        c.Check(amqp_get_rpc_reply(c.get()), "exchange.bind " + name);
    }
}

void DeclareJobQueue(AmqpConnection& c, const AmqpSettings& settings, std::string_view queue) {
    const std::string name(queue);
    DeclareReadyExchange(c, settings.topology_prefix);
    Table args;
    args.Add("x-queue-type", std::string(settings.queue_type == QueueType::kQuorum ? "quorum" : "classic"));
    amqp_queue_declare(c.get(), kChannel, Bytes(name), 0, 1, 0, 0, args.get());
    c.Check(amqp_get_rpc_reply(c.get()), "queue.declare " + name);
    amqp_queue_bind(c.get(), kChannel, Bytes(name), Bytes(ReadyExchange(settings.topology_prefix)),
                    Bytes(ReadyBindingKey(queue)), amqp_empty_table);
    c.Check(amqp_get_rpc_reply(c.get()), "queue.bind " + name);
}

}  // namespace jobber::amqp
