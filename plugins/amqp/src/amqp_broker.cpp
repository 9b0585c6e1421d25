#include "amqp_broker.hpp"

#include <algorithm>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"

namespace jobber::amqp {

namespace {

using std::chrono::milliseconds;

// Longer waits and leases are cut to a year, so deadlines cannot overflow.
constexpr milliseconds kMaxWait = std::chrono::hours(24 * 365);
// A delivery whose eta is at most this far ahead counts as due (the delay tree never delivers early, so an early
// arrival means a delay longer than the tree or another host's clock).
constexpr int64_t kDueSlackMs = 5;

int64_t NowUnixMs() {
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

AmqpBroker::AmqpBroker(const sdk::OpenArgs& args) : AmqpBroker(ParseSettings(args.config), args.instance_name) {}

AmqpBroker::AmqpBroker(AmqpSettings settings, const std::string& instance_name)
    : settings_(std::move(settings)), publisher_(settings_), consumer_(settings_, instance_name) {
    try {
        publisher_.Probe();
    } catch (const sdk::Error& e) {
        // A refused login is a config error; an unreachable RabbitMQ is not (the process serves and answers 503
        // until it is back).
        if (e.code() != JOBBER_UNAVAILABLE) throw;
        sdk::Log(sdk::LogLevel::kWarning, instance_name, std::string("amqp broker opened but ") + e.what());
    }
    std::string tls;
    if (settings_.endpoint.tls) {
        const TlsSettings& t = settings_.tls;
        tls = std::string(" tls_ca_file=") + (t.ca_file.empty() ? "(system store)" : t.ca_file) +
              " tls_cert_file=" + (t.cert_file.empty() ? "(none)" : t.cert_file) +
              " tls_verify_peer=" + (t.verify_peer ? "true" : "false") +
              " tls_verify_hostname=" + (t.verify_hostname ? "true" : "false");
        if (!t.verify_peer) {
            sdk::Log(sdk::LogLevel::kWarning, instance_name,
                     "amqp broker: tls_verify_peer is false: the connection to " + settings_.endpoint.Describe() +
                         " is encrypted but the server is not authenticated");
        }
    }
    sdk::Log(sdk::LogLevel::kInfo, instance_name,
             "amqp broker opened: url=" + settings_.endpoint.Describe() +
                 " queue_type=" + (settings_.queue_type == QueueType::kQuorum ? "quorum" : "classic") + " prefetch=" +
                 std::to_string(settings_.prefetch) + " topology_prefix=" + settings_.topology_prefix + tls);
}

void AmqpBroker::CheckQueueName(std::string_view queue) {
    if (!IsValidQueueName(queue)) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "queue name '" + std::string(queue.substr(0, 140)) +
                                                      "' is not 1-128 characters of A-Z a-z 0-9 _ . : -");
    }
}

void AmqpBroker::Push(std::string_view queue, std::string_view payload, int64_t eta_unix_ms) {
    CheckQueueName(queue);
    publisher_.Publish(queue, payload, MessageMeta{0, eta_unix_ms});
}

std::optional<sdk::Delivery> AmqpBroker::Pop(const std::vector<std::string>& queues,
                                             milliseconds wait,
                                             milliseconds lease) {
    if (queues.empty()) throw sdk::Error(JOBBER_INVALID_ARGUMENT, "pop needs at least one queue name");
    for (const auto& queue : queues) CheckQueueName(queue);
    if (lease.count() <= 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "pop needs a positive lease, got " + std::to_string(lease.count()) + " ms");
    }
    wait = std::clamp(wait, milliseconds(0), kMaxWait);
    lease = std::min(lease, kMaxWait);
    consumer_.Want(queues);
    const auto deadline = Consumer::Clock::now() + wait;
    for (;;) {
        std::optional<Received> received = consumer_.Next(queues, deadline);
        if (!received) return std::nullopt;
        if (received->meta.eta_unix_ms > NowUnixMs() + kDueSlackMs) {
            // Arrived before its eta (a delay longer than the tree holds, or a clock ahead of ours): round again.
            try {
                publisher_.Publish(received->queue, received->payload,
                                   MessageMeta{received->delivery_count - 1, received->meta.eta_unix_ms});
            } catch (const sdk::Error&) {
                consumer_.Settle(*received, false);
                throw;
            }
            consumer_.Settle(*received, true);
            continue;
        }
        std::string receipt = consumer_.Lease(*received, lease);
        if (receipt.empty()) continue;  // its connection dropped meanwhile; RabbitMQ delivers it again
        sdk::Delivery delivery;
        delivery.payload = std::move(received->payload);
        delivery.queue = std::move(received->queue);
        delivery.receipt = std::move(receipt);
        delivery.delivery_count = received->delivery_count;
        return delivery;
    }
}

void AmqpBroker::Ack(std::string_view receipt) {
    consumer_.Ack(receipt);
}

void AmqpBroker::Requeue(std::string_view receipt, int64_t eta_unix_ms) {
    if (eta_unix_ms <= NowUnixMs() + kDueSlackMs) {
        // RabbitMQ puts it back where it was and counts the return.
        consumer_.RequeueNow(receipt);
        return;
    }
    // For later: a confirmed copy into the delay tree carrying the deliveries so far, then the original is acked.
    const LeasedMessage message = consumer_.BeginRequeue(receipt);
    try {
        publisher_.Publish(message.queue, message.payload, MessageMeta{message.delivery_count, eta_unix_ms});
    } catch (...) {
        consumer_.AbortRequeue(receipt);
        throw;
    }
    consumer_.FinishRequeue(receipt);
}

void AmqpBroker::Extend(std::string_view receipt, milliseconds lease) {
    if (lease.count() <= 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "extend needs a positive lease, got " + std::to_string(lease.count()) + " ms");
    }
    consumer_.Extend(receipt, std::min(lease, kMaxWait));
}

void AmqpBroker::Ping() {
    publisher_.Ping();
}

}  // namespace jobber::amqp
