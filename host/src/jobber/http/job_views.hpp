#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "jobber/jobs/job.hpp"
#include "jobber/service/job_service.hpp"
#include "jobber/service/task_catalog.hpp"

namespace jobber::http {

// JSON shapes of the API. Field names follow the seed README where it defines them.
Poco::JSON::Object::Ptr JobAcceptedView(const jobs::JobRecord& record);
Poco::JSON::Object::Ptr JobStatusView(const jobs::JobRecord& record);
Poco::JSON::Object::Ptr GroupAcceptedView(const service::GroupStatus& status);
Poco::JSON::Object::Ptr GroupStatusView(const service::GroupStatus& status);
Poco::JSON::Array::Ptr QueueView(const std::vector<service::QueuedJob>& jobs);
Poco::JSON::Array::Ptr TasksView(const service::TaskCatalog& catalog);

}  // namespace jobber::http
