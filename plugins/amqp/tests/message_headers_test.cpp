// Delivery counts from our headers and RabbitMQ's (x-delivery-count on quorum queues, the redelivered flag on
// classic ones). No server.
#include "message_headers.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace jobber::amqp {
namespace {

amqp_basic_properties_t WithHeaders(std::vector<amqp_table_entry_t>& entries) {
    amqp_basic_properties_t p{};
    p._flags = AMQP_BASIC_HEADERS_FLAG;
    p.headers = amqp_table_t{static_cast<int>(entries.size()), entries.data()};
    return p;
}

amqp_table_entry_t Long(const char* key, int64_t value, uint8_t kind = AMQP_FIELD_KIND_I64) {
    amqp_table_entry_t e{};
    e.key = amqp_cstring_bytes(key);
    e.value.kind = kind;
    if (kind == AMQP_FIELD_KIND_I32) {
        e.value.value.i32 = static_cast<int32_t>(value);
    } else {
        e.value.value.i64 = value;
    }
    return e;
}

TEST(MessageHeadersTest, FirstDeliveryCountsOne) {
    amqp_basic_properties_t none{};
    EXPECT_EQ(ReadMeta(none, false).delivery_count, 1u);
    EXPECT_EQ(ReadMeta(none, false).meta.eta_unix_ms, 0);
}

TEST(MessageHeadersTest, QuorumReturnsAreCountedExactly) {
    std::vector<amqp_table_entry_t> entries{Long("x-delivery-count", 3)};
    EXPECT_EQ(ReadMeta(WithHeaders(entries), true).delivery_count, 4u);
}

TEST(MessageHeadersTest, ClassicRedeliveryCountsAsOneEarlierDelivery) {
    amqp_basic_properties_t none{};
    EXPECT_EQ(ReadMeta(none, true).delivery_count, 2u);
}

TEST(MessageHeadersTest, RepublishedCopiesCarryTheirEarlierDeliveries) {
    std::vector<amqp_table_entry_t> entries{Long("x-jobber-deliveries", 2, AMQP_FIELD_KIND_I32),
                                            Long("x-jobber-eta", 1700000000000), Long("x-delivery-count", 1)};
    const IncomingMeta in = ReadMeta(WithHeaders(entries), true);
    EXPECT_EQ(in.delivery_count, 4u);
    EXPECT_EQ(in.meta.prior_deliveries, 2u);
    EXPECT_EQ(in.meta.eta_unix_ms, 1700000000000);
}

TEST(MessageHeadersTest, OutgoingPropertiesArePersistentAndRoundTrip) {
    const OutgoingProperties out(MessageMeta{5, 1234});
    const amqp_basic_properties_t* p = out.get();
    EXPECT_EQ(p->delivery_mode, 2) << "persistent";
    EXPECT_NE(p->_flags & AMQP_BASIC_DELIVERY_MODE_FLAG, 0u);
    const IncomingMeta in = ReadMeta(*p, false);
    EXPECT_EQ(in.meta.prior_deliveries, 5u);
    EXPECT_EQ(in.meta.eta_unix_ms, 1234);
    EXPECT_EQ(in.delivery_count, 6u);
}

}  // namespace
}  // namespace jobber::amqp
