#include "jobber/http/api_routes.hpp"

#include "jobber/app/version.hpp"
#include "jobber/http/job_views.hpp"
#include "jobber/jobs/job_request.hpp"
#include "jobber/metrics/registry.hpp"
#include "jobber/service/api_error.hpp"
#include "jobber/service/readiness.hpp"

namespace jobber::http {

Router BuildApiRouter(service::JobService& jobs) {
    Router router;
    router.Add("GET", "/", [](const ApiRequest&) {
        Poco::JSON::Object::Ptr about = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        about->set("name", "sql-jobber");
        about->set("version", app::VersionString());
        return ApiResponse::Ok(about);
    });
    router.Add("GET", "/health", [](const ApiRequest&) { return ApiResponse::Ok("OK"); });
    // Readiness for load balancers: every backend reachable, or 503 naming the ones that are not.
    router.Add("GET", "/ready", [&jobs](const ApiRequest&) {
        const auto checks = service::CheckReadiness(jobs.backends());
        Poco::JSON::Object::Ptr data = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        std::string failing;
        for (const auto& check : checks) {
            data->set(check.component, check.ok ? std::string("ok") : check.error);
            if (!check.ok) failing += (failing.empty() ? "" : "; ") + check.component + ": " + check.error;
        }
        if (!failing.empty()) throw service::ApiError(503, "not ready: " + failing);
        return ApiResponse::Ok(data);
    });
    router.Add("GET", "/metrics", [](const ApiRequest&) {
        return ApiResponse::Raw(metrics::Registry::Default().Render(), "text/plain; version=0.0.4; charset=utf-8");
    });
    router.Add("GET", "/tasks", [&jobs](const ApiRequest&) { return ApiResponse::Ok(TasksView(*jobs.catalog())); });
    router.Add("POST", "/tasks/{task}/jobs", [&jobs](const ApiRequest& req) {
        auto body = jobs::ParseJsonBody(req.body);
        auto request = jobs::ParseJobRequest(*body, false);
        return ApiResponse::Ok(JobAcceptedView(jobs.PostJob(req.path_params.at("task"), request)));
    });
    router.Add("GET", "/jobs/{id}", [&jobs](const ApiRequest& req) {
        return ApiResponse::Ok(JobStatusView(jobs.GetJob(req.path_params.at("id"))));
    });
    router.Add("DELETE", "/jobs/{id}", [&jobs](const ApiRequest& req) {
        return ApiResponse::Ok(JobStatusView(jobs.CancelJob(req.path_params.at("id"), req.QueryFlag("purge"))));
    });
    router.Add("GET", "/jobs/queue/{queue}", [&jobs](const ApiRequest& req) {
        return ApiResponse::Ok(QueueView(jobs.ListQueue(req.path_params.at("queue"))));
    });
    router.Add("POST", "/groups", [&jobs](const ApiRequest& req) {
        auto body = jobs::ParseJsonBody(req.body);
        return ApiResponse::Ok(GroupAcceptedView(jobs.PostGroup(jobs::ParseGroupRequest(*body))));
    });
    router.Add("GET", "/groups/{id}", [&jobs](const ApiRequest& req) {
        return ApiResponse::Ok(GroupStatusView(jobs.GetGroup(req.path_params.at("id"))));
    });
    router.Add("DELETE", "/groups/{id}", [&jobs](const ApiRequest& req) {
        return ApiResponse::Ok(GroupStatusView(jobs.CancelGroup(req.path_params.at("id"), req.QueryFlag("purge"))));
    });
    return router;
}

}  // namespace jobber::http
