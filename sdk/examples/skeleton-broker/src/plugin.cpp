// Skeleton broker: a queue with leases (at-least-once delivery). Replace every TODO; the SDK turns
// exceptions into status codes, so throw jobber::sdk::Error with the most specific code.
// Check it with the broker contract suite (jobber/testing/broker_contract.hpp).
#include "jobber/sdk/plugin.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using jobber::sdk::Error;

class SkeletonBroker : public jobber::sdk::Broker {
public:
    // Config arrives validated against ConfigFields(), with defaults filled in.
    explicit SkeletonBroker(const jobber::sdk::OpenArgs& args) : url_(args.config.RequireString("url")) {
        // TODO: connect (or connect lazily); throw Error(JOBBER_UNAVAILABLE, ...) naming url_ on failure.
    }

    static const std::vector<jobber_config_field>& ConfigFields() {
        static const std::vector<jobber_config_field> fields = {
            {"url", JOBBER_FIELD_STRING, 1, nullptr, "where the broker listens"},
        };
        return fields;
    }

    // OK only once the broker has accepted the message. eta 0 = deliverable now.
    void Push(std::string_view /*queue*/, std::string_view /*payload*/, int64_t /*eta_unix_ms*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: push");
    }
    // Lease the oldest ready message of any of `queues`; nullopt when nothing came within `wait`.
    std::optional<jobber::sdk::Delivery> Pop(const std::vector<std::string>& /*queues*/,
                                             std::chrono::milliseconds /*wait*/,
                                             std::chrono::milliseconds /*lease*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: pop");
    }
    // Throw Error(JOBBER_NOT_FOUND) when the lease was lost.
    void Ack(std::string_view /*receipt*/) override { throw Error(JOBBER_UNIMPLEMENTED, "TODO: ack"); }
    void Requeue(std::string_view /*receipt*/, int64_t /*eta_unix_ms*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: requeue");
    }
    void Extend(std::string_view /*receipt*/, std::chrono::milliseconds /*lease*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: extend");
    }
    // ListPending is optional: the default throws UNIMPLEMENTED, which the host reports as such.
    void Ping() override {
        // TODO: a cheap round trip; throw Error(JOBBER_UNAVAILABLE, ...) when unreachable.
    }

private:
    std::string url_;
};

}  // namespace

JOBBER_PLUGIN("skeleton_broker", "0.1.0", "Skeleton broker (replace me)", jobber::sdk::BrokerRole<SkeletonBroker>)
