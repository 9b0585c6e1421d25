#pragma once

#include <Poco/JSON/Object.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "jobber/jobs/job.hpp"

namespace jobber::jobs {

// A job as posted by a client, validated but not yet resolved against tasks and config.
// Seed-era clients send every field, empty when unused ("eta": "", "ttl": 0, "db": "",
// "args": null); those all mean "not given".
struct JobRequest {
    std::string task;    // only in group requests
    std::string job_id;  // empty: generate one
    std::string queue;
    int64_t eta_ms = 0;
    int32_t retries = 0;
    std::optional<std::chrono::milliseconds> ttl;
    std::optional<std::chrono::milliseconds> timeout;
    std::string db;
    std::vector<JobArg> args;
};

struct GroupRequest {
    std::string group_id;  // empty: generate one
    uint32_t concurrency = 0;
    std::vector<JobRequest> jobs;
};

inline constexpr int32_t kMaxRetries = 100;
inline constexpr size_t kMaxArgs = 1000;
inline constexpr size_t kMaxGroupJobs = 1000;

// Both throw service::ApiError(400) naming the offending field.
JobRequest ParseJobRequest(const Poco::JSON::Object& body, bool in_group);
GroupRequest ParseGroupRequest(const Poco::JSON::Object& body);

// Parses a request body into an object; 400 for empty or malformed JSON or a non-object.
Poco::JSON::Object::Ptr ParseJsonBody(const std::string& body);

}  // namespace jobber::jobs
