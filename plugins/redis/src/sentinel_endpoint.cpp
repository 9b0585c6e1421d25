#include "sentinel_endpoint.hpp"

#include <algorithm>

#include "jobber/sdk/host.hpp"
#include "sentinel_discovery.hpp"

namespace jobber::redis {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kFirstBackoff{100};
constexpr milliseconds kMaxBackoff{1000};

std::string List(const std::vector<RedisAddress>& addresses) {
    std::string list;
    for (const auto& address : addresses) list += (list.empty() ? "" : ",") + address.Describe();
    return list;
}

}  // namespace

SentinelEndpoint::SentinelEndpoint(RedisSettings settings, std::string instance_name)
    : settings_(std::move(settings)),
      instance_name_(std::move(instance_name)),
      sentinels_(settings_.sentinel.sentinels),
      watcher_(settings_, instance_name_, [this](const RedisAddress& master, const std::string& how) {
          Announced(master, how);
      }) {}

milliseconds SentinelEndpoint::Backoff(int failures) {
    milliseconds wait = kFirstBackoff;
    for (int i = 1; i < failures && wait < kMaxBackoff; ++i) wait *= 2;
    return std::min(wait, kMaxBackoff);
}

std::unique_ptr<RedisConnection> SentinelEndpoint::Connect() {
    const auto [master, epoch] = Master();
    std::unique_ptr<RedisConnection> connection;
    std::string role;
    try {
        connection = std::make_unique<RedisConnection>(master, NodeLogin::DataNode(settings_), settings_);
        // Checked on every new connection, not only at discovery: the master may have been demoted since.
        if (CheckRole(*connection, settings_.command_timeout, &role) != NodeRole::kNotMaster) {
            connection->set_epoch(epoch);
            return connection;
        }
    } catch (const LoginRefused&) {
        throw;
    } catch (const sdk::Error& e) {
        Lost(epoch, e.what());
        throw MasterMoved(e.what());
    }
    const std::string why = "Redis at " + master.Describe() + " is no longer master of '" +
                            settings_.sentinel.master_name + "' (it reports role '" + role + "')";
    Lost(epoch, why);
    throw MasterMoved(why + "; asking the sentinels for the new one");
}

void SentinelEndpoint::Lost(uint64_t epoch, const std::string& why) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (epoch != epoch_.load() || lost_) return;  // an older master's connection, or already being looked for
    MarkLost(why);
}

void SentinelEndpoint::Announced(const RedisAddress& master, const std::string& how) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!master_ || lost_ || *master_ == master) return;
    MarkLost(how + ": the master is now " + master.Describe());
}

void SentinelEndpoint::MarkLost(const std::string& why) {
    lost_ = true;
    // Connections made so far may talk to a replica by now: the pools drop them rather than reuse them.
    epoch_.fetch_add(1);
    sdk::Log(sdk::LogLevel::kWarning, instance_name_,
             "lost the Redis master '" + settings_.sentinel.master_name + "' at " +
                 (master_ ? master_->Describe() : std::string("?")) + " (" + why + "); asking the sentinels again");
}

std::string SentinelEndpoint::Describe() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return (master_ ? master_->Describe() : std::string("(no master found yet)")) + " (master '" +
           settings_.sentinel.master_name + "' of sentinels " + List(sentinels_) + ")";
}

std::pair<RedisAddress, uint64_t> SentinelEndpoint::Master() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!lost_) return {*master_, epoch_.load()};
    }
    std::lock_guard<std::mutex> discovering(discovery_mutex_);
    std::vector<RedisAddress> order;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!lost_) return {*master_, epoch_.load()};  // found while this call waited for the other discovery
        const auto now = steady_clock::now();
        if (failures_ > 0 && now < next_discovery_) {
            const auto wait = std::chrono::duration_cast<milliseconds>(next_discovery_ - now).count();
            throw sdk::Error(JOBBER_UNAVAILABLE,
                             last_error_ + " (asking the sentinels again in " + std::to_string(wait) + " ms)");
        }
        order = sentinels_;
    }
    try {
        const DiscoveredMaster found = DiscoverMaster(settings_, order);
        Discovered(found.address, found.sentinel_index);
    } catch (const sdk::Error& e) {
        std::lock_guard<std::mutex> lock(mutex_);
        ++failures_;
        next_discovery_ = steady_clock::now() + Backoff(failures_);
        last_error_ = e.what();
        // Once per outage, not once per try: the calls that fail say it too.
        if (failures_ == 1) sdk::Log(sdk::LogLevel::kWarning, instance_name_, last_error_);
        throw;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    return {*master_, epoch_.load()};
}

void SentinelEndpoint::Discovered(const RedisAddress& master, size_t sentinel_index) {
    std::lock_guard<std::mutex> lock(mutex_);
    // The sentinel that answered goes first next time (it is evidently up and knows the master).
    if (sentinel_index > 0)
        std::rotate(sentinels_.begin(), sentinels_.begin() + sentinel_index, sentinels_.begin() + sentinel_index + 1);
    const std::string name = "'" + settings_.sentinel.master_name + "'";
    if (!master_) {
        sdk::Log(sdk::LogLevel::kInfo, instance_name_, "Redis master " + name + " is at " + master.Describe());
    } else if (*master_ != master) {
        sdk::Log(sdk::LogLevel::kWarning, instance_name_,
                 "Redis master " + name + " moved from " + master_->Describe() + " to " + master.Describe() +
                     "; following it");
    } else {
        sdk::Log(sdk::LogLevel::kInfo, instance_name_, "Redis master " + name + " is still at " + master.Describe());
    }
    master_ = master;
    lost_ = false;
    failures_ = 0;
}

}  // namespace jobber::redis
