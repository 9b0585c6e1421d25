// A thread that listens to the sentinels' +promoted-slave and +switch-master announcements, so a failover is followed
// as soon as the sentinels promote a replica, not when the old master finally refuses a write: after a failover with
// the old master still up (SENTINEL FAILOVER, a partition that heals), the sentinels convert it to a replica only some
// seconds later, and writes it accepts meanwhile are lost when it resyncs from the new master.
//
// One subscription per endpoint, on the first sentinel that answers; on (re)connecting it also asks that sentinel
// where the master is, so an announcement missed while disconnected is not missed for long.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "redis_settings.hpp"

namespace jobber::redis {

// The new master of `master_name` in a sentinel announcement: a +switch-master message, or a +promoted-slave of one
// of its replicas. Nullopt for other channels, other masters and malformed text.
std::optional<RedisAddress> ParseAnnouncement(std::string_view channel,
                                              std::string_view text,
                                              const std::string& master_name);

class SentinelWatcher {
public:
    // `on_master` gets every address the sentinels report for settings.sentinel.master_name: announced or asked.
    // It runs on the watcher's thread.
    using MasterCallback = std::function<void(const RedisAddress& master, const std::string& how)>;

    SentinelWatcher(RedisSettings settings, std::string instance_name, MasterCallback on_master);
    // Wakes the thread and joins it (at most a connect_timeout when it is connecting).
    ~SentinelWatcher();
    SentinelWatcher(const SentinelWatcher&) = delete;
    SentinelWatcher& operator=(const SentinelWatcher&) = delete;

private:
    void Run();
    // Subscribes on one sentinel and reads announcements until the connection fails or Stop; false when it could
    // not even subscribe.
    bool Watch(const RedisAddress& sentinel);
    // Waits up to `ms` or until stopped; true when stopped.
    bool WaitOrStop(int ms);

    const RedisSettings settings_;
    const std::string instance_name_;
    const MasterCallback on_master_;
    int wake_fd_ = -1;  // an eventfd: readable once the destructor wants the thread gone
    std::thread thread_;
};

}  // namespace jobber::redis
