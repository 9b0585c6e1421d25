#include "jobber/jobs/job_codec.hpp"

#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <stdexcept>

#include "jobber/jobs/json_writer.hpp"
#include "jobber/sdk/time.hpp"

namespace jobber::jobs {

namespace {

Poco::JSON::Object::Ptr ParseObject(const std::string& text, const char* what) {
    try {
        Poco::JSON::Parser parser;
        auto value = parser.parse(text);
        auto obj = value.extract<Poco::JSON::Object::Ptr>();
        if (obj.isNull()) throw std::runtime_error("not an object");
        return obj;
    } catch (const Poco::Exception& e) {  // first: it is a std::exception too, but only displayText has the detail
        throw std::runtime_error(std::string("corrupt ") + what + ": " + e.displayText());
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("corrupt ") + what + ": " + e.what());
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

namespace {

void WriteArgs(JsonWriter& json, const std::vector<JobArg>& args) {
    json.BeginArray();
    for (const auto& arg : args) {
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::monostate>) {
                    json.Null();
                } else if constexpr (std::is_same_v<T, bool>) {
                    json.Bool(v);
                } else if constexpr (std::is_same_v<T, int64_t>) {
                    json.Int(v);
                } else if constexpr (std::is_same_v<T, double>) {
                    json.Double(v);
                } else {
                    json.String(v);
                }
            },
            arg);
    }
    json.EndArray();
}

}  // namespace

std::string EncodeRecord(const JobRecord& r) {
    JsonWriter json;
    json.BeginObject();
    json.Key("job_id").String(r.job_id);
    json.Key("task").String(r.task);
    json.Key("queue").String(r.queue);
    json.Key("db").String(r.db);
    json.Key("results_backend").String(r.results_backend);
    json.Key("results_table").String(r.results_table);
    json.Key("group_id").String(r.group_id);
    json.Key("group_concurrency").Int(r.group_concurrency);
    json.Key("state").Int(static_cast<int>(r.state));
    json.Key("error").String(r.error);
    json.Key("count").Int(r.count);
    json.Key("attempts").Int(r.attempts);
    json.Key("max_retries").Int(r.max_retries);
    json.Key("created_at_ms").Int(r.created_at_ms);
    json.Key("eta_ms").Int(r.eta_ms);
    json.Key("started_at_ms").Int(r.started_at_ms);
    json.Key("finished_at_ms").Int(r.finished_at_ms);
    json.Key("ttl_ms").Int(r.ttl_ms);
    json.Key("timeout_ms").Int(r.timeout_ms);
    WriteArgs(json.Key("args"), r.args);
    json.EndObject();
    return json.Take();
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
    JsonWriter json;
    json.BeginObject();
    json.Key("job_id").String(m.job_id);
    json.Key("token").String(m.token);
    json.Key("task").String(m.task);
    json.Key("queue").String(m.queue);
    json.Key("eta_ms").Int(m.eta_ms);
    if (!m.record.empty()) json.Key("record").String(m.record);
    json.EndObject();
    return json.Take();
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
    JsonWriter json;
    json.BeginObject();
    json.Key("group_id").String(g.group_id);
    json.Key("concurrency").Int(g.concurrency);
    json.Key("job_ids").BeginArray();
    for (const auto& id : g.job_ids) json.String(id);
    json.EndArray();
    json.Key("created_at_ms").Int(g.created_at_ms);
    json.EndObject();
    return json.Take();
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
