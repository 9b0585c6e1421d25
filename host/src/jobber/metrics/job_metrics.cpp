#include "jobber/metrics/job_metrics.hpp"

#include "jobber/metrics/registry.hpp"

namespace jobber::metrics {

namespace {

Family& Jobs() {
    static Family& f = Registry::Default().Counter(
        "jobber_jobs_total", "Jobs by task, queue and state reached (PENDING = accepted).", {"task", "queue", "state"});
    return f;
}

Family& WaitSeconds() {
    static Family& f = Registry::Default().Histogram("jobber_job_wait_seconds",
                                                     "Time from a job being due (created or ETA) to its start.",
                                                     {"task", "queue"}, DurationBuckets());
    return f;
}

Family& RunSeconds() {
    static Family& f = Registry::Default().Histogram("jobber_job_run_seconds", "Run time of finished jobs.",
                                                     {"task", "queue", "state"}, DurationBuckets());
    return f;
}

Family& Rows() {
    static Family& f =
        Registry::Default().Counter("jobber_job_rows_written_total", "Rows written to results tables.", {"task"});
    return f;
}

Family& Bytes() {
    static Family& f = Registry::Default().Counter("jobber_job_bytes_written_total",
                                                   "Bytes of row data handed to results backends.", {"task"});
    return f;
}

Family& Retries() {
    static Family& f =
        Registry::Default().Counter("jobber_job_retries_total", "Job attempts that will be retried.", {"task"});
    return f;
}

Family& Cancellations() {
    static Family& f = Registry::Default().Counter("jobber_job_cancellations_total",
                                                   "Jobs cancelled while pending or running.", {"task"});
    return f;
}

Family& Http() {
    static Family& f = Registry::Default().Counter("jobber_http_requests_total", "HTTP requests by route and status.",
                                                   {"route", "method", "code"});
    return f;
}

Family& HttpSeconds() {
    static Family& f = Registry::Default().Histogram("jobber_http_request_seconds", "HTTP request latency.",
                                                     {"route", "method"}, DurationBuckets());
    return f;
}

Family& PluginErrors() {
    static Family& f = Registry::Default().Counter("jobber_plugin_errors_total", "Failed plugin calls.",
                                                   {"plugin", "instance", "operation", "code"});
    return f;
}

Family& SourceInFlight() {
    static Family& f =
        Registry::Default().Gauge("jobber_source_queries_in_flight",
                                  "Queries running on each source database (pool connections in use).", {"db"});
    return f;
}

Family& ResultsInFlight() {
    static Family& f = Registry::Default().Gauge(
        "jobber_results_writes_in_flight", "Results tables being written on each backend (pool connections in use).",
        {"backend"});
    return f;
}

}  // namespace

void JobAccepted(const std::string& task, const std::string& queue) {
    Jobs().Add({task, queue, "PENDING"});
}

void JobStarted(const std::string& task, const std::string& queue, double wait_seconds) {
    Jobs().Add({task, queue, "STARTED"});
    WaitSeconds().Observe({task, queue}, wait_seconds < 0 ? 0 : wait_seconds);
}

void JobFinished(const std::string& task,
                 const std::string& queue,
                 const std::string& state,
                 double run_seconds,
                 int64_t rows,
                 int64_t bytes) {
    Jobs().Add({task, queue, state});
    RunSeconds().Observe({task, queue, state}, run_seconds);
    if (rows > 0) Rows().Add({task}, static_cast<double>(rows));
    if (bytes > 0) Bytes().Add({task}, static_cast<double>(bytes));
}

void JobRetried(const std::string& task) {
    Retries().Add({task});
}

void JobCancelled(const std::string& task) {
    Cancellations().Add({task});
}

void HttpRequest(const std::string& route, const std::string& method, int status, double seconds) {
    Http().Add({route, method, std::to_string(status)});
    HttpSeconds().Observe({route, method}, seconds);
}

void PluginError(const std::string& plugin,
                 const std::string& instance,
                 const std::string& operation,
                 const std::string& code) {
    PluginErrors().Add({plugin, instance, operation, code});
}

void SourceQueryStarted(const std::string& db) {
    SourceInFlight().Add({db}, 1);
}

void SourceQueryFinished(const std::string& db) {
    SourceInFlight().Add({db}, -1);
}

void ResultsWriteStarted(const std::string& backend) {
    ResultsInFlight().Add({backend}, 1);
}

void ResultsWriteFinished(const std::string& backend) {
    ResultsInFlight().Add({backend}, -1);
}

}  // namespace jobber::metrics
