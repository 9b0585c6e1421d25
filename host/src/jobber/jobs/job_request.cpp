#include "jobber/jobs/job_request.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>

#include <cmath>

#include "jobber/config/duration.hpp"
#include "jobber/jobs/job_id.hpp"
#include "jobber/sdk/time.hpp"
#include "jobber/service/api_error.hpp"

namespace jobber::jobs {

using service::BadRequest;

namespace {

constexpr int64_t kExactNegativeIntegers = int64_t{1} << 53;

bool Absent(const Poco::JSON::Object& obj, const std::string& key) {
    return !obj.has(key) || obj.isNull(key);
}

std::string OptionalString(const Poco::JSON::Object& obj, const std::string& key) {
    if (Absent(obj, key)) return {};
    const auto value = obj.get(key);
    if (!value.isString()) throw BadRequest("'" + key + "' must be a string");
    return value.convert<std::string>();
}

int64_t WholeNumber(const Poco::Dynamic::Var& value, const std::string& key) {
    if (value.isInteger()) return value.convert<Poco::Int64>();
    if (value.isNumeric()) {
        const double d = value.convert<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
    }
    throw BadRequest("'" + key + "' must be a whole number");
}

// ttl/timeout: an integer of seconds or a duration string ("90s"); 0 or "" = not given.
std::optional<std::chrono::milliseconds> OptionalDuration(const Poco::JSON::Object& obj, const std::string& key) {
    if (Absent(obj, key)) return std::nullopt;
    const auto value = obj.get(key);
    if (value.isString()) {
        const std::string text = value.convert<std::string>();
        if (text.empty()) return std::nullopt;
        try {
            const auto ms = config::ParseDuration(text);
            if (ms.count() == 0) return std::nullopt;
            return ms;
        } catch (const std::exception& e) {
            throw BadRequest("'" + key + "': " + e.what());
        }
    }
    if (value.isBoolean() || !value.isNumeric()) {
        throw BadRequest("'" + key + "' must be a number of seconds or a duration such as \"90s\"");
    }
    const int64_t seconds = WholeNumber(value, key);
    if (seconds < 0) throw BadRequest("'" + key + "' must not be negative");
    if (seconds == 0) return std::nullopt;
    if (seconds > 10LL * 365 * 86400) throw BadRequest("'" + key + "' is longer than ten years");
    return std::chrono::milliseconds(seconds * 1000);
}

std::vector<JobArg> ParseArgs(const Poco::JSON::Object& obj) {
    std::vector<JobArg> args;
    if (Absent(obj, "args")) return args;
    auto array = obj.getArray("args");
    if (array.isNull()) throw BadRequest("'args' must be a list of strings, numbers, booleans or nulls");
    if (array->size() > kMaxArgs) throw BadRequest("'args' has more than " + std::to_string(kMaxArgs) + " items");
    for (size_t i = 0; i < array->size(); ++i) {
        const auto v = array->get(static_cast<unsigned>(i));
        const std::string where = "args[" + std::to_string(i) + "]";
        if (v.isEmpty()) {
            args.emplace_back(std::monostate{});
        } else if (v.isBoolean()) {
            args.emplace_back(v.extract<bool>());
        } else if (v.isString()) {
            args.emplace_back(v.convert<std::string>());
        } else if (v.isInteger()) {
            const int64_t n = v.convert<Poco::Int64>();
            // Poco's parser reads a negative integer through a double: from -2^53 down it may come back rounded
            // (-2^53 - 1 arrives as -2^53; positive ones are exact). Binding a neighbour of the number sent would
            // be worse than refusing it.
            if (n <= -kExactNegativeIntegers) {
                throw BadRequest(where +
                                 " is a negative integer beyond -(2^53 - 1), which cannot be read exactly; send it as "
                                 "a string");
            }
            args.emplace_back(n);
        } else if (v.isNumeric()) {
            args.emplace_back(v.convert<double>());
        } else {
            throw BadRequest(where + " must be a string, number, boolean or null, not an object or list");
        }
    }
    return args;
}

}  // namespace

Poco::JSON::Object::Ptr ParseJsonBody(const std::string& body) {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos)
        throw BadRequest("request body is empty; send a JSON object");
    // Poco's parser cannot read a bare top-level scalar; say what we want instead of its message.
    const size_t start = body.find_first_not_of(" \t\r\n");
    const size_t end = body.find_last_not_of(" \t\r\n");
    const std::string trimmed = body.substr(start, end - start + 1);
    const bool scalar = std::string("\"-0123456789").find(trimmed[0]) != std::string::npos || trimmed == "true" ||
                        trimmed == "false" || trimmed == "null";
    if (scalar) throw BadRequest("request body must be a JSON object");
    Poco::Dynamic::Var parsed;
    try {
        Poco::JSON::Parser parser;
        parsed = parser.parse(body);
    } catch (const Poco::Exception& e) {
        throw BadRequest("request body is not valid JSON: " + e.message());
    } catch (const std::exception& e) {
        throw BadRequest(std::string("request body is not valid JSON: ") + e.what());
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) throw BadRequest("request body must be a JSON object");
    return parsed.extract<Poco::JSON::Object::Ptr>();
}

JobRequest ParseJobRequest(const Poco::JSON::Object& obj, bool in_group) {
    JobRequest req;
    if (in_group) {
        req.task = OptionalString(obj, "task");
        if (req.task.empty()) throw BadRequest("every job in a group needs a 'task'");
    }
    req.job_id = OptionalString(obj, "job_id");
    if (!req.job_id.empty() && !IsValidId(req.job_id)) {
        throw BadRequest("'job_id' must be 1-64 characters of A-Z a-z 0-9 _ : -");
    }
    req.queue = OptionalString(obj, "queue");
    if (!req.queue.empty() && !IsValidQueueName(req.queue)) {
        throw BadRequest("'queue' must be 1-128 characters of A-Z a-z 0-9 _ . : -");
    }
    const std::string eta = OptionalString(obj, "eta");
    if (!eta.empty()) {
        const auto micros = jobber::sdk::ParseTimestamp(eta);
        if (!micros) throw BadRequest("'eta' must be 'YYYY-MM-DD HH:MM:SS' (UTC) or RFC 3339, got '" + eta + "'");
        req.eta_ms = *micros / 1000;
    }
    if (!Absent(obj, "retries")) {
        const auto value = obj.get("retries");
        if (value.isString() && value.convert<std::string>().empty()) {
            req.retries = 0;
        } else {
            if (value.isBoolean() || !value.isNumeric()) throw BadRequest("'retries' must be a whole number");
            const int64_t retries = WholeNumber(value, "retries");
            if (retries < 0 || retries > kMaxRetries) {
                throw BadRequest("'retries' must be between 0 and " + std::to_string(kMaxRetries));
            }
            req.retries = static_cast<int32_t>(retries);
        }
    }
    req.ttl = OptionalDuration(obj, "ttl");
    req.timeout = OptionalDuration(obj, "timeout");
    req.db = OptionalString(obj, "db");
    req.args = ParseArgs(obj);
    return req;
}

GroupRequest ParseGroupRequest(const Poco::JSON::Object& obj) {
    GroupRequest req;
    req.group_id = OptionalString(obj, "group_id");
    if (!req.group_id.empty() && !IsValidId(req.group_id)) {
        throw BadRequest("'group_id' must be 1-64 characters of A-Z a-z 0-9 _ : -");
    }
    if (!Absent(obj, "concurrency")) {
        const auto value = obj.get("concurrency");
        if (value.isBoolean() || !value.isNumeric()) throw BadRequest("'concurrency' must be a whole number");
        const int64_t c = WholeNumber(value, "concurrency");
        if (c < 0 || c > 10000) throw BadRequest("'concurrency' must be between 0 and 10000");
        req.concurrency = static_cast<uint32_t>(c);
    }
    if (Absent(obj, "jobs")) throw BadRequest("'jobs' is required: a list of jobs");
    auto jobs = obj.getArray("jobs");
    if (jobs.isNull()) throw BadRequest("'jobs' must be a list of job objects");
    if (jobs->size() == 0) throw BadRequest("'jobs' is empty");
    if (jobs->size() > kMaxGroupJobs)
        throw BadRequest("'jobs' has more than " + std::to_string(kMaxGroupJobs) + " items");
    for (size_t i = 0; i < jobs->size(); ++i) {
        auto job = jobs->getObject(static_cast<unsigned>(i));
        if (job.isNull()) throw BadRequest("jobs[" + std::to_string(i) + "] must be an object");
        try {
            req.jobs.push_back(ParseJobRequest(*job, true));
        } catch (const service::ApiError& e) {
            throw BadRequest("jobs[" + std::to_string(i) + "]: " + e.what());
        }
    }
    return req;
}

}  // namespace jobber::jobs
