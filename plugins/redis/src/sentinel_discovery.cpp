#include "sentinel_discovery.hpp"

#include <algorithm>
#include <optional>

namespace jobber::redis {

namespace {

std::string Join(const std::vector<std::string>& parts) {
    std::string joined;
    for (const auto& part : parts) joined += (joined.empty() ? "" : "; ") + part;
    return joined;
}

struct SentinelAnswer {
    std::optional<RedisAddress> master;  // unset: `outcome` says why
    std::string outcome;
    bool refused = false;  // reached, but it would not (or could not) tell: a config mistake if all do this
};

SentinelAnswer AskSentinel(const RedisSettings& settings, const RedisAddress& sentinel) {
    SentinelAnswer answer;
    const std::string where = "sentinel " + sentinel.Describe();
    const std::string& name = settings.sentinel.master_name;
    try {
        RedisConnection connection(sentinel, NodeLogin::Sentinel(settings), settings);
        Reply reply = connection.Call({"SENTINEL", "get-master-addr-by-name", name}, settings.command_timeout);
        if (reply->type == REDIS_REPLY_ERROR) {
            answer.refused = true;
            answer.outcome = where + " refused: " + std::string(TextOf(reply.get())) + " (is it a sentinel?)";
        } else if (IsNil(reply.get())) {
            answer.refused = true;
            answer.outcome = where + " monitors no master named '" + name + "'";
        } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
                   reply->element[0]->type == REDIS_REPLY_STRING) {
            RedisAddress master;
            master.host = std::string(TextOf(reply->element[0]));
            master.port = static_cast<int>(IntegerOf(reply->element[1]));
            answer.master = std::move(master);
        } else {
            answer.outcome = where + " gave an unexpected reply (type " + std::to_string(reply->type) + ")";
        }
    } catch (const LoginRefused& e) {
        answer.refused = true;
        answer.outcome = e.what();
    } catch (const sdk::Error& e) {
        answer.outcome = e.what();
    }
    return answer;
}

}  // namespace

NodeRole CheckRole(RedisConnection& connection, std::chrono::milliseconds timeout, std::string* role) {
    Reply reply = connection.Call({"ROLE"}, timeout);
    if (reply->type == REDIS_REPLY_ERROR) {
        // NOPERM: an ACL user without @dangerous. Anything else: a server too old for ROLE (< 2.8.12). Either way
        // the node's word is not available; the sentinel's must do.
        *role = std::string(TextOf(reply.get()));
        return NodeRole::kUnknown;
    }
    *role = std::string(TextOf(ElementOf(reply.get(), 0)));
    return *role == "master" ? NodeRole::kMaster : NodeRole::kNotMaster;
}

DiscoveredMaster DiscoverMaster(const RedisSettings& settings, const std::vector<RedisAddress>& sentinels) {
    const std::string& name = settings.sentinel.master_name;
    std::vector<std::string> outcomes;
    std::vector<RedisAddress> rejected;  // named by an earlier sentinel and found wanting: not tried twice
    size_t refused = 0;
    for (size_t i = 0; i < sentinels.size(); ++i) {
        const SentinelAnswer answer = AskSentinel(settings, sentinels[i]);
        refused += answer.refused ? 1 : 0;
        if (!answer.master) {
            outcomes.push_back(answer.outcome);
            continue;
        }
        const RedisAddress& master = *answer.master;
        const std::string named = "sentinel " + sentinels[i].Describe() + " names " + master.Describe();
        if (std::find(rejected.begin(), rejected.end(), master) != rejected.end()) {
            outcomes.push_back(named + " too");
            continue;
        }
        try {
            RedisConnection node(master, NodeLogin::DataNode(settings), settings);
            std::string role;
            if (CheckRole(node, settings.command_timeout, &role) != NodeRole::kNotMaster) {
                return DiscoveredMaster{master, i};
            }
            outcomes.push_back(named + ", but it reports role '" + role + "' (a failover in progress?)");
        } catch (const LoginRefused&) {
            throw;  // the data nodes refuse `password` or `db`: no other sentinel can fix that
        } catch (const sdk::Error& e) {
            outcomes.push_back(named + ", which fails: " + e.what());
        }
        rejected.push_back(master);
    }
    const std::string message = "no sentinel led to a usable master '" + name + "': " + Join(outcomes);
    // Only when every sentinel answered and refused: with one unreachable this may still be an outage.
    if (refused == sentinels.size()) {
        throw LoginRefused(message + "; check `master_name`, `sentinels` and `sentinel_password`");
    }
    throw sdk::Error(JOBBER_UNAVAILABLE, message);
}

}  // namespace jobber::redis
