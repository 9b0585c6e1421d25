#include "jobber/service/job_service.hpp"

#include <Poco/Logger.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>

#include "jobber/jobs/job_codec.hpp"
#include "jobber/jobs/job_id.hpp"
#include "jobber/metrics/job_metrics.hpp"
#include "jobber/service/api_error.hpp"

namespace jobber::service {

using jobs::JobRecord;
using jobs::JobState;

namespace {

// Looked up once: Poco::Logger::get takes a process-wide lock.
Poco::Logger& ApiLog() {
    static Poco::Logger& logger = Poco::Logger::get("jobber.api");
    return logger;
}

constexpr uint32_t kClaimable =
    JOBBER_EXPECT_ABSENT | JOBBER_EXPECT_STATE(JOBBER_JOB_SUCCESS) | JOBBER_EXPECT_STATE(JOBBER_JOB_FAILURE);
constexpr uint32_t kActive = JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING) | JOBBER_EXPECT_STATE(JOBBER_JOB_STARTED) |
                             JOBBER_EXPECT_STATE(JOBBER_JOB_RETRY);

int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

const std::string& PickRandom(const std::vector<std::string>& names) {
    thread_local std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<size_t> pick(0, names.size() - 1);
    return names[pick(rng)];
}

std::string Join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

std::string TableName(const std::string& format, const std::string& job_id) {
    std::string name = format;
    const auto pos = name.find("%s");
    if (pos != std::string::npos) name.replace(pos, 2, job_id);
    return name;
}

// Plugin failures reach clients as 503 when a retry may help, 500 otherwise.
template <class Body>
auto Guarded(const char* what, Body&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const plugin::PluginError& e) {
        if (e.code() == JOBBER_UNAVAILABLE || e.code() == JOBBER_DEADLINE_EXCEEDED) {
            throw Unavailable(std::string(what) + ": " + e.what());
        }
        throw;
    }
}

JobState StateOf(int32_t raw) {
    return static_cast<JobState>(raw);
}

}  // namespace

JobService::JobService(Backends& backends, CatalogGetter catalog, sched::RunningJobs& running, ServiceSettings settings)
    : backends_(backends), catalog_(std::move(catalog)), running_(running), settings_(std::move(settings)) {}

JobService::PreparedJob JobService::Prepare(const std::string& task_name,
                                            const jobs::JobRequest& request,
                                            const std::string& group_id,
                                            uint32_t group_concurrency) {
    const auto catalog = catalog_();
    const Task* task = catalog->Find(task_name);
    if (task == nullptr) throw NotFound("unknown task '" + task_name + "'");

    PreparedJob job;
    JobRecord& r = job.record;
    r.job_id = request.job_id.empty() ? jobs::GenerateId() : request.job_id;
    r.task = task_name;
    if (!request.db.empty()) {
        if (std::find(task->dbs.begin(), task->dbs.end(), request.db) == task->dbs.end()) {
            throw BadRequest("db '" + request.db + "' is not one of task '" + task_name + "''s databases (" +
                             Join(task->dbs) + ")");
        }
        r.db = request.db;
    } else {
        if (task->dbs.empty()) throw BadRequest("task '" + task_name + "' has no database configured");
        r.db = PickRandom(task->dbs);
    }
    if (task->results.empty()) throw BadRequest("task '" + task_name + "' has no results backend configured");
    r.results_backend = PickRandom(task->results);
    auto& results = backends_.results.at(r.results_backend);
    r.results_table = TableName(results.table_format, r.job_id);
    const uint32_t limit = results.client->MaxIdentifierLength();
    if (r.results_table.size() > limit) {
        throw BadRequest("results table name '" + r.results_table + "' is " + std::to_string(r.results_table.size()) +
                         " bytes, over results backend '" + r.results_backend + "''s limit of " +
                         std::to_string(limit) + "; use a shorter job_id");
    }
    r.queue = !request.queue.empty()            ? request.queue
              : !task->definition.queue.empty() ? task->definition.queue
                                                : settings_.default_queue;
    r.group_id = group_id;
    r.group_concurrency = group_concurrency;
    r.state = JobState::kPending;
    r.max_retries = request.retries;
    r.created_at_ms = NowMs();
    r.eta_ms = request.eta_ms;
    r.ttl_ms = (request.ttl ? *request.ttl : settings_.default_job_ttl).count();
    if (request.timeout) {
        r.timeout_ms = request.timeout->count();
    } else if (task->definition.timeout) {
        r.timeout_ms = task->definition.timeout->count();
    }
    r.args = request.args;
    job.token = jobs::GenerateId();
    // A job waiting for its ETA must not expire before it runs.
    job.state_ttl_ms = r.ttl_ms + std::max<int64_t>(0, r.eta_ms - r.created_at_ms);
    return job;
}

void JobService::Claim(const PreparedJob& job) {
    const auto result = Guarded("state store", [&] {
        return backends_.state->CasJob(job.record.job_id, kClaimable, nullptr, JOBBER_JOB_PENDING, job.token,
                                       jobs::EncodeRecord(job.record), job.state_ttl_ms,
                                       StateIndexQueue(*backends_.broker, job.record.queue));
    });
    if (!result.ok) {
        throw Conflict("job '" + job.record.job_id + "' is already " + jobs::StateName(StateOf(result.current.state)) +
                       "; only one job with an ID can be pending or running at a time");
    }
}

void JobService::Enqueue(PreparedJob& job) {
    const JobRecord& r = job.record;
    try {
        backends_.broker->Push(
            r.queue, jobs::EncodeMessage({r.job_id, job.token, r.task, r.queue, r.eta_ms, jobs::EncodeRecord(r)}),
            r.eta_ms);
    } catch (const std::exception& e) {
        // Not queued, so not accepted: release the ID rather than leave it PENDING forever.
        job.record.state = JobState::kFailure;
        job.record.error = std::string("could not be queued: ") + e.what();
        job.record.finished_at_ms = NowMs();
        try {
            const uint32_t pending = JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING);
            backends_.state->CasJob(r.job_id, pending, &job.token, JOBBER_JOB_FAILURE, job.token,
                                    jobs::EncodeRecord(job.record), job.state_ttl_ms);
        } catch (const std::exception& state_error) {
            ApiLog().error("job_id=" + r.job_id + " could not record the queueing failure: " + state_error.what());
        }
        throw Unavailable("broker is unavailable, job '" + r.job_id + "' was not accepted: " + e.what());
    }
    metrics::JobAccepted(r.task, r.queue);
    poco_information(ApiLog(), "job accepted job_id=" + r.job_id + " task=" + r.task + " queue=" + r.queue +
                                   " db=" + r.db + (r.eta_ms > 0 ? " eta=" + jobs::FormatUnixMs(r.eta_ms) : ""));
}

JobRecord JobService::PostJob(const std::string& task_name, const jobs::JobRequest& request) {
    PreparedJob job = Prepare(task_name, request, "", 0);
    Claim(job);
    Enqueue(job);
    return job.record;
}

JobRecord JobService::GetJob(const std::string& job_id) {
    if (!jobs::IsValidId(job_id)) throw BadRequest("job ID must be 1-64 characters of A-Z a-z 0-9 _ : -");
    auto stored = Guarded("state store", [&] { return backends_.state->GetJob(job_id); });
    if (!stored) throw NotFound("job '" + job_id + "' not found");
    JobRecord r = jobs::DecodeRecord(stored->body);
    r.state = StateOf(stored->state);
    return r;
}

JobRecord JobService::CancelJob(const std::string& job_id, bool purge) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (!jobs::IsValidId(job_id)) throw BadRequest("job ID must be 1-64 characters of A-Z a-z 0-9 _ : -");
        auto stored = Guarded("state store", [&] { return backends_.state->GetJob(job_id); });
        if (!stored) throw NotFound("job '" + job_id + "' not found");
        JobRecord r = jobs::DecodeRecord(stored->body);
        r.state = StateOf(stored->state);
        if (jobs::IsActive(r.state)) {
            JobRecord cancelled = r;
            cancelled.state = JobState::kFailure;
            cancelled.error = "job was cancelled";
            cancelled.finished_at_ms = NowMs();
            const auto result = Guarded("state store", [&] {
                return backends_.state->CasJob(job_id, kActive, &stored->token, JOBBER_JOB_FAILURE, stored->token,
                                               jobs::EncodeRecord(cancelled), cancelled.ttl_ms);
            });
            if (!result.ok) continue;  // it moved on under us; look again
            // Running here: stop the query now. Running elsewhere: that process's watchdog sees
            // the FAILURE record within a tick and stops it.
            running_.Stop(job_id, stored->token, sched::StopReason::kCancelled);
            if (r.state != JobState::kStarted) metrics::JobCancelled(r.task);  // a running job counts when it stops
            if (purge) Guarded("state store", [&] { backends_.state->DeleteJob(job_id); });
            ApiLog().information("job cancelled job_id=" + job_id + " task=" + r.task +
                                 " was=" + jobs::StateName(r.state));
            return cancelled;
        }
        if (!purge) {
            throw Conflict("job '" + job_id + "' already finished (" + jobs::StateName(r.state) +
                           "); add ?purge=true to remove it and its results");
        }
        if (r.state == JobState::kSuccess) {
            auto it = backends_.results.find(r.results_backend);
            if (it != backends_.results.end()) {
                Guarded("results backend", [&] { it->second.client->Drop(r.results_table); });
            }
        }
        Guarded("state store", [&] { backends_.state->DeleteJob(job_id); });
        ApiLog().information("job purged job_id=" + job_id + " task=" + r.task);
        return r;
    }
    throw Conflict("job '" + job_id + "' changed state repeatedly while being cancelled; try again");
}

GroupStatus JobService::PostGroup(const jobs::GroupRequest& request) {
    const std::string group_id = request.group_id.empty() ? jobs::GenerateId() : request.group_id;
    std::vector<PreparedJob> prepared;
    std::set<std::string> seen;
    for (size_t i = 0; i < request.jobs.size(); ++i) {
        try {
            prepared.push_back(Prepare(request.jobs[i].task, request.jobs[i], group_id, request.concurrency));
        } catch (const ApiError& e) {
            throw ApiError(e.status(), "jobs[" + std::to_string(i) + "]: " + e.what());
        }
        if (!seen.insert(prepared.back().record.job_id).second) {
            throw BadRequest("jobs[" + std::to_string(i) + "]: job_id '" + prepared.back().record.job_id +
                             "' appears twice in the group");
        }
    }
    // All or nothing: a conflict on any job releases the IDs already claimed.
    for (size_t i = 0; i < prepared.size(); ++i) {
        try {
            Claim(prepared[i]);
        } catch (const ApiError&) {
            for (size_t j = 0; j < i; ++j) {
                try {
                    backends_.state->DeleteJob(prepared[j].record.job_id);
                } catch (const std::exception& e) {
                    ApiLog().error("group rollback failed job_id=" + prepared[j].record.job_id + " error=\"" +
                                   e.what() + "\"");
                }
            }
            throw;
        }
    }
    GroupStatus status;
    status.group.group_id = group_id;
    status.group.concurrency = request.concurrency;
    status.group.created_at_ms = NowMs();
    int64_t ttl = 0;
    for (const auto& job : prepared) {
        status.group.job_ids.push_back(job.record.job_id);
        ttl = std::max(ttl, job.state_ttl_ms);
    }
    Guarded("state store", [&] { backends_.state->PutGroup(group_id, jobs::EncodeGroup(status.group), ttl); });
    for (auto& job : prepared) {
        Enqueue(job);
        status.jobs.push_back(job.record);
    }
    status.state = JobState::kPending;
    return status;
}

GroupStatus JobService::GetGroup(const std::string& group_id) {
    if (!jobs::IsValidId(group_id)) throw BadRequest("group ID must be 1-64 characters of A-Z a-z 0-9 _ : -");
    auto body = Guarded("state store", [&] { return backends_.state->GetGroup(group_id); });
    if (!body) throw NotFound("group '" + group_id + "' not found");
    GroupStatus status;
    status.group = jobs::DecodeGroup(*body);
    bool any_active = false, any_started = false, any_failed = false, all_pending = true;
    for (const auto& id : status.group.job_ids) {
        auto stored = Guarded("state store", [&] { return backends_.state->GetJob(id); });
        if (!stored) continue;
        JobRecord r = jobs::DecodeRecord(stored->body);
        if (r.group_id != group_id) continue;  // the ID was reused outside the group
        r.state = StateOf(stored->state);
        any_active |= jobs::IsActive(r.state);
        any_started |= r.state == JobState::kStarted || r.state == JobState::kRetry;
        any_failed |= r.state == JobState::kFailure;
        all_pending &= r.state == JobState::kPending;
        status.jobs.push_back(std::move(r));
    }
    if (status.jobs.empty()) {
        status.state = JobState::kFailure;
    } else if (all_pending) {
        status.state = JobState::kPending;
    } else if (any_active || any_started) {
        status.state = JobState::kStarted;
    } else {
        status.state = any_failed ? JobState::kFailure : JobState::kSuccess;
    }
    return status;
}

GroupStatus JobService::CancelGroup(const std::string& group_id, bool purge) {
    GroupStatus status = GetGroup(group_id);
    for (const auto& job : status.jobs) {
        if (!jobs::IsActive(job.state) && !purge) continue;
        try {
            CancelJob(job.job_id, purge);
        } catch (const ApiError& e) {
            if (e.status() != 404 && e.status() != 409) throw;
        }
    }
    if (purge) {
        Guarded("state store", [&] { backends_.state->DeleteGroup(group_id); });
        return status;
    }
    return GetGroup(group_id);
}

std::vector<QueuedJob> JobService::ListQueue(const std::string& queue) {
    if (!jobs::IsValidQueueName(queue)) throw BadRequest("queue name must be 1-128 characters of A-Z a-z 0-9 _ . : -");
    auto pending = Guarded("broker", [&] { return backends_.broker->ListPending(queue, settings_.queue_list_limit); });
    if (!pending) return ListQueueFromState(queue);
    std::vector<QueuedJob> out;
    for (const auto& message : *pending) {
        jobs::JobMessage m;
        try {
            m = jobs::DecodeMessage(message.payload);
        } catch (const std::exception&) {
            continue;  // not ours to show; the worker that pops it logs and drops it
        }
        auto stored = Guarded("state store", [&] { return backends_.state->GetJob(m.job_id); });
        // Cancelled or replaced submissions still sit in the broker until a worker drops them.
        if (!stored || stored->token != m.token || !jobs::IsActive(StateOf(stored->state))) continue;
        QueuedJob q;
        q.record = jobs::DecodeRecord(stored->body);
        q.record.state = StateOf(stored->state);
        q.eta_ms = message.eta_unix_ms;
        out.push_back(std::move(q));
    }
    return out;
}

// Brokers that cannot browse (AMQP): the state store's queue index knows what waits where. The
// order is the broker's delivery order as far as the records tell it: ready jobs by submission,
// then delayed ones by ETA.
std::vector<QueuedJob> JobService::ListQueueFromState(const std::string& queue) {
    auto listed = Guarded("state store", [&] { return backends_.state->ListQueue(queue, settings_.queue_list_limit); });
    if (!listed) {
        throw ApiError(501, backends_.broker->label() + " cannot list queued jobs and " + backends_.state->label() +
                                " keeps no queue index");
    }
    const int64_t now = NowMs();
    std::vector<QueuedJob> out;
    for (const auto& job : *listed) {
        QueuedJob q;
        try {
            q.record = jobs::DecodeRecord(job.body);
        } catch (const std::exception&) {
            continue;  // a record another version wrote; GET /jobs/{id} reports it
        }
        q.record.state = StateOf(job.state);
        q.eta_ms = q.record.eta_ms > now ? q.record.eta_ms : 0;
        out.push_back(std::move(q));
    }
    std::stable_sort(out.begin(), out.end(), [](const QueuedJob& a, const QueuedJob& b) {
        if ((a.eta_ms == 0) != (b.eta_ms == 0)) return a.eta_ms == 0;
        return a.eta_ms < b.eta_ms;
    });
    return out;
}

}  // namespace jobber::service
