#include "jobber/sched/job_runner.hpp"

#include <Poco/Logger.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "jobber/jobs/job_codec.hpp"
#include "jobber/jobs/job_id.hpp"
#include "jobber/metrics/job_metrics.hpp"
#include "jobber/sched/query_params.hpp"
#include "jobber/sched/retry_policy.hpp"
#include "jobber/sched/run_lease.hpp"

namespace jobber::sched {

using jobs::JobRecord;
using jobs::JobState;

namespace {

constexpr uint32_t kPending = JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING);
constexpr uint32_t kRunnable = kPending | JOBBER_EXPECT_STATE(JOBBER_JOB_RETRY);
constexpr uint32_t kStarted = JOBBER_EXPECT_STATE(JOBBER_JOB_STARTED);

int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A failure of the job itself (as opposed to the infrastructure around it).
class JobFailure : public std::runtime_error {
public:
    JobFailure(const std::string& message, bool retryable) : std::runtime_error(message), retryable_(retryable) {}
    bool retryable() const { return retryable_; }

private:
    bool retryable_;
};

// Thrown when the job was stopped on purpose: cancel, timeout or shutdown.
class JobStopped : public std::runtime_error {
public:
    explicit JobStopped(StopReason reason) : std::runtime_error("stopped"), reason_(reason) {}
    StopReason reason() const { return reason_; }

private:
    StopReason reason_;
};

// Bytes of row data in a batch (values and text, not validity bitmaps or offsets).
int64_t BatchDataBytes(const ArrowArray& batch) {
    int64_t total = 0;
    for (int64_t i = 0; i < batch.n_children; ++i) {
        const ArrowArray& c = *batch.children[i];
        if (c.n_buffers == 3 && c.buffers[1] != nullptr) {
            const auto* offsets = static_cast<const int32_t*>(c.buffers[1]);
            total += offsets[c.offset + c.length] - offsets[c.offset];
        } else if (c.n_buffers == 2) {
            total += c.length * 8;  // the fixed-width types are at most 8 bytes; an estimate is enough here
        }
    }
    return total;
}

std::string Fields(const JobRecord& r) {
    return "job_id=" + r.job_id + " task=" + r.task + " queue=" + r.queue + " db=" + r.db;
}

// Looked up once: Poco::Logger::get takes a process-wide lock, and this runs several times per job.
Poco::Logger& Log() {
    static Poco::Logger& logger = Poco::Logger::get("jobber.sched");
    return logger;
}

}  // namespace

JobRunner::JobRunner(service::Backends& backends,
                     CatalogGetter catalog,
                     RunningJobs& running,
                     DbAdmission& admission,
                     RunnerSettings settings)
    : backends_(backends),
      catalog_(std::move(catalog)),
      running_(running),
      admission_(admission),
      settings_(std::move(settings)),
      deferred_(settings_.finisher_threads, settings_.finisher_backlog) {}

// What FinishSuccess needs of a run whose table is published.
struct JobRunner::Success {
    JobRecord record;  // state SUCCESS, count set
    std::string token;
    std::string receipt;
    plugin::ResultsClient* results = nullptr;
    int64_t elapsed_ms = 0;
    int64_t rows = 0;
    int64_t bytes = 0;
};

void JobRunner::Ack(const std::string& receipt) {
    std::function<void()> work = [this, receipt] {
        try {
            backends_.broker->Ack(receipt);
        } catch (const std::exception& e) {
            // The outcome is recorded: the message comes back after its lease and is dropped as stale.
            Log().warning("ack failed; the message comes back after its lease and is dropped receipt=" + receipt +
                          " error=\"" + e.what() + "\"");
        }
    };
    if (!deferred_.Post(work)) backends_.broker->Ack(receipt);
}

void JobRunner::Run(const plugin::Delivery& delivery) {
    jobs::JobMessage message;
    try {
        message = jobs::DecodeMessage(delivery.payload);
    } catch (const std::exception& e) {
        Log().error(std::string("dropping unreadable broker message queue=") + delivery.queue + " error=\"" + e.what() +
                    "\"");
        Ack(delivery.receipt);
        return;
    }
    // A first delivery carries the record as it was claimed, so the state store need not be read before the claim:
    // the claim's compare-and-set (PENDING, this submission's token) checks what that read would have. When it
    // fails (cancelled meanwhile, or not PENDING any more), the run starts over from the stored record.
    const bool from_message = delivery.delivery_count == 1 && !message.record.empty();
    if (Attempt(delivery, message, from_message) == Outcome::kReadState) Attempt(delivery, message, false);
}

JobRunner::Outcome JobRunner::Attempt(const plugin::Delivery& delivery,
                                      const jobs::JobMessage& message,
                                      bool from_message) {
    auto& broker = *backends_.broker;
    auto& state = *backends_.state;

    // The state store is the truth: a message whose submission was cancelled, replaced or already
    // finished (a redelivery after a lost ack) is dropped here.
    std::optional<plugin::StoredJob> stored;
    if (from_message) {
        stored = plugin::StoredJob{JOBBER_JOB_PENDING, message.token, message.record};
    } else {
        stored = state.GetJob(message.job_id);
    }
    // A redelivered message whose record is still STARTED by this submission means the worker that
    // ran it stopped extending its lease (killed, machine gone): take the job over.
    const bool takeover =
        stored && stored->token == message.token && stored->state == JOBBER_JOB_STARTED && delivery.delivery_count > 1;
    if (!stored || stored->token != message.token || (!(kRunnable & JOBBER_EXPECT_STATE(stored->state)) && !takeover)) {
        Log().debug("skipping stale delivery job_id=" + message.job_id +
                    (stored ? " state=" + std::string(jobs::StateName(static_cast<JobState>(stored->state)))
                            : " state=absent"));
        Ack(delivery.receipt);
        return Outcome::kDone;
    }
    JobRecord record = jobs::DecodeRecord(stored->body);
    const std::string token = stored->token;
    const uint32_t claimable = takeover ? kStarted : kRunnable;
    const uint64_t query_id = next_query_id_.fetch_add(1);
    // A broker that redelivers only lapsed leases says by redelivering that the run before ours stopped renewing.
    // Others (AMQP, on a dropped connection) may redeliver a live run: each run holds a run lease, one more state
    // call per job.
    const bool guard_runs = !broker.RedeliversOnlyAfterLease();
    const std::string run_holder =
        guard_runs ? settings_.worker_name + ":" + run_nonce_ + ":" + std::to_string(query_id) : std::string();
    if (takeover && guard_runs) {
        // Redelivered while STARTED: the run before ours is dead only if nobody refreshes its run lease.
        if (!state.AcquireSlot(RunLeaseKey(record.job_id, token, record.attempts), 1, run_holder,
                               settings_.lease.count())) {
            const int64_t again_ms = std::max<int64_t>(1000, settings_.lease.count() / 4);
            Log().information("job is still running elsewhere, checking again in " + std::to_string(again_ms) + "ms " +
                              Fields(record) + " delivery=" + std::to_string(delivery.delivery_count));
            broker.Requeue(delivery.receipt, NowMs() + again_ms);
            return Outcome::kDone;
        }
    }
    if (takeover) {
        Log().warning("taking over a job whose worker stopped renewing its lease " + Fields(record) +
                      " delivery=" + std::to_string(delivery.delivery_count));
    }

    // Group concurrency: wait (off the worker thread, back in the broker) while the group is full.
    const std::string group_key = "group:" + record.group_id;
    const std::string holder = record.job_id + ":" + token;
    const bool grouped = !record.group_id.empty() && record.group_concurrency > 0;
    if (grouped && !state.AcquireSlot(group_key, record.group_concurrency, holder, settings_.lease.count() * 2)) {
        broker.Requeue(delivery.receipt, NowMs() + settings_.group_wait.count());
        return Outcome::kDone;
    }
    struct SlotRelease {
        plugin::StateClient& state;
        const std::string& key;
        const std::string& holder;
        bool active;
        ~SlotRelease() {
            if (!active) return;
            try {
                state.ReleaseSlot(key, holder);
            } catch (const std::exception& e) {
                // The slot lapses by its lease; log so a stuck group can be explained.
                Log().warning("group slot release failed key=" + key + " error=\"" + e.what() + "\"");
            }
        }
    } slot_release{state, group_key, holder, grouped};

    // Admission: wait for a slot of the job's database, keeping the lease alive and giving up if
    // the job is cancelled meanwhile.
    auto permit = admission_.Acquire(record.db, std::chrono::seconds(1), [&] {
        broker.Extend(delivery.receipt, settings_.lease);
        auto current = state.GetJob(record.job_id);
        return current && current->token == token && (claimable & JOBBER_EXPECT_STATE(current->state));
    });
    if (!permit) {
        Ack(delivery.receipt);
        return Outcome::kDone;
    }

    const auto catalog = catalog_();
    const service::Task* task = catalog->Find(record.task);

    auto source_it = backends_.sources.find(record.db);
    auto results_it = backends_.results.find(record.results_backend);
    plugin::SourceClient* source = source_it != backends_.sources.end() ? source_it->second.get() : nullptr;
    // Registered before the claim, so a cancel or shutdown that sees STARTED also finds it here.
    std::shared_ptr<RunningJob> running;
    const std::string run_lease = guard_runs ? RunLeaseKey(record.job_id, token, record.attempts + 1) : std::string();
    if (source != nullptr) {
        running = running_.Add(record.job_id, token, delivery.receipt, source, query_id, record.timeout_ms, run_lease,
                               run_holder);
    }
    // Unregistered on every way out, exceptions included: a registration left behind would have the
    // watchdog renew this delivery's lease forever, and the job would never be redelivered.
    struct Unregister {
        RunningJobs& jobs;
        std::shared_ptr<RunningJob>& job;
        ~Unregister() {
            if (job) jobs.Remove(job);
        }
    } unregister{running_, running};

    record.state = JobState::kStarted;
    record.attempts += 1;
    record.started_at_ms = NowMs();
    record.error.clear();
    if (!state
             .CasJob(record.job_id, from_message ? kPending : claimable, &token, JOBBER_JOB_STARTED, token,
                     jobs::EncodeRecord(record), record.ttl_ms)
             .ok) {
        if (from_message) return Outcome::kReadState;
        Ack(delivery.receipt);  // cancelled between our read and our claim
        return Outcome::kDone;
    }
    // Not released at the end: it lapses a lease later, and nothing waits on it once the record is final.
    try {
        if (guard_runs && !state.AcquireSlot(run_lease, 1, run_holder, settings_.lease.count())) {
            Log().warning("run lease already held " + Fields(record) + " key=" + run_lease);
        }
    } catch (const std::exception& e) {
        // The job runs anyway; the watchdog takes the lease at its next refresh.
        Log().warning("could not take the run lease " + Fields(record) + " error=\"" + e.what() + "\"");
    }
    metrics::JobStarted(record.task, record.queue,
                        (record.started_at_ms - std::max(record.created_at_ms, record.eta_ms)) / 1000.0);
    poco_information(Log(), "job started " + Fields(record) + " attempt=" + std::to_string(record.attempts) +
                                " worker=" + settings_.worker_name);
    const auto started = std::chrono::steady_clock::now();

    std::string failure;
    bool retryable = false;
    StopReason stopped = StopReason::kNone;
    int64_t rows = 0;
    int64_t bytes = 0;
    try {
        if (task == nullptr) {
            throw JobFailure("task '" + record.task + "' is not loaded on worker " + settings_.worker_name, false);
        }
        if (source == nullptr) {
            throw JobFailure("db '" + record.db + "' is not configured on worker " + settings_.worker_name, false);
        }
        if (results_it == backends_.results.end()) {
            throw JobFailure(
                "results backend '" + record.results_backend + "' is not configured on worker " + settings_.worker_name,
                false);
        }
        const int32_t expected = task->param_counts.count(record.db) ? task->param_counts.at(record.db) : -1;
        if (expected >= 0 && static_cast<size_t>(expected) != record.args.size()) {
            throw JobFailure("task '" + record.task + "' expects " + std::to_string(expected) + " argument" +
                                 (expected == 1 ? "" : "s") + ", got " + std::to_string(record.args.size()),
                             false);
        }
        QueryParams params(record.args);
        plugin::QueryRequest request;
        request.query_id = query_id;
        request.task_name = task->definition.name;
        request.sql = task->definition.sql;
        request.raw = task->definition.raw;
        request.params = params.values();
        request.timeout_ms = record.timeout_ms;
        request.batch_rows = settings_.batch_rows;

        auto check_stop = [&] {
            if (running->reason() != StopReason::kNone) throw JobStopped(running->reason());
        };
        check_stop();
        std::optional<metrics::InFlightScope> in_flight(std::in_place, metrics::SourceQueryStarted,
                                                        metrics::SourceQueryFinished, record.db);
        const metrics::InFlightScope writing(metrics::ResultsWriteStarted, metrics::ResultsWriteFinished,
                                             record.results_backend);
        auto stream = source->Execute(request);
        auto& results = *results_it->second.client;
        auto txn = results.Begin(record.job_id, record.results_table, NowMs() + record.ttl_ms, stream->arrow_schema());
        jobber::sdk::OwnedArray batch;
        while (stream->Next(batch)) {
            check_stop();
            rows += (*batch).length;
            bytes += BatchDataBytes(*batch);
            txn->Write(batch);
        }
        stream.reset();  // hand the source connection back before publishing
        in_flight.reset();
        // A cancel seen here (this process's API, or the watchdog's poll) publishes nothing. One that lands later
        // still wins: the SUCCESS compare-and-set below fails and the published table is dropped. The state store
        // is not read again just before publishing: that read cost a round trip per job and closed no window the
        // compare-and-set leaves open.
        check_stop();
        txn->Commit();
    } catch (const JobStopped& e) {
        stopped = e.reason();
    } catch (const JobFailure& e) {
        failure = e.what();
        retryable = e.retryable();
    } catch (const plugin::PluginError& e) {
        const StopReason reason = running ? running->reason() : StopReason::kNone;
        if (e.code() == JOBBER_CANCELLED || reason != StopReason::kNone) {
            stopped = reason != StopReason::kNone ? reason : StopReason::kCancelled;
        } else {
            // Like the seed (machinery), any query failure may be retried when the job asked for
            // retries; only cancels, timeouts and argument-count mismatches never are.
            failure = e.what();
            retryable = true;
        }
        if (e.code() == JOBBER_DEADLINE_EXCEEDED) stopped = StopReason::kTimeout;
    } catch (const std::exception& e) {
        failure = std::string("internal error: ") + e.what();
        retryable = true;
    }
    if (running) {
        running_.Remove(running);
        running.reset();
    }
    const int64_t elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    const double elapsed_s = elapsed_ms / 1000.0;

    if (stopped == StopReason::kShutdown) {
        // Hand the job back untouched so another worker (or this one after restart) runs it.
        record.state = JobState::kPending;
        record.attempts -= 1;
        if (state
                .CasJob(record.job_id, kStarted, &token, JOBBER_JOB_PENDING, token, jobs::EncodeRecord(record),
                        record.ttl_ms, service::StateIndexQueue(broker, record.queue))
                .ok) {
            broker.Requeue(delivery.receipt, 0);
        } else {
            Ack(delivery.receipt);
        }
        Log().information("job handed back at shutdown " + Fields(record));
        return Outcome::kDone;
    }
    if (stopped == StopReason::kTimeout) {
        failure = "job exceeded its timeout of " + std::to_string(record.timeout_ms) + "ms and its query was cancelled";
        retryable = false;
        stopped = StopReason::kNone;
    }

    record.finished_at_ms = NowMs();
    if (stopped == StopReason::kCancelled) {
        // The canceller already recorded FAILURE; only fill it in if the record is still ours.
        record.state = JobState::kFailure;
        record.error = "job was cancelled";
        state.CasJob(record.job_id, kStarted, &token, JOBBER_JOB_FAILURE, token, jobs::EncodeRecord(record),
                     record.ttl_ms);
        Ack(delivery.receipt);
        metrics::JobCancelled(record.task);
        metrics::JobFinished(record.task, record.queue, "FAILURE", elapsed_s, 0, 0);
        Log().information("job cancelled " + Fields(record) + " ms=" + std::to_string(elapsed_ms));
        return Outcome::kDone;
    }

    if (failure.empty()) {
        record.state = JobState::kSuccess;
        record.count = rows;
        Success done{record, token, delivery.receipt, results_it->second.client.get(), elapsed_ms, rows, bytes};
        // A grouped job finishes here: its group slot is released when Run returns, and must not come free while
        // its record still says STARTED.
        if (grouped) {
            FinishSuccess(done);
            return Outcome::kDone;
        }
        // Otherwise the worker moves on: the table is published, and a crash before the record says SUCCESS only
        // means a takeover after the lease, as a crash just before publishing would.
        std::function<void()> work = [this, done] {
            try {
                FinishSuccess(done);
            } catch (const std::exception& e) {
                Log().error("could not record a finished job, it will be redelivered " + Fields(done.record) +
                            " error=\"" + e.what() + "\"");
                try {
                    backends_.broker->Requeue(done.receipt, 0);
                } catch (const std::exception&) {
                    // The lease runs out instead.
                }
            }
        };
        if (!deferred_.Post(work)) FinishSuccess(done);
        return Outcome::kDone;
    }

    if (retryable && record.attempts <= record.max_retries) {
        const auto delay = RetryDelay(record.attempts);
        record.state = JobState::kRetry;
        record.error = failure;
        record.eta_ms = NowMs() + delay.count();
        if (state
                .CasJob(record.job_id, kStarted, &token, JOBBER_JOB_RETRY, token, jobs::EncodeRecord(record),
                        record.ttl_ms + delay.count(), service::StateIndexQueue(broker, record.queue))
                .ok) {
            if (!broker.Requeue(delivery.receipt, record.eta_ms)) {
                // Lease lost while we ran: queue a fresh message for the same submission.
                broker.Push(record.queue,
                            jobs::EncodeMessage({record.job_id, token, record.task, record.queue, record.eta_ms, {}}),
                            record.eta_ms);
            }
            metrics::JobRetried(record.task);
            Log().warning("job will retry " + Fields(record) + " attempt=" + std::to_string(record.attempts) +
                          " delay_ms=" + std::to_string(delay.count()) + " error=\"" + failure + "\"");
            return Outcome::kDone;
        }
        Ack(delivery.receipt);
        return Outcome::kDone;
    }

    record.state = JobState::kFailure;
    record.error = failure;
    state.CasJob(record.job_id, kStarted, &token, JOBBER_JOB_FAILURE, token, jobs::EncodeRecord(record), record.ttl_ms);
    Ack(delivery.receipt);
    metrics::JobFinished(record.task, record.queue, "FAILURE", elapsed_s, 0, 0);
    Log().warning("job finished " + Fields(record) + " state=FAILURE ms=" + std::to_string(elapsed_ms) + " error=\"" +
                  failure + "\"");
    return Outcome::kDone;
}

void JobRunner::FinishSuccess(const Success& done) {
    auto& state = *backends_.state;
    const JobRecord& record = done.record;
    const double elapsed_s = done.elapsed_ms / 1000.0;
    if (!state
             .CasJob(record.job_id, kStarted, &done.token, JOBBER_JOB_SUCCESS, done.token, jobs::EncodeRecord(record),
                     record.ttl_ms)
             .ok) {
        // Another run of this same submission (a takeover whose first worker turned out alive)
        // finished first: its table is the one published, and it must stay.
        auto current = state.GetJob(record.job_id);
        if (current && current->token == done.token && current->state == JOBBER_JOB_SUCCESS) {
            Ack(done.receipt);
            Log().information("job already finished by another run " + Fields(record));
            return;
        }
        // Cancelled (or purged) after the table was published: a cancelled job leaves no table.
        try {
            done.results->Drop(record.results_table);
        } catch (const std::exception& e) {
            Log().error("could not drop the table of a job cancelled at commit " + Fields(record) + " error=\"" +
                        e.what() + "\"");
        }
        Ack(done.receipt);
        metrics::JobCancelled(record.task);
        metrics::JobFinished(record.task, record.queue, "FAILURE", elapsed_s, 0, 0);
        Log().information("job cancelled at commit " + Fields(record));
        return;
    }
    Ack(done.receipt);
    metrics::JobFinished(record.task, record.queue, "SUCCESS", elapsed_s, done.rows, done.bytes);
    poco_information(Log(), "job finished " + Fields(record) + " state=SUCCESS rows=" + std::to_string(done.rows) +
                                " ms=" + std::to_string(done.elapsed_ms) + " table=" + record.results_table);
}

}  // namespace jobber::sched
