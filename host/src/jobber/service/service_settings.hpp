#pragma once

#include <chrono>
#include <string>

namespace jobber::service {

struct ServiceSettings {
    std::string default_queue = "sqljob_queue";
    std::chrono::milliseconds default_job_ttl = std::chrono::hours(24);
    // Upper bound of GET /jobs/queue/{queue}.
    size_t queue_list_limit = 1000;
};

}  // namespace jobber::service
