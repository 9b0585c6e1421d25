#include "redis_connection.hpp"

#include <poll.h>
#include <sys/time.h>

#include <cerrno>

namespace jobber::redis {

namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

std::string ContextError(const redisContext* context) {
    if (context == nullptr) return "out of memory";
    return context->errstr[0] != '\0' ? std::string(context->errstr) : "error " + std::to_string(context->err);
}

}  // namespace

NodeLogin NodeLogin::DataNode(const RedisSettings& settings) {
    NodeLogin login{settings.username, settings.password, settings.db};
    if (settings.UsesSentinel()) {
        login.unreachable_hint = "the sentinels named it as master; check that it is up, or fix the sentinels";
    }
    return login;
}

NodeLogin NodeLogin::Sentinel(const RedisSettings& settings) {
    // Sentinels have no databases: never SELECT there.
    return NodeLogin{settings.sentinel.username,
                     settings.sentinel.password,
                     0,
                     "sentinel_password",
                     "sentinel_username",
                     "check that redis-sentinel runs there and that `sentinels` is right"};
}

RedisConnection::RedisConnection(const RedisSettings& settings)
    : RedisConnection(settings.address, NodeLogin::DataNode(settings), settings) {}

RedisConnection::RedisConnection(const RedisAddress& address, const NodeLogin& login, const RedisSettings& timeouts)
    : where_(address.Describe()) {
    const timeval connect_timeout = ToTimeval(timeouts.connect_timeout);
    context_ = address.unix_path.empty() ? redisConnectWithTimeout(address.host.c_str(), address.port, connect_timeout)
                                         : redisConnectUnixWithTimeout(address.unix_path.c_str(), connect_timeout);
    // A set-up step failed: nothing of the context outlives the throw.
    const auto fail = [&](const std::string& doing, const std::string& hint) {
        const std::string error = ContextError(context_);
        if (context_ != nullptr) redisFree(context_);
        context_ = nullptr;
        throw sdk::Error(JOBBER_UNAVAILABLE, "cannot " + doing + " Redis at " + where_ + ": " + error + hint);
    };
    if (context_ == nullptr || context_->err != 0) fail("connect to", std::string("; ") + login.unreachable_hint);
    // Notices a peer that vanished without closing the socket (a machine gone) while a pop waits. TCP only: on a
    // unix socket the keep-alive options fail (EOPNOTSUPP), and hiredis would then refuse every later call.
    if (address.unix_path.empty() && redisEnableKeepAlive(context_) != REDIS_OK) fail("enable TCP keep-alive to", "");
    SetTimeout(timeouts.command_timeout);
    if (!login.password.empty()) {
        std::vector<std::string_view> auth{"AUTH"};
        if (!login.username.empty()) auth.push_back(login.username);
        auth.push_back(login.password);
        Reply reply = Call(auth, timeouts.command_timeout);
        if (reply->type == REDIS_REPLY_ERROR) {
            throw LoginRefused("Redis at " + where_ + " refused the login: " + std::string(TextOf(reply.get())) +
                               "; check `" + login.password_key + "` (and `" + login.username_key + "`)");
        }
    }
    if (login.db != 0) {
        const std::string db = std::to_string(login.db);
        Reply reply = Call({"SELECT", db}, timeouts.command_timeout);
        if (reply->type == REDIS_REPLY_ERROR) {
            throw LoginRefused("Redis at " + where_ + " refused database " + db + ": " +
                               std::string(TextOf(reply.get())) + "; check `db`");
        }
    }
}

RedisConnection::~RedisConnection() {
    if (context_ != nullptr) redisFree(context_);
}

std::vector<Reply> RedisConnection::Pipeline(const std::vector<std::vector<std::string_view>>& commands,
                                             std::chrono::milliseconds timeout) {
    if (broken_) throw sdk::Error(JOBBER_UNAVAILABLE, "the connection to Redis at " + where_ + " is broken");
    SetTimeout(timeout);
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& command : commands) {
        argv.clear();
        lengths.clear();
        for (const auto& arg : command) {
            argv.push_back(arg.data());
            lengths.push_back(arg.size());
        }
        if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK) {
            FailIo("sending a command");
        }
    }
    std::vector<Reply> replies;
    replies.reserve(commands.size());
    for (size_t i = 0; i < commands.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) FailIo("reading a reply");
        replies.emplace_back(static_cast<redisReply*>(raw));
    }
    return replies;
}

Reply RedisConnection::Call(const std::vector<std::string_view>& args, std::chrono::milliseconds timeout) {
    std::vector<std::vector<std::string_view>> one{args};
    return std::move(Pipeline(one, timeout).front());
}

bool RedisConnection::StillOpen() const {
    if (broken_ || context_ == nullptr) return false;
    pollfd fd{context_->fd, POLLIN, 0};
    const int ready = poll(&fd, 1, 0);
    // Nothing is outstanding on an idle connection, so anything readable is the server's goodbye (EOF or an
    // error message before it closes).
    return ready == 0;
}

void RedisConnection::SetTimeout(std::chrono::milliseconds timeout) {
    if (timeout == timeout_) return;
    if (redisSetTimeout(context_, ToTimeval(timeout)) != REDIS_OK) FailIo("setting the socket timeout");
    timeout_ = timeout;
}

void RedisConnection::FailIo(const std::string& what) {
    broken_ = true;
    const bool timed_out = context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
    const std::string detail =
        timed_out ? "no reply within " + std::to_string(timeout_.count()) + " ms (timeout)" : ContextError(context_);
    throw sdk::Error(JOBBER_UNAVAILABLE, "Redis at " + where_ + " failed while " + what + ": " + detail +
                                             "; check that redis-server is up and reachable");
}

}  // namespace jobber::redis
