#pragma once

#include <string>
#include <string_view>

namespace jobber::jobs {

// Job and group IDs: ^[A-Za-z0-9_:-]{1,64}$. They end up inside results table names, so this is
// the first line of defence; table names are still quoted by every backend.
bool IsValidId(std::string_view id);
// A random, valid ID (a UUID).
std::string GenerateId();

// Queue names: ^[A-Za-z0-9_.:-]{1,128}$.
bool IsValidQueueName(std::string_view name);

}  // namespace jobber::jobs
