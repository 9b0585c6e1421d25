// What the plugin carries in AMQP message headers, and how a delivery's count is worked out.
//
//   x-jobber-deliveries  deliveries before this copy was published (set when a leased message is requeued for later
//                        or re-sent through the delay tree; absent on a first push)
//   x-jobber-eta         Unix ms before which the message must not run (delayed messages only)
//
// RabbitMQ adds its own: quorum queues count returns (lease expiry, requeue, a consumer's connection dying) in
// x-delivery-count; classic queues only set the `redelivered` flag.
#pragma once

#include <amqp.h>

#include <cstdint>
#include <string>
#include <vector>

namespace jobber::amqp {

struct MessageMeta {
    uint32_t prior_deliveries = 0;
    int64_t eta_unix_ms = 0;
};

// Persistent (delivery_mode 2) properties with the headers of `meta`; the object owns the header table.
class OutgoingProperties {
public:
    explicit OutgoingProperties(const MessageMeta& meta);
    const amqp_basic_properties_t* get() const { return &properties_; }

private:
    std::vector<amqp_table_entry_t> entries_;
    amqp_basic_properties_t properties_{};
};

// Reads our headers and RabbitMQ's count from a delivered message.
struct IncomingMeta {
    MessageMeta meta;
    uint32_t delivery_count = 1;  // 1 on the first delivery
};
IncomingMeta ReadMeta(const amqp_basic_properties_t& properties, bool redelivered);

}  // namespace jobber::amqp
