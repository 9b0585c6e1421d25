#include "sentinel_watcher.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string_view>
#include <vector>

#include "jobber/sdk/host.hpp"
#include "redis_reply.hpp"

namespace jobber::redis {

namespace {

constexpr int kRetryMs = 1000;  // between rounds over the sentinels when none could be subscribed to

struct ContextDeleter {
    void operator()(redisContext* context) const { redisFree(context); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

timeval ToTimeval(std::chrono::milliseconds ms) {
    return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

Reply Command(redisContext* context, const std::vector<std::string_view>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    return Reply(static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

// A logged-in connection to `sentinel`, or null.
Context ConnectTo(const RedisAddress& sentinel, const RedisSettings& settings) {
    const timeval connect_timeout = ToTimeval(settings.connect_timeout);
    Context context(sentinel.unix_path.empty()
                        ? redisConnectWithTimeout(sentinel.host.c_str(), sentinel.port, connect_timeout)
                        : redisConnectUnixWithTimeout(sentinel.unix_path.c_str(), connect_timeout));
    if (context == nullptr || context->err != 0) return nullptr;
    redisEnableKeepAlive(context.get());
    redisSetTimeout(context.get(), ToTimeval(settings.command_timeout));
    const auto& login = settings.sentinel;
    if (!login.password.empty()) {
        std::vector<std::string_view> auth{"AUTH"};
        if (!login.username.empty()) auth.push_back(login.username);
        auth.push_back(login.password);
        Reply reply = Command(context.get(), auth);
        if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) return nullptr;
    }
    return context;
}

bool IsText(const redisReply* reply) {
    return reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS;
}

}  // namespace

std::optional<RedisAddress> ParseAnnouncement(std::string_view channel,
                                              std::string_view text,
                                              const std::string& master_name) {
    std::istringstream fields{std::string(text)};
    std::string name, host;
    int port = 0;
    if (channel == "+switch-master") {
        // "<name> <old-ip> <old-port> <new-ip> <new-port>"
        std::string old_host, old_port;
        if (!(fields >> name >> old_host >> old_port >> host >> port)) return std::nullopt;
    } else if (channel == "+promoted-slave") {
        // "slave <ip>:<port> <ip> <port> @ <name> <master-ip> <master-port>"
        std::string kind, id, at;
        if (!(fields >> kind >> id >> host >> port >> at >> name) || kind != "slave" || at != "@") return std::nullopt;
    } else {
        return std::nullopt;
    }
    if (name != master_name || port < 1 || port > 65535) return std::nullopt;
    RedisAddress master;
    master.host = host;
    master.port = port;
    return master;
}

SentinelWatcher::SentinelWatcher(RedisSettings settings, std::string instance_name, MasterCallback on_master)
    : settings_(std::move(settings)), instance_name_(std::move(instance_name)), on_master_(std::move(on_master)) {
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) {
        // Without it the thread could not be stopped; failovers are then followed on errors only.
        sdk::Log(sdk::LogLevel::kWarning, instance_name_, "cannot create an eventfd; not watching the sentinels");
        return;
    }
    thread_ = std::thread([this] { Run(); });
}

SentinelWatcher::~SentinelWatcher() {
    if (wake_fd_ < 0) return;
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = write(wake_fd_, &one, sizeof(one));
    if (thread_.joinable()) thread_.join();
    close(wake_fd_);
}

bool SentinelWatcher::WaitOrStop(int ms) {
    pollfd wake{wake_fd_, POLLIN, 0};
    return poll(&wake, 1, ms) > 0;
}

void SentinelWatcher::Run() {
    for (;;) {
        for (const auto& sentinel : settings_.sentinel.sentinels) {
            Watch(sentinel);
            if (WaitOrStop(0)) return;
        }
        if (WaitOrStop(kRetryMs)) return;
    }
}

bool SentinelWatcher::Watch(const RedisAddress& sentinel) {
    const std::string& name = settings_.sentinel.master_name;
    Context context = ConnectTo(sentinel, settings_);
    if (context == nullptr) return false;
    // Subscribe first, then ask: a switch between the two is seen one way or the other. A subscribed connection
    // takes no other commands, so the question goes on a second one.
    Reply subscribed = Command(context.get(), {"SUBSCRIBE", "+switch-master", "+promoted-slave"});
    if (subscribed == nullptr || subscribed->type != REDIS_REPLY_ARRAY) return false;
    if (Context asker = ConnectTo(sentinel, settings_)) {
        Reply where = Command(asker.get(), {"SENTINEL", "get-master-addr-by-name", name});
        if (where != nullptr && where->type == REDIS_REPLY_ARRAY && where->elements == 2 && IsText(where->element[0]) &&
            IsText(where->element[1])) {
            RedisAddress master;
            master.host = std::string(where->element[0]->str, where->element[0]->len);
            master.port = std::atoi(std::string(where->element[1]->str, where->element[1]->len).c_str());
            on_master_(master, "sentinel " + sentinel.Describe() + " names it");
        }
    }
    for (;;) {
        void* raw = nullptr;
        if (redisGetReplyFromReader(context.get(), &raw) != REDIS_OK) return true;
        if (raw != nullptr) {
            Reply message(static_cast<redisReply*>(raw));
            // ["message", channel, text]; the subscribe confirmations end in a count and are skipped.
            if (message->type != REDIS_REPLY_ARRAY || message->elements != 3 || !IsText(message->element[1]) ||
                !IsText(message->element[2])) {
                continue;
            }
            const std::string channel(message->element[1]->str, message->element[1]->len);
            const auto master =
                ParseAnnouncement(channel, std::string_view(message->element[2]->str, message->element[2]->len), name);
            if (master) on_master_(*master, "sentinel " + sentinel.Describe() + " announced " + channel);
            continue;
        }
        pollfd fds[2] = {{context->fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) continue;  // EINTR
        if ((fds[1].revents & POLLIN) != 0) return true;
        if (fds[0].revents != 0 && redisBufferRead(context.get()) != REDIS_OK) {
            sdk::Log(sdk::LogLevel::kDebug, instance_name_,
                     "lost the subscription on sentinel " + sentinel.Describe() + "; trying the sentinels again");
            return true;
        }
    }
}

}  // namespace jobber::redis
