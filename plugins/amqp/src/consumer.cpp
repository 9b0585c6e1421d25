#include "consumer.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "delay_topology.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"

namespace jobber::amqp {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds kFirstBackoff{100};
constexpr milliseconds kMaxBackoff{5000};
// Longest sleep of the I/O thread: heartbeats and lease deadlines are checked at least this often.
constexpr milliseconds kMaxIdle{200};
// Frames read per turn, so commands and leases are not starved by a flood of deliveries.
constexpr int kReadsPerTurn = 64;

std::string RandomPrefix() {
    std::random_device device;
    char text[24];
    std::snprintf(text, sizeof(text), "amqp-%08x", static_cast<unsigned>(device()));
    return text;
}

[[noreturn]] void LeaseLost(std::string_view receipt) {
    throw sdk::Error(JOBBER_NOT_FOUND, "no lease with receipt '" + std::string(receipt) +
                                           "' (already acked or requeued, its lease ran out, or the RabbitMQ "
                                           "connection it came on was lost)");
}

}  // namespace

Consumer::Consumer(AmqpSettings settings, std::string instance_name)
    : settings_(std::move(settings)), instance_(std::move(instance_name)), receipt_prefix_(RandomPrefix()) {
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) throw sdk::Error(JOBBER_INTERNAL, "cannot create an eventfd for the AMQP consumer");
    thread_ = std::thread([this] { Run(); });
}

Consumer::~Consumer() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    Wake();
    delivered_.notify_all();
    thread_.join();
    close(wake_fd_);
}

void Consumer::Wake() {
    const uint64_t one = 1;
    // A full counter already means "wake up"; nothing to handle.
    [[maybe_unused]] const ssize_t written = write(wake_fd_, &one, sizeof(one));
}

std::string Consumer::Receipt(uint64_t generation, uint64_t tag) const {
    return receipt_prefix_ + "." + std::to_string(generation) + "." + std::to_string(tag);
}

void Consumer::Want(const std::vector<std::string>& queues) {
    bool added = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& queue : queues) added = wanted_.insert(queue).second || added;
    }
    if (added) Wake();
}

std::optional<Received> Consumer::Next(const std::vector<std::string>& queues, Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        if (stopping_) return std::nullopt;
        if (!connected_ && !last_error_.empty()) throw sdk::Error(JOBBER_UNAVAILABLE, last_error_);
        for (auto it = ready_.begin(); it != ready_.end(); ++it) {
            if (std::find(queues.begin(), queues.end(), it->queue) == queues.end()) continue;
            Received received = std::move(*it);
            ready_.erase(it);
            return received;
        }
        if (delivered_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
    }
}

std::string Consumer::Lease(const Received& received, milliseconds lease) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (received.generation != generation_ || !connected_) return {};
    LeaseEntry& entry = leases_[received.tag];
    entry.message = LeasedMessage{received.queue, received.payload, received.delivery_count};
    entry.deadline = Clock::now() + lease;
    entry.settling = false;
    return Receipt(received.generation, received.tag);
}

void Consumer::Settle(const Received& received, bool ack) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (received.generation != generation_) return;  // RabbitMQ took it back with the old connection
        commands_.push_back(Command{received.generation, received.tag, ack});
    }
    Wake();
}

std::map<uint64_t, Consumer::LeaseEntry>::iterator Consumer::FindLease(std::string_view receipt) {
    // receipt: <prefix>.<generation>.<tag>
    if (receipt.substr(0, receipt_prefix_.size() + 1) != receipt_prefix_ + ".") LeaseLost(receipt);
    const std::string rest(receipt.substr(receipt_prefix_.size() + 1));
    unsigned long long generation = 0, tag = 0;
    char extra = 0;
    if (std::sscanf(rest.c_str(), "%llu.%llu%c", &generation, &tag, &extra) != 2) LeaseLost(receipt);
    if (generation != generation_) LeaseLost(receipt);
    auto it = leases_.find(tag);
    if (it == leases_.end()) LeaseLost(receipt);
    return it;
}

void Consumer::Ack(std::string_view receipt) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = FindLease(receipt);
        if (it->second.settling) LeaseLost(receipt);
        commands_.push_back(Command{generation_, it->first, true});
        leases_.erase(it);
    }
    Wake();
}

void Consumer::Extend(std::string_view receipt, milliseconds lease) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = FindLease(receipt);
    it->second.deadline = Clock::now() + lease;
}

void Consumer::RequeueNow(std::string_view receipt) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = FindLease(receipt);
        if (it->second.settling) LeaseLost(receipt);
        commands_.push_back(Command{generation_, it->first, false});
        leases_.erase(it);
    }
    Wake();
}

LeasedMessage Consumer::BeginRequeue(std::string_view receipt) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = FindLease(receipt);
    if (it->second.settling) LeaseLost(receipt);
    it->second.settling = true;
    return it->second.message;
}

void Consumer::FinishRequeue(std::string_view receipt) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        // The connection may have dropped while the copy was published: then RabbitMQ has the original back as
        // well, and the state store tells the host the copy or the original is stale, whichever comes second.
        auto it = leases_.end();
        try {
            it = FindLease(receipt);
        } catch (const sdk::Error&) {
            return;
        }
        commands_.push_back(Command{generation_, it->first, true});
        leases_.erase(it);
    }
    Wake();
}

void Consumer::AbortRequeue(std::string_view receipt) {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
        FindLease(receipt)->second.settling = false;
    } catch (const sdk::Error&) {
    }
}

// ---- the I/O thread ----

void Consumer::Run() {
    milliseconds backoff{0};
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            if (stopping_) break;
        }
        if (!connection_) {
            if (backoff.count() > 0) {
                pollfd fd{wake_fd_, POLLIN, 0};
                ::poll(&fd, 1, static_cast<int>(backoff.count()));
                uint64_t drained = 0;
                [[maybe_unused]] const ssize_t n = read(wake_fd_, &drained, sizeof(drained));
                std::lock_guard<std::mutex> lock(mutex_);
                if (stopping_) break;
            }
            try {
                Connect();
                backoff = milliseconds(0);
            } catch (const std::exception& e) {
                Disconnect(e.what());
                backoff = std::clamp(backoff * 2, kFirstBackoff, kMaxBackoff);
                continue;
            }
        }
        try {
            Step();
        } catch (const std::exception& e) {
            Disconnect(e.what());
            backoff = kFirstBackoff;
        }
    }
    // Closing the channel hands every unacked delivery (leased or buffered) back to RabbitMQ.
    connection_.reset();
}

void Consumer::Connect() {
    auto connection = std::make_unique<AmqpConnection>(settings_, settings_.heartbeat);
    amqp_basic_qos(connection->get(), kChannel, 0, settings_.prefetch, 0);
    connection->Check(amqp_get_rpc_reply(connection->get()), "basic.qos");
    connection_ = std::move(connection);
    drained_ = false;  // read before the first poll: the handshake may have left something buffered
    bool was_down = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ++generation_;
        was_down = !last_error_.empty();
        connected_ = true;
        last_error_.clear();
        consumed_.clear();
    }
    if (was_down) {
        sdk::Log(sdk::LogLevel::kInfo, instance_, "amqp consumer reconnected to " + settings_.endpoint.Describe());
    }
    delivered_.notify_all();
}

void Consumer::Disconnect(const std::string& reason) {
    const bool had_connection = connection_ != nullptr;
    connection_.reset();
    bool first_failure = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        first_failure = connected_ || last_error_.empty();
        connected_ = false;
        last_error_ = reason;
        ++generation_;
        ready_.clear();
        leases_.clear();
        commands_.clear();
        consumed_.clear();
    }
    delivered_.notify_all();
    if (first_failure) {
        sdk::Log(sdk::LogLevel::kWarning, instance_,
                 std::string(had_connection ? "amqp consumer lost its connection, reconnecting: "
                                            : "amqp consumer cannot connect, retrying with backoff: ") +
                     reason);
    }
}

void Consumer::Step() {
    Subscribe();
    SendCommands();
    WaitForInput();
    drained_ = ReadAvailable();
    amqp_maybe_release_buffers(connection_->get());
}

void Consumer::Subscribe() {
    std::vector<std::string> missing;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& queue : wanted_) {
            if (consumed_.count(queue) == 0) missing.push_back(queue);
        }
    }
    // The RPCs below read from the connection: whatever they leave behind must be read before the next poll.
    if (!missing.empty()) drained_ = false;
    for (const auto& queue : missing) {
        DeclareJobQueue(*connection_, settings_, queue);
        // The queue name is the consumer tag: one consumer per queue on this channel.
        amqp_basic_consume(connection_->get(), kChannel, Bytes(queue), Bytes(queue), 0, 0, 0, amqp_empty_table);
        connection_->Check(amqp_get_rpc_reply(connection_->get()), "basic.consume " + queue);
        std::lock_guard<std::mutex> lock(mutex_);
        consumed_.insert(queue);
    }
}

void Consumer::SendCommands() {
    std::vector<Command> commands;
    uint64_t generation = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        commands.swap(commands_);
        generation = generation_;
        const auto now = Clock::now();
        for (auto it = leases_.begin(); it != leases_.end();) {
            if (!it->second.settling && it->second.deadline <= now) {
                commands.push_back(Command{generation_, it->first, false});
                it = leases_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (const auto& command : commands) {
        if (command.generation != generation) continue;
        const int status = command.ack ? amqp_basic_ack(connection_->get(), kChannel, command.tag, 0)
                                       : amqp_basic_reject(connection_->get(), kChannel, command.tag, 1);
        connection_->CheckStatus(status, command.ack ? "basic.ack" : "basic.reject");
    }
}

void Consumer::WaitForInput() {
    amqp_connection_state_t state = connection_->get();
    // Poll only when the last read ended on "nothing more" (SSL_read said it needs the socket): data in
    // librabbitmq's buffer or already decrypted by OpenSSL would not wake poll. Without TLS the same rule costs
    // nothing.
    if (!drained_ || amqp_frames_enqueued(state) || amqp_data_in_buffer(state)) return;
    milliseconds timeout = kMaxIdle;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ || !commands_.empty()) return;
        if (wanted_.size() != consumed_.size()) return;
        const auto now = Clock::now();
        for (const auto& [tag, entry] : leases_) {
            if (entry.settling) continue;
            const auto left = std::chrono::duration_cast<milliseconds>(entry.deadline - now) + milliseconds(1);
            timeout = std::clamp(left, milliseconds(0), timeout);
        }
    }
    pollfd fds[2] = {{connection_->socket_fd(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    ::poll(fds, 2, static_cast<int>(timeout.count()));
    if ((fds[1].revents & POLLIN) != 0) {
        uint64_t drained = 0;
        [[maybe_unused]] const ssize_t n = read(wake_fd_, &drained, sizeof(drained));
    }
}

bool Consumer::ReadAvailable() {
    amqp_connection_state_t state = connection_->get();
    for (int i = 0; i < kReadsPerTurn; ++i) {
        // 1 µs rather than 0: "return at once" without relying on how librabbitmq reads a zero timeout. Each call
        // also sends a heartbeat when one is due and notices a peer that stopped sending them.
        timeval immediately{0, 1};
        amqp_envelope_t envelope{};
        const amqp_rpc_reply_t reply = amqp_consume_message(state, &envelope, &immediately, 0);
        if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
            Received received;
            received.queue = Text(envelope.consumer_tag);
            received.payload = Text(envelope.message.body);
            received.tag = envelope.delivery_tag;
            const IncomingMeta meta = ReadMeta(envelope.message.properties, envelope.redelivered != 0);
            received.meta = meta.meta;
            received.delivery_count = meta.delivery_count;
            amqp_destroy_envelope(&envelope);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                received.generation = generation_;
                ready_.push_back(std::move(received));
            }
            delivered_.notify_all();
            continue;
        }
        if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_TIMEOUT) {
            return true;
        }
        if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
            reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
            // Something other than a delivery: read it and act on it.
            amqp_frame_t frame{};
            connection_->CheckStatus(amqp_simple_wait_frame(state, &frame), "reading a frame");
            if (frame.frame_type != AMQP_FRAME_METHOD) continue;
            switch (frame.payload.method.id) {
                case AMQP_BASIC_CANCEL_METHOD: {
                    // RabbitMQ cancelled a consumer (its queue was deleted): consume it again next turn.
                    const auto* cancel = static_cast<const amqp_basic_cancel_t*>(frame.payload.method.decoded);
                    std::lock_guard<std::mutex> lock(mutex_);
                    consumed_.erase(Text(cancel->consumer_tag));
                    break;
                }
                case AMQP_CHANNEL_CLOSE_METHOD:
                case AMQP_CONNECTION_CLOSE_METHOD:
                    throw sdk::Error(JOBBER_UNAVAILABLE, "RabbitMQ closed the consumer connection: " +
                                                             connection_->AcknowledgeClose(frame));
                default:
                    break;
            }
            continue;
        }
        connection_->Check(reply, "consuming");
    }
    return false;
}

}  // namespace jobber::amqp
