#include "jobber/jobs/job_codec.hpp"

#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "jobber/sdk/time.hpp"

namespace jobber::jobs {

namespace {

std::string Stringify(const Poco::JSON::Object& obj) {
    std::ostringstream out;
    obj.stringify(out);
    return out.str();
}

Poco::JSON::Object::Ptr ParseObject(const std::string& text, const char* what) {
    try {
        Poco::JSON::Parser parser;
        auto value = parser.parse(text);
        auto obj = value.extract<Poco::JSON::Object::Ptr>();
        if (obj.isNull()) throw std::runtime_error("not an object");
        return obj;
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("corrupt ") + what + ": " + e.what());
    } catch (const Poco::Exception& e) {
        throw std::runtime_error(std::string("corrupt ") + what + ": " + e.displayText());
    }
}

std::string GetString(const Poco::JSON::Object& obj, const std::string& key) {
    return obj.has(key) && !obj.isNull(key) ? obj.getValue<std::string>(key) : std::string();
}

int64_t GetInt(const Poco::JSON::Object& obj, const std::string& key, int64_t fallback = 0) {
    return obj.has(key) && !obj.isNull(key) ? obj.getValue<Poco::Int64>(key) : fallback;
}

JobArg ArgFromVar(const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return std::monostate{};
    if (v.isBoolean()) return v.extract<bool>();
    if (v.isInteger()) return static_cast<int64_t>(v.convert<Poco::Int64>());
    if (v.isNumeric()) return v.convert<double>();
    return v.convert<std::string>();
}

}  // namespace

Poco::JSON::Array::Ptr ArgsToJson(const std::vector<JobArg>& args) {
    Poco::JSON::Array::Ptr array = new Poco::JSON::Array();
    for (const auto& arg : args) {
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::monostate>) {
                    array->add(Poco::Dynamic::Var());
                } else if constexpr (std::is_same_v<T, int64_t>) {
                    array->add(static_cast<Poco::Int64>(v));
                } else {
                    array->add(v);
                }
            },
            arg);
    }
    return array;
}

std::string FormatUnixMs(int64_t unix_ms) {
    const int64_t micros = unix_ms * 1000;
    const int64_t days = jobber::sdk::FloorDiv(micros, jobber::sdk::kMicrosPerDay);
    const int64_t rest_ms = (micros - days * jobber::sdk::kMicrosPerDay) / 1000;
    const auto civil = jobber::sdk::CivilFromDays(days);
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(civil.year),
                  civil.month, civil.day, static_cast<long long>(rest_ms / 3600000),
                  static_cast<long long>(rest_ms / 60000 % 60), static_cast<long long>(rest_ms / 1000 % 60),
                  static_cast<long long>(rest_ms % 1000));
    return buf;
}

std::string EncodeRecord(const JobRecord& r) {
    Poco::JSON::Object obj(Poco::JSON_PRESERVE_KEY_ORDER);
    obj.set("job_id", r.job_id);
    obj.set("task", r.task);
    obj.set("queue", r.queue);
    obj.set("db", r.db);
    obj.set("results_backend", r.results_backend);
    obj.set("results_table", r.results_table);
    obj.set("group_id", r.group_id);
    obj.set("group_concurrency", r.group_concurrency);
    obj.set("state", static_cast<int>(r.state));
    obj.set("error", r.error);
    obj.set("count", static_cast<Poco::Int64>(r.count));
    obj.set("attempts", r.attempts);
    obj.set("max_retries", r.max_retries);
    obj.set("created_at_ms", static_cast<Poco::Int64>(r.created_at_ms));
    obj.set("eta_ms", static_cast<Poco::Int64>(r.eta_ms));
    obj.set("started_at_ms", static_cast<Poco::Int64>(r.started_at_ms));
    obj.set("finished_at_ms", static_cast<Poco::Int64>(r.finished_at_ms));
    obj.set("ttl_ms", static_cast<Poco::Int64>(r.ttl_ms));
    obj.set("timeout_ms", static_cast<Poco::Int64>(r.timeout_ms));
    obj.set("args", ArgsToJson(r.args));
    return Stringify(obj);
}

JobRecord DecodeRecord(const std::string& body) {
    auto obj = ParseObject(body, "job record");
    JobRecord r;
    r.job_id = GetString(*obj, "job_id");
    r.task = GetString(*obj, "task");
    r.queue = GetString(*obj, "queue");
    r.db = GetString(*obj, "db");
    r.results_backend = GetString(*obj, "results_backend");
    r.results_table = GetString(*obj, "results_table");
    r.group_id = GetString(*obj, "group_id");
    r.group_concurrency = static_cast<uint32_t>(GetInt(*obj, "group_concurrency"));
    r.state = static_cast<JobState>(GetInt(*obj, "state", JOBBER_JOB_PENDING));
    r.error = GetString(*obj, "error");
    r.count = GetInt(*obj, "count", -1);
    r.attempts = static_cast<int32_t>(GetInt(*obj, "attempts"));
    r.max_retries = static_cast<int32_t>(GetInt(*obj, "max_retries"));
    r.created_at_ms = GetInt(*obj, "created_at_ms");
    r.eta_ms = GetInt(*obj, "eta_ms");
    r.started_at_ms = GetInt(*obj, "started_at_ms");
    r.finished_at_ms = GetInt(*obj, "finished_at_ms");
    r.ttl_ms = GetInt(*obj, "ttl_ms");
    r.timeout_ms = GetInt(*obj, "timeout_ms");
    if (obj->has("args") && !obj->isNull("args")) {
        auto args = obj->getArray("args");
        for (size_t i = 0; args && i < args->size(); ++i) r.args.push_back(ArgFromVar(args->get(i)));
    }
    return r;
}

std::string EncodeMessage(const JobMessage& m) {
    Poco::JSON::Object obj(Poco::JSON_PRESERVE_KEY_ORDER);
    obj.set("job_id", m.job_id);
    obj.set("token", m.token);
    obj.set("task", m.task);
    obj.set("queue", m.queue);
    obj.set("eta_ms", static_cast<Poco::Int64>(m.eta_ms));
    if (!m.record.empty()) obj.set("record", m.record);
    return Stringify(obj);
}

JobMessage DecodeMessage(const std::string& payload) {
    auto obj = ParseObject(payload, "broker message");
    JobMessage m;
    m.job_id = GetString(*obj, "job_id");
    m.token = GetString(*obj, "token");
    m.task = GetString(*obj, "task");
    m.queue = GetString(*obj, "queue");
    m.eta_ms = GetInt(*obj, "eta_ms");
    m.record = GetString(*obj, "record");
    if (m.job_id.empty() || m.token.empty()) throw std::runtime_error("corrupt broker message: no job_id or token");
    return m;
}

std::string EncodeGroup(const GroupRecord& g) {
    Poco::JSON::Object obj(Poco::JSON_PRESERVE_KEY_ORDER);
    obj.set("group_id", g.group_id);
    obj.set("concurrency", g.concurrency);
    Poco::JSON::Array::Ptr ids = new Poco::JSON::Array();
    for (const auto& id : g.job_ids) ids->add(id);
    obj.set("job_ids", ids);
    obj.set("created_at_ms", static_cast<Poco::Int64>(g.created_at_ms));
    return Stringify(obj);
}

GroupRecord DecodeGroup(const std::string& body) {
    auto obj = ParseObject(body, "group record");
    GroupRecord g;
    g.group_id = GetString(*obj, "group_id");
    g.concurrency = static_cast<uint32_t>(GetInt(*obj, "concurrency"));
    auto ids = obj->getArray("job_ids");
    for (size_t i = 0; ids && i < ids->size(); ++i) g.job_ids.push_back(ids->getElement<std::string>(i));
    g.created_at_ms = GetInt(*obj, "created_at_ms");
    return g;
}

}  // namespace jobber::jobs
