#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jobber/plugin/instance_context.hpp"
#include "jobber/sdk/roles.hpp"

namespace jobber::plugin {

// The same owning shape plugin authors see.
using Delivery = jobber::sdk::Delivery;

// Unlike the SDK's view type, owns its payload: the host keeps it after the plugin call.
struct PendingMessage {
    std::string payload;
    int64_t eta_unix_ms = 0;
};

// An open broker instance. Thread-safe, like the plugin contract requires.
class BrokerClient {
public:
    BrokerClient(std::shared_ptr<PluginLibrary> library, std::string instance_name, OptionList options);
    ~BrokerClient();
    BrokerClient(const BrokerClient&) = delete;
    BrokerClient& operator=(const BrokerClient&) = delete;

    void Push(const std::string& queue, const std::string& payload, int64_t eta_unix_ms);
    std::optional<Delivery> Pop(const std::vector<std::string>& queues,
                                std::chrono::milliseconds wait,
                                std::chrono::milliseconds lease);
    // False when the lease was already lost.
    bool Ack(const std::string& receipt);
    bool Requeue(const std::string& receipt, int64_t eta_unix_ms);
    bool Extend(const std::string& receipt, std::chrono::milliseconds lease);
    // nullopt when the broker cannot browse queues.
    std::optional<std::vector<PendingMessage>> ListPending(const std::string& queue, size_t limit);
    // Whether the broker can list what waits in a queue (list_pending works), so that the state store need not
    // keep a queue index for it. Found out once, by listing `queue` up to its first message; while the broker
    // cannot answer (down), the answer is false and asked again next time, so the index is kept rather than lost.
    bool BrowsesQueues(const std::string& queue);
    void Ping();
    // Whether the broker delivers a message again only once its lease has ended (ABI 1.2); false for older
    // plugins, which may redeliver a live lease.
    bool RedeliversOnlyAfterLease() const;

    const std::string& label() const { return context_.label(); }

private:
    InstanceContext context_;
    const jobber_broker_vtable* vtable_;
    jobber_broker* handle_ = nullptr;
    std::atomic<int> browses_{-1};  // -1 not known yet, 0 no, 1 yes
};

}  // namespace jobber::plugin
