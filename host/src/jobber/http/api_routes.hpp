#pragma once

#include "jobber/http/router.hpp"
#include "jobber/service/job_service.hpp"

namespace jobber::http {

// The seed's HTTP API (plus purge and /health) bound to the job service.
Router BuildApiRouter(service::JobService& jobs);

}  // namespace jobber::http
