#pragma once

#include <Poco/JSON/Object.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jobber::http {

struct ApiRequest {
    std::string method;
    std::string path;
    std::string route = "unmatched";  // the matched pattern, e.g. "/jobs/{id}" (a metrics label)
    std::map<std::string, std::string> path_params;
    std::map<std::string, std::string> query;
    std::string body;

    bool QueryFlag(const std::string& name) const;
};

struct ApiResponse {
    // 200 with `data` under "data" in the success envelope.
    static ApiResponse Ok(Poco::Dynamic::Var data) {
        ApiResponse response;
        response.data = std::move(data);
        return response;
    }
    // 200 with `body` sent as is, instead of the JSON envelope.
    static ApiResponse Raw(std::string body, std::string content_type) {
        ApiResponse response;
        response.raw_body = std::move(body);
        response.content_type = std::move(content_type);
        return response;
    }

    int status = 200;
    Poco::Dynamic::Var data;  // goes under "data" in the success envelope
    // When set, sent as is instead of the JSON envelope (Prometheus text for /metrics).
    std::optional<std::string> raw_body;
    std::string content_type;
};

using RouteHandler = std::function<ApiResponse(const ApiRequest&)>;

// Method + path-pattern routing ("/jobs/{id}"). Unknown paths are 404, known paths with another
// method are 405 (with the allowed methods), both as ApiError.
class Router {
public:
    void Add(const std::string& method, const std::string& pattern, RouteHandler handler);
    // Fills request.path_params; returns the handler or throws ApiError(404/405).
    const RouteHandler& Match(ApiRequest& request) const;

private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        RouteHandler handler;
    };
    std::vector<Route> routes_;
};

std::vector<std::string> SplitPath(const std::string& path);

}  // namespace jobber::http
