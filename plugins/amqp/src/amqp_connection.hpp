// One AMQP 0-9-1 connection with one open channel, through librabbitmq (rabbitmq-c), over TCP or (amqps://) TLS. Not
// thread-safe: librabbitmq connections must be used by one thread at a time, so each owner (a publisher slot, the
// consumer's I/O thread) has its own. Every blocking step is bounded: connect and both handshakes (TLS, AMQP) by
// connect_timeout, every RPC by command_timeout. Any failure marks the connection broken; its owner drops it and
// connects again.
#pragma once

#include <amqp.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "amqp_settings.hpp"
#include "amqp_tls.hpp"

namespace jobber::amqp {

constexpr amqp_channel_t kChannel = 1;

inline amqp_bytes_t Bytes(std::string_view text) {
    return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}

inline std::string Text(amqp_bytes_t bytes) {
    return bytes.len == 0 ? std::string() : std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

class AmqpConnection {
public:
    // Connects, logs in and opens channel 1. `heartbeat` 0 turns heartbeats off (publishers: an idle connection
    // has nobody to service them). Throws sdk::Error: UNAVAILABLE when RabbitMQ cannot be reached or answered too
    // late, INVALID_ARGUMENT when it refuses the login or the vhost (a config error, naming 'url'), and, over TLS,
    // when the server certificate fails verification or the server refuses ours (see ExplainTlsFailure).
    AmqpConnection(const AmqpSettings& settings, std::chrono::seconds heartbeat);
    ~AmqpConnection();
    AmqpConnection(const AmqpConnection&) = delete;
    AmqpConnection& operator=(const AmqpConnection&) = delete;

    amqp_connection_state_t get() const { return state_; }
    // The TCP socket, also under TLS. Over TLS a readable socket is not the whole story (see LooksDead and
    // Consumer::WaitForInput): only read attempts through librabbitmq see what OpenSSL holds.
    int socket_fd() const { return amqp_get_sockfd(state_); }
    bool tls() const { return settings_.endpoint.tls; }
    bool broken() const { return broken_; }
    void MarkBroken() { broken_ = true; }

    // Throws (and marks the connection broken) unless `reply` is normal. `what` names the step for the message.
    void Check(const amqp_rpc_reply_t& reply, std::string_view what);
    // The same for librabbitmq status codes (amqp_basic_publish, amqp_basic_ack, ...).
    void CheckStatus(int status, std::string_view what);
    // Answers a channel.close or connection.close the server sent, marks the connection broken and returns the
    // server's reason ("406 PRECONDITION_FAILED - ...").
    std::string AcknowledgeClose(const amqp_frame_t& frame);
    // True when the server closed the socket or sent something while we were not listening (a pooled idle
    // connection after a RabbitMQ restart): such a connection must not be reused, and is marked broken.
    bool LooksDead();

    const AmqpSettings& settings() const { return settings_; }

private:
    [[noreturn]] void Fail(jobber_code code, const std::string& message);
    // " (OpenSSL: reason)" for a librabbitmq status that came from the TLS layer; empty otherwise.
    std::string TlsDetail(int status) const;

    AmqpSettings settings_;
    TlsVerifyOutcome tls_outcome_;  // the socket's SSL_CTX points here
    amqp_connection_state_t state_ = nullptr;
    bool open_ = false;
    bool broken_ = false;
};

// "timeval" of a duration, for librabbitmq's timeouts.
timeval ToTimeval(std::chrono::milliseconds duration);

}  // namespace jobber::amqp
