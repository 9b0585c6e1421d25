#include "amqp_connection.hpp"

#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <poll.h>

#include "jobber/sdk/error.hpp"

namespace jobber::amqp {

namespace {

std::string ServerReason(uint16_t code, amqp_bytes_t text) {
    return std::to_string(code) + " " + Text(text);
}

// A server-side close of the login (403 ACCESS_REFUSED, 530 NOT_ALLOWED for the vhost) is a config error.
bool IsLoginRefusal(uint16_t code) {
    return code == AMQP_ACCESS_REFUSED || code == AMQP_NOT_ALLOWED;
}

}  // namespace

timeval ToTimeval(std::chrono::milliseconds duration) {
    const int64_t ms = std::max<int64_t>(duration.count(), 0);
    return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

AmqpConnection::AmqpConnection(const AmqpSettings& settings, std::chrono::seconds heartbeat) : settings_(settings) {
    const std::string where = settings_.endpoint.Describe();
    state_ = amqp_new_connection();
    if (state_ == nullptr) throw sdk::Error(JOBBER_INTERNAL, "cannot allocate an AMQP connection");
    amqp_socket_t* socket = nullptr;
    if (tls()) {
        // The OpenSSL error queue is per thread; start clean so every reason read later is this connection's.
        TakeOpenSslError();
        socket = amqp_ssl_socket_new(state_);
        if (socket == nullptr) Fail(JOBBER_INTERNAL, "cannot allocate a TLS socket for " + where);
        try {
            ConfigureTlsSocket(socket, settings_, &tls_outcome_);
        } catch (const sdk::Error& e) {
            Fail(e.code(), e.what());
        }
    } else {
        socket = amqp_tcp_socket_new(state_);
        if (socket == nullptr) Fail(JOBBER_INTERNAL, "cannot allocate a socket for " + where);
    }
    timeval connect_timeout = ToTimeval(settings_.connect_timeout);
    // Over TLS this is the TCP connect and the TLS handshake, both within connect_timeout.
    const int status =
        amqp_socket_open_noblock(socket, settings_.endpoint.host.c_str(), settings_.endpoint.port, &connect_timeout);
    if (status != AMQP_STATUS_OK) {
        if (tls()) {
            const TlsFailure failure = ExplainTlsFailure(settings_, tls_outcome_, status, false);
            if (failure.code != JOBBER_OK) Fail(failure.code, failure.message);
        }
        Fail(JOBBER_UNAVAILABLE, "cannot connect to RabbitMQ at " + where + ": " + amqp_error_string2(status) +
                                     " (is it running and reachable?)");
    }
    amqp_set_handshake_timeout(state_, &connect_timeout);
    timeval rpc_timeout = ToTimeval(settings_.command_timeout);
    amqp_set_rpc_timeout(state_, &rpc_timeout);
    const amqp_rpc_reply_t login = amqp_login(state_, settings_.endpoint.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE,
                                              static_cast<int>(heartbeat.count()), AMQP_SASL_METHOD_PLAIN,
                                              settings_.endpoint.user.c_str(), settings_.endpoint.password.c_str());
    if (login.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && login.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        const auto* close = static_cast<const amqp_connection_close_t*>(login.reply.decoded);
        const std::string reason = ServerReason(close->reply_code, close->reply_text);
        if (IsLoginRefusal(close->reply_code)) {
            Fail(JOBBER_INVALID_ARGUMENT, "RabbitMQ at " + where + " refused the login (" + reason +
                                              "); check the user, password and vhost of config key 'url'");
        }
        Fail(JOBBER_UNAVAILABLE, "RabbitMQ at " + where + " closed the connection at login: " + reason);
    }
    if (tls() && login.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
        // With TLS 1.3 the server checks our certificate after the client's side of the handshake is done, so its
        // refusal (an alert, or only a reset when the alert was lost) arrives here, at the first read or write.
        const TlsFailure failure = ExplainTlsFailure(settings_, tls_outcome_, login.library_error, true);
        if (failure.code != JOBBER_OK) Fail(failure.code, failure.message);
    }
    if (login.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && login.library_error == AMQP_STATUS_CONNECTION_CLOSED) {
        // RabbitMQ drops the socket on a bad password when the client cannot be told otherwise.
        Fail(JOBBER_UNAVAILABLE, "RabbitMQ at " + where +
                                     " closed the connection during login; check the user, password and vhost of "
                                     "config key 'url'");
    }
    Check(login, "login");
    open_ = true;
    amqp_channel_open(state_, kChannel);
    Check(amqp_get_rpc_reply(state_), "channel.open");
}

AmqpConnection::~AmqpConnection() {
    if (state_ == nullptr) return;
    if (open_ && !broken_) {
        // Bounded by the rpc timeout; a failure here changes nothing, the socket is closed below anyway.
        amqp_channel_close(state_, kChannel, AMQP_REPLY_SUCCESS);
        amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(state_);
}

void AmqpConnection::Fail(jobber_code code, const std::string& message) {
    broken_ = true;
    if (!open_ && state_ != nullptr) {
        // Thrown from the constructor: the destructor will not run.
        amqp_destroy_connection(state_);
        state_ = nullptr;
    }
    throw sdk::Error(code, message);
}

void AmqpConnection::Check(const amqp_rpc_reply_t& reply, std::string_view what) {
    const std::string where = " (" + std::string(what) + " on " + settings_.endpoint.Describe() + ")";
    switch (reply.reply_type) {
        case AMQP_RESPONSE_NORMAL:
            return;
        case AMQP_RESPONSE_NONE:
            Fail(JOBBER_UNAVAILABLE, "RabbitMQ sent no reply" + where);
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            Fail(JOBBER_UNAVAILABLE, std::string("RabbitMQ connection failed: ") +
                                         amqp_error_string2(reply.library_error) + TlsDetail(reply.library_error) +
                                         where);
        case AMQP_RESPONSE_SERVER_EXCEPTION: {
            amqp_frame_t frame{};
            frame.frame_type = AMQP_FRAME_METHOD;
            frame.channel = kChannel;
            frame.payload.method = reply.reply;
            const std::string reason = AcknowledgeClose(frame);
            // 406 (a queue declared with other arguments) and 403/404 are not cured by retrying.
            const bool permanent = reason.rfind("406", 0) == 0 || reason.rfind("403", 0) == 0;
            Fail(permanent ? JOBBER_FAILED_PRECONDITION : JOBBER_UNAVAILABLE, "RabbitMQ refused: " + reason + where);
        }
    }
    Fail(JOBBER_INTERNAL, "unknown librabbitmq reply type" + where);
}

void AmqpConnection::CheckStatus(int status, std::string_view what) {
    if (status == AMQP_STATUS_OK) return;
    Fail(JOBBER_UNAVAILABLE, std::string("RabbitMQ connection failed: ") + amqp_error_string2(status) +
                                 TlsDetail(status) + " (" + std::string(what) + " on " + settings_.endpoint.Describe() +
                                 ")");
}

std::string AmqpConnection::TlsDetail(int status) const {
    if (!tls() || (status != AMQP_STATUS_SSL_ERROR && status != AMQP_STATUS_SSL_CONNECTION_FAILED)) return {};
    const std::string reason = TakeOpenSslError();
    return reason.empty() ? std::string() : " (OpenSSL: " + reason + ")";
}

std::string AmqpConnection::AcknowledgeClose(const amqp_frame_t& frame) {
    broken_ = true;
    if (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD) {
        const auto* close = static_cast<const amqp_channel_close_t*>(frame.payload.method.decoded);
        const std::string reason = ServerReason(close->reply_code, close->reply_text);
        amqp_channel_close_ok_t ok{};
        amqp_send_method(state_, frame.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
        return reason;
    }
    if (frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
        const auto* close = static_cast<const amqp_connection_close_t*>(frame.payload.method.decoded);
        const std::string reason = ServerReason(close->reply_code, close->reply_text);
        amqp_connection_close_ok_t ok{};
        amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
        open_ = false;  // nothing more to close politely
        return reason;
    }
    return "unexpected method " + std::to_string(frame.payload.method.id);
}

bool AmqpConnection::LooksDead() {
    if (broken_) return true;
    bool dead = amqp_frames_enqueued(state_) || amqp_data_in_buffer(state_);
    if (!dead && tls()) {
        // Over TLS the socket alone does not tell: a record carrying no AMQP data (a TLS 1.3 session ticket or key
        // update, which TLS-terminating proxies send) makes it readable on a healthy connection, and bytes OpenSSL
        // has already taken off the socket do not make it readable at all. So read, through librabbitmq and
        // SSL_read: on an idle connection (publishers have no heartbeats) the only healthy answer is "nothing
        // within 1 µs"; a frame (a close) or an error (close_notify, EOF, reset) means dead.
        timeval immediately{0, 1};
        amqp_frame_t frame{};
        dead = amqp_simple_wait_frame_noblock(state_, &frame, &immediately) != AMQP_STATUS_TIMEOUT;
        if (dead) TakeOpenSslError();  // the reason does not matter, and must not be reported by a later call
    } else if (!dead) {
        pollfd fd{socket_fd(), POLLIN, 0};
        // Readable while idle means EOF, a reset, or a close the server sent: nothing we want to reuse.
        dead = ::poll(&fd, 1, 0) != 0;
    }
    // No polite close for it: the server has gone or said something we did not wait for.
    if (dead) broken_ = true;
    return dead;
}

}  // namespace jobber::amqp
