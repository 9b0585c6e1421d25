#include "jobber/jobs/job_id.hpp"

#include <Poco/UUIDGenerator.h>

namespace jobber::jobs {

namespace {
bool AllowedChars(std::string_view s, std::string_view extra, size_t max_len) {
    if (s.empty() || s.size() > max_len) return false;
    for (char ch : s) {
        const bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && extra.find(ch) == std::string_view::npos) return false;
    }
    return true;
}
}  // namespace

bool IsValidId(std::string_view id) {
    return AllowedChars(id, "_:-", 64);
}

bool IsValidQueueName(std::string_view name) {
    return AllowedChars(name, "_.:-", 128);
}

std::string GenerateId() {
    return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

}  // namespace jobber::jobs
