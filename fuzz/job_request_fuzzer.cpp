// Request bodies come from the network: decoding must end in a JobRequest/GroupRequest or an
// ApiError (a 400), nothing else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "jobber/jobs/job_request.hpp"
#include "jobber/service/api_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);
    try {
        auto object = jobber::jobs::ParseJsonBody(body);
        jobber::jobs::ParseJobRequest(*object, false);
    } catch (const jobber::service::ApiError&) {
    }
    try {
        auto object = jobber::jobs::ParseJsonBody(body);
        jobber::jobs::ParseGroupRequest(*object);
    } catch (const jobber::service::ApiError&) {
    }
    return 0;
}
