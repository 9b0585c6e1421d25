#include "jobber/http/job_views.hpp"

#include "jobber/jobs/job_codec.hpp"

namespace jobber::http {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Poco::Dynamic::Var TimeOrNull(int64_t unix_ms) {
    if (unix_ms <= 0) return Poco::Dynamic::Var();
    return jobs::FormatUnixMs(unix_ms);
}

Object::Ptr NewObject() {
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

}  // namespace

Object::Ptr JobAcceptedView(const jobs::JobRecord& r) {
    auto obj = NewObject();
    obj->set("job_id", r.job_id);
    obj->set("task_name", r.task);
    obj->set("queue", r.queue);
    obj->set("eta", TimeOrNull(r.eta_ms));
    obj->set("retries", r.max_retries);
    obj->set("state", jobs::StateName(r.state));
    obj->set("results_backend", r.results_backend);
    obj->set("results_table", r.results_table);
    return obj;
}

Object::Ptr JobStatusView(const jobs::JobRecord& r) {
    auto obj = NewObject();
    obj->set("job_id", r.job_id);
    obj->set("task", r.task);
    obj->set("queue", r.queue);
    obj->set("state", jobs::StateName(r.state));
    obj->set("status", jobs::StateName(r.state));  // the seed's name for it
    obj->set("count", r.count >= 0 ? Poco::Dynamic::Var(static_cast<Poco::Int64>(r.count)) : Poco::Dynamic::Var());
    // The seed reported the row count as machinery results: [{"Type":"int64","Value":N}].
    Array::Ptr results = new Array();
    if (r.count >= 0) {
        auto entry = NewObject();
        entry->set("Type", "int64");
        entry->set("Value", static_cast<Poco::Int64>(r.count));
        results->add(entry);
    }
    obj->set("results", results);
    obj->set("error", r.error);
    obj->set("db", r.db);
    obj->set("results_backend", r.results_backend);
    obj->set("results_table", r.results_table);
    obj->set("group_id", r.group_id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.group_id));
    obj->set("attempts", r.attempts);
    obj->set("retries", r.max_retries);
    obj->set("eta", TimeOrNull(r.eta_ms));
    obj->set("created_at", TimeOrNull(r.created_at_ms));
    obj->set("started_at", TimeOrNull(r.started_at_ms));
    obj->set("finished_at", TimeOrNull(r.finished_at_ms));
    obj->set("ttl", static_cast<Poco::Int64>(r.ttl_ms / 1000));
    obj->set("timeout", r.timeout_ms > 0 ? Poco::Dynamic::Var(static_cast<Poco::Int64>(r.timeout_ms / 1000.0))
                                         : Poco::Dynamic::Var());
    return obj;
}

Object::Ptr GroupAcceptedView(const service::GroupStatus& status) {
    auto obj = NewObject();
    obj->set("group_id", status.group.group_id);
    obj->set("concurrency", status.group.concurrency);
    Array::Ptr jobs = new Array();
    for (const auto& r : status.jobs) {
        auto job = NewObject();
        job->set("job_id", r.job_id);
        job->set("task", r.task);
        job->set("queue", r.queue);
        job->set("eta", TimeOrNull(r.eta_ms));
        job->set("retries", r.max_retries);
        jobs->add(job);
    }
    obj->set("jobs", jobs);
    return obj;
}

Object::Ptr GroupStatusView(const service::GroupStatus& status) {
    auto obj = NewObject();
    obj->set("group_id", status.group.group_id);
    obj->set("state", jobs::StateName(status.state));
    obj->set("status", jobs::StateName(status.state));
    obj->set("concurrency", status.group.concurrency);
    Array::Ptr jobs = new Array();
    for (const auto& r : status.jobs) jobs->add(JobStatusView(r));
    obj->set("jobs", jobs);
    return obj;
}

Array::Ptr QueueView(const std::vector<service::QueuedJob>& queued) {
    Array::Ptr out = new Array();
    for (const auto& q : queued) {
        auto obj = NewObject();
        obj->set("job_id", q.record.job_id);
        obj->set("task", q.record.task);
        obj->set("queue", q.record.queue);
        obj->set("state", jobs::StateName(q.record.state));
        obj->set("eta", TimeOrNull(q.eta_ms));
        obj->set("delayed", q.eta_ms > 0);
        obj->set("group_id", q.record.group_id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(q.record.group_id));
        obj->set("created_at", TimeOrNull(q.record.created_at_ms));
        obj->set("args", jobs::ArgsToJson(q.record.args));
        out->add(obj);
    }
    return out;
}

Array::Ptr TasksView(const service::TaskCatalog& catalog) {
    Array::Ptr out = new Array();
    for (const auto& [name, task] : catalog.tasks()) {
        auto obj = NewObject();
        obj->set("name", name);
        Array::Ptr dbs = new Array();
        for (const auto& db : task.dbs) dbs->add(db);
        obj->set("dbs", dbs);
        Array::Ptr results = new Array();
        for (const auto& r : task.results) results->add(r);
        obj->set("results", results);
        obj->set("queue",
                 task.definition.queue.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(task.definition.queue));
        obj->set("raw", task.definition.raw);
        int32_t args = -1;
        for (const auto& [db, count] : task.param_counts) args = std::max(args, count);
        obj->set("args", args >= 0 ? Poco::Dynamic::Var(args) : Poco::Dynamic::Var());
        obj->set("timeout", task.definition.timeout
                                ? Poco::Dynamic::Var(static_cast<Poco::Int64>(task.definition.timeout->count() / 1000))
                                : Poco::Dynamic::Var());
        obj->set("sql", task.definition.sql);
        out->add(obj);
    }
    return out;
}

}  // namespace jobber::http
