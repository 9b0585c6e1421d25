#pragma once

#include <string>
#include <vector>

#include "jobber/abi/source.h"
#include "jobber/jobs/job.hpp"

namespace jobber::sched {

// Job arguments as bound query parameters. Owns the text the jobber_values point into, so it
// must outlive the execute call.
class QueryParams {
public:
    explicit QueryParams(const std::vector<jobs::JobArg>& args);
    QueryParams(const QueryParams&) = delete;
    QueryParams& operator=(const QueryParams&) = delete;

    const std::vector<jobber_value>& values() const { return values_; }

private:
    std::vector<std::string> texts_;
    std::vector<jobber_value> values_;
};

}  // namespace jobber::sched
