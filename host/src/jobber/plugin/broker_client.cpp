#include "jobber/plugin/broker_client.hpp"

#include <cstddef>

namespace jobber::plugin {

using jobber::sdk::ErrorSlot;

BrokerClient::BrokerClient(std::shared_ptr<PluginLibrary> library, std::string instance_name, OptionList options)
    : context_(library, "broker", std::move(instance_name), std::move(options)), vtable_(library->broker()) {
    if (vtable_ == nullptr) throw PluginError(JOBBER_INVALID_ARGUMENT, context_.label() + " is not a broker");
    ErrorSlot error;
    context_.Check("open", vtable_->open(context_.open_args(), &handle_, error.get()), error);
}

bool BrokerClient::RedeliversOnlyAfterLease() const {
    return vtable_->struct_size >= offsetof(jobber_broker_vtable, redelivers_only_after_lease) +
                                       sizeof(vtable_->redelivers_only_after_lease) &&
           vtable_->redelivers_only_after_lease != 0;
}

BrokerClient::~BrokerClient() {
    if (handle_ != nullptr) vtable_->close(handle_);
}

void BrokerClient::Push(const std::string& queue, const std::string& payload, int64_t eta_unix_ms) {
    ErrorSlot error;
    context_.Check(
        "push", vtable_->push(handle_, queue.c_str(), payload.data(), payload.size(), eta_unix_ms, error.get()), error);
}

std::optional<Delivery> BrokerClient::Pop(const std::vector<std::string>& queues,
                                          std::chrono::milliseconds wait,
                                          std::chrono::milliseconds lease) {
    std::vector<const char*> names;
    names.reserve(queues.size());
    for (const auto& q : queues) names.push_back(q.c_str());
    jobber_delivery raw{};
    raw.struct_size = sizeof(raw);
    ErrorSlot error;
    const jobber_code code = vtable_->pop(handle_, names.data(), static_cast<uint32_t>(names.size()), wait.count(),
                                          lease.count(), &raw, error.get());
    if (code == JOBBER_DEADLINE_EXCEEDED) return std::nullopt;
    context_.Check("pop", code, error);
    Delivery delivery;
    delivery.payload.assign(raw.payload != nullptr ? raw.payload : "", raw.payload_size);
    delivery.queue = raw.queue != nullptr ? raw.queue : "";
    delivery.receipt = raw.receipt != nullptr ? raw.receipt : "";
    delivery.delivery_count = raw.delivery_count;
    if (raw.release != nullptr) raw.release(&raw);
    return delivery;
}

bool BrokerClient::Ack(const std::string& receipt) {
    ErrorSlot error;
    const jobber_code code = vtable_->ack(handle_, receipt.c_str(), error.get());
    if (code == JOBBER_NOT_FOUND) return false;
    context_.Check("ack", code, error);
    return true;
}

bool BrokerClient::Requeue(const std::string& receipt, int64_t eta_unix_ms) {
    ErrorSlot error;
    const jobber_code code = vtable_->requeue(handle_, receipt.c_str(), eta_unix_ms, error.get());
    if (code == JOBBER_NOT_FOUND) return false;
    context_.Check("requeue", code, error);
    return true;
}

bool BrokerClient::Extend(const std::string& receipt, std::chrono::milliseconds lease) {
    ErrorSlot error;
    const jobber_code code = vtable_->extend(handle_, receipt.c_str(), lease.count(), error.get());
    if (code == JOBBER_NOT_FOUND) return false;
    context_.Check("extend", code, error);
    return true;
}

std::optional<std::vector<PendingMessage>> BrokerClient::ListPending(const std::string& queue, size_t limit) {
    struct Collector {
        std::vector<PendingMessage> messages;
        size_t limit;
    } collector{{}, limit};
    auto visit = [](void* ctx, const jobber_pending_message* m) -> int32_t {
        auto* c = static_cast<Collector*>(ctx);
        c->messages.push_back(PendingMessage{std::string(m->payload, m->payload_size), m->eta_unix_ms});
        return c->messages.size() >= c->limit ? 1 : 0;
    };
    ErrorSlot error;
    const jobber_code code = vtable_->list_pending(handle_, queue.c_str(), visit, &collector, error.get());
    if (code == JOBBER_UNIMPLEMENTED) return std::nullopt;
    context_.Check("list pending", code, error);
    return std::move(collector.messages);
}

bool BrokerClient::BrowsesQueues(const std::string& queue) {
    const int known = browses_.load(std::memory_order_relaxed);
    if (known >= 0) return known == 1;
    try {
        const bool browses = ListPending(queue, 1).has_value();
        browses_.store(browses ? 1 : 0, std::memory_order_relaxed);
        return browses;
    } catch (const std::exception&) {
        return false;
    }
}

void BrokerClient::Ping() {
    ErrorSlot error;
    context_.Check("ping", vtable_->ping(handle_, error.get()), error);
}

}  // namespace jobber::plugin
