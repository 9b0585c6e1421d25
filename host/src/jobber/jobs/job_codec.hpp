#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>

#include "jobber/jobs/job.hpp"

namespace jobber::jobs {

// Storage and wire encodings (JSON). Decoding throws std::runtime_error on a corrupt body.
std::string EncodeRecord(const JobRecord& record);
JobRecord DecodeRecord(const std::string& body);

std::string EncodeMessage(const JobMessage& message);
JobMessage DecodeMessage(const std::string& payload);

std::string EncodeGroup(const GroupRecord& group);
GroupRecord DecodeGroup(const std::string& body);

Poco::JSON::Array::Ptr ArgsToJson(const std::vector<JobArg>& args);
// RFC 3339 UTC with milliseconds, e.g. "2026-11-25T09:15:35.123Z".
std::string FormatUnixMs(int64_t unix_ms);

}  // namespace jobber::jobs
