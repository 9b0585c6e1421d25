#include "jobber/jobs/job.hpp"

namespace jobber::jobs {

const char* StateName(JobState state) {
    switch (state) {
        case JobState::kPending:
            return "PENDING";
        case JobState::kStarted:
            return "STARTED";
        case JobState::kRetry:
            return "RETRY";
        case JobState::kSuccess:
            return "SUCCESS";
        case JobState::kFailure:
            return "FAILURE";
    }
    return "UNKNOWN";
}

bool IsActive(JobState state) {
    return state == JobState::kPending || state == JobState::kStarted || state == JobState::kRetry;
}

}  // namespace jobber::jobs
