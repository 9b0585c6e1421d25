#include "redis_state.hpp"

#include "jobber/abi/state.h"
#include "jobber/sdk/host.hpp"
#include "state_scripts.hpp"

namespace jobber::redis {

namespace {

// The highest state whose JOBBER_EXPECT_STATE bit fits in the 32-bit mask.
constexpr int32_t kMaxState = 31;

void CheckTtl(int64_t ttl_ms, const std::string& what) {
    if (ttl_ms < 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         what + " must be 0 (never expires) or positive, got " + std::to_string(ttl_ms));
    }
}

std::string OptionalText(const redisReply* reply) {
    return IsNil(reply) ? std::string() : std::string(TextOf(reply));
}

}  // namespace

RedisState::RedisState(const sdk::OpenArgs& args) : RedisState(ParseSettings(args.config), args.instance_name) {}

RedisState::RedisState(RedisSettings settings, const std::string& instance_name)
    : client_(std::move(settings), instance_name) {
    client_.Probe();
    sdk::Log(sdk::LogLevel::kInfo, instance_name,
             "redis state store opened: address=" + client_.Describe() +
                 " db=" + std::to_string(client_.settings().db) + " key_prefix=" + client_.settings().key_prefix);
}

std::string RedisState::JobKey(std::string_view job_id) const {
    return client_.settings().key_prefix + "job:" + std::string(job_id);
}

std::string RedisState::GroupKey(std::string_view group_id) const {
    return client_.settings().key_prefix + "group:" + std::string(group_id);
}

std::string RedisState::SlotKey(std::string_view key) const {
    return client_.settings().key_prefix + "slot:" + std::string(key);
}

bool RedisState::CasJob(std::string_view job_id,
                        uint32_t expect_mask,
                        std::optional<std::string_view> expect_token,
                        const sdk::JobWrite& record,
                        sdk::JobRecord* current) {
    if (record.state < 1 || record.state > kMaxState) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "cas_job of '" + std::string(job_id) + "' writes invalid state " +
                                                      std::to_string(record.state));
    }
    CheckTtl(record.ttl_ms, "a job record's ttl_ms");
    const std::string mask = std::to_string(expect_mask);
    const std::string state = std::to_string(record.state);
    const std::string ttl = std::to_string(record.ttl_ms);
    Reply reply = client_.Eval(scripts::kCasJob, {},
                               {mask, expect_token ? "1" : "0", expect_token.value_or(std::string_view()), state,
                                record.token, record.body, ttl, client_.settings().key_prefix, job_id, record.queue});
    if (IntegerOf(ElementOf(reply.get(), 0)) == 1) return true;
    if (current != nullptr) {
        *current = sdk::JobRecord{};
        if (reply->elements >= 4) {
            current->state = static_cast<int32_t>(IntegerOf(reply->element[1]));
            current->token = std::string(TextOf(reply->element[2]));
            current->body = std::string(TextOf(reply->element[3]));
        }
    }
    return false;
}

std::optional<sdk::JobRecord> RedisState::GetJob(std::string_view job_id) {
    const std::string key = JobKey(job_id);
    Reply reply = client_.Command({"HMGET", key, "s", "t", "b"});
    const redisReply* state = ElementOf(reply.get(), 0);
    if (IsNil(state)) return std::nullopt;
    sdk::JobRecord record;
    record.state = static_cast<int32_t>(IntegerOf(state));
    record.token = OptionalText(ElementOf(reply.get(), 1));
    record.body = OptionalText(ElementOf(reply.get(), 2));
    return record;
}

void RedisState::DeleteJob(std::string_view job_id) {
    client_.Eval(scripts::kDeleteJob, {}, {client_.settings().key_prefix, job_id});
}

void RedisState::ListQueue(std::string_view queue,
                           uint32_t limit,
                           const std::function<bool(const sdk::QueuedJob&)>& visit) {
    if (limit == 0) return;
    Reply reply = client_.Eval(scripts::kListQueue, {}, {client_.settings().key_prefix, queue, std::to_string(limit)});
    for (size_t i = 0; i + 3 < reply->elements; i += 4) {
        const sdk::QueuedJob job{TextOf(reply->element[i]), static_cast<int32_t>(IntegerOf(reply->element[i + 1])),
                                 TextOf(reply->element[i + 2]), TextOf(reply->element[i + 3])};
        if (!visit(job)) return;
    }
}

void RedisState::PutGroup(std::string_view group_id, std::string_view body, int64_t ttl_ms) {
    CheckTtl(ttl_ms, "a group record's ttl_ms");
    const std::string key = GroupKey(group_id);
    if (ttl_ms == 0) {
        client_.Command({"SET", key, body});
    } else {
        client_.Command({"SET", key, body, "PX", std::to_string(ttl_ms)});
    }
}

std::optional<std::string> RedisState::GetGroup(std::string_view group_id) {
    Reply reply = client_.Command({"GET", GroupKey(group_id)});
    if (IsNil(reply.get())) return std::nullopt;
    return std::string(TextOf(reply.get()));
}

void RedisState::DeleteGroup(std::string_view group_id) {
    client_.Command({"DEL", GroupKey(group_id)});
}

bool RedisState::AcquireSlot(std::string_view key, uint32_t limit, std::string_view holder, int64_t lease_ms) {
    if (lease_ms <= 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "acquire_slot of '" + std::string(key) +
                                                      "' needs a positive lease_ms, got " + std::to_string(lease_ms));
    }
    const std::string slot_key = SlotKey(key);
    Reply reply =
        client_.Eval(scripts::kAcquireSlot, {slot_key}, {std::to_string(limit), holder, std::to_string(lease_ms)});
    return IntegerOf(reply.get()) == 1;
}

void RedisState::ReleaseSlot(std::string_view key, std::string_view holder) {
    // An emptied zset disappears by itself.
    client_.Command({"ZREM", SlotKey(key), holder});
}

void RedisState::Ping() {
    client_.Command({"PING"});
}

}  // namespace jobber::redis
