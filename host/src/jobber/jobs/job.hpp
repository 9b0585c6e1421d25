#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "jobber/abi/state.h"

namespace jobber::jobs {

enum class JobState : int32_t {
    kPending = JOBBER_JOB_PENDING,
    kStarted = JOBBER_JOB_STARTED,
    kRetry = JOBBER_JOB_RETRY,
    kSuccess = JOBBER_JOB_SUCCESS,
    kFailure = JOBBER_JOB_FAILURE,
};

const char* StateName(JobState state);
bool IsActive(JobState state);

// A positional query argument as the client sent it; null binds SQL NULL.
using JobArg = std::variant<std::monostate, bool, int64_t, double, std::string>;

// Everything known about one submission of a job ID; stored as the state record's body.
struct JobRecord {
    std::string job_id;
    std::string task;
    std::string queue;
    std::string db;
    std::string results_backend;
    std::string results_table;
    std::string group_id;
    uint32_t group_concurrency = 0;
    JobState state = JobState::kPending;
    std::string error;
    int64_t count = -1;  // rows written; -1 until the job succeeded
    int32_t attempts = 0;
    int32_t max_retries = 0;
    int64_t created_at_ms = 0;
    int64_t eta_ms = 0;  // 0 = run as soon as possible
    int64_t started_at_ms = 0;
    int64_t finished_at_ms = 0;
    int64_t ttl_ms = 0;
    int64_t timeout_ms = 0;
    std::vector<JobArg> args;
};

// What travels through the broker: just enough to find the record and tell runs apart.
struct JobMessage {
    std::string job_id;
    std::string token;  // the submission this message belongs to
    std::string task;
    std::string queue;
    int64_t eta_ms = 0;
    // The record's body as claimed, so a first delivery need not read it back from the state store; empty in
    // messages that do not carry it (redeliveries read the store anyway).
    std::string record;
};

// A group of jobs submitted together.
struct GroupRecord {
    std::string group_id;
    uint32_t concurrency = 0;
    std::vector<std::string> job_ids;
    int64_t created_at_ms = 0;
};

}  // namespace jobber::jobs
