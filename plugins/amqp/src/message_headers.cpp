#include "message_headers.hpp"

#include <algorithm>
#include <cstring>

namespace jobber::amqp {

namespace {

constexpr const char* kDeliveriesHeader = "x-jobber-deliveries";
constexpr const char* kEtaHeader = "x-jobber-eta";
constexpr const char* kRabbitDeliveryCount = "x-delivery-count";

bool KeyIs(const amqp_bytes_t& key, const char* name) {
    const size_t n = std::strlen(name);
    return key.len == n && std::memcmp(key.bytes, name, n) == 0;
}

// Integer header values arrive in whichever width the sender chose.
bool AsInteger(const amqp_field_value_t& value, int64_t* out) {
    switch (value.kind) {
        case AMQP_FIELD_KIND_I8:
            *out = value.value.i8;
            return true;
        case AMQP_FIELD_KIND_U8:
            *out = value.value.u8;
            return true;
        case AMQP_FIELD_KIND_I16:
            *out = value.value.i16;
            return true;
        case AMQP_FIELD_KIND_U16:
            *out = value.value.u16;
            return true;
        case AMQP_FIELD_KIND_I32:
            *out = value.value.i32;
            return true;
        case AMQP_FIELD_KIND_U32:
            *out = value.value.u32;
            return true;
        case AMQP_FIELD_KIND_I64:
            *out = value.value.i64;
            return true;
        case AMQP_FIELD_KIND_U64:
            *out = static_cast<int64_t>(value.value.u64);
            return true;
        default:
            return false;
    }
}

amqp_table_entry_t Entry(const char* key, int64_t value) {
    amqp_table_entry_t entry{};
    entry.key = amqp_cstring_bytes(key);
    entry.value.kind = AMQP_FIELD_KIND_I64;
    entry.value.value.i64 = value;
    return entry;
}

}  // namespace

OutgoingProperties::OutgoingProperties(const MessageMeta& meta) {
    if (meta.prior_deliveries > 0) entries_.push_back(Entry(kDeliveriesHeader, meta.prior_deliveries));
    if (meta.eta_unix_ms > 0) entries_.push_back(Entry(kEtaHeader, meta.eta_unix_ms));
    properties_._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_HEADERS_FLAG;
    properties_.delivery_mode = 2;  // persistent
    properties_.headers = amqp_table_t{static_cast<int>(entries_.size()), entries_.data()};
}

IncomingMeta ReadMeta(const amqp_basic_properties_t& properties, bool redelivered) {
    IncomingMeta in;
    bool rabbit_counted = false;
    int64_t returns = 0;
    if ((properties._flags & AMQP_BASIC_HEADERS_FLAG) != 0) {
        for (int i = 0; i < properties.headers.num_entries; ++i) {
            const amqp_table_entry_t& entry = properties.headers.entries[i];
            int64_t value = 0;
            if (!AsInteger(entry.value, &value)) continue;
            if (KeyIs(entry.key, kDeliveriesHeader)) {
                in.meta.prior_deliveries = static_cast<uint32_t>(std::clamp<int64_t>(value, 0, 1000000));
            } else if (KeyIs(entry.key, kEtaHeader)) {
                in.meta.eta_unix_ms = value;
            } else if (KeyIs(entry.key, kRabbitDeliveryCount)) {
                rabbit_counted = true;
                returns = std::clamp<int64_t>(value, 0, 1000000);
            }
        }
    }
    // Classic queues say only "delivered before": count that as one earlier delivery (a lower bound).
    if (!rabbit_counted && redelivered) returns = 1;
    in.delivery_count = in.meta.prior_deliveries + static_cast<uint32_t>(returns) + 1;
    return in;
}

}  // namespace jobber::amqp
