#include "jobber/http/router.hpp"

#include "jobber/service/api_error.hpp"

namespace jobber::http {

bool ApiRequest::QueryFlag(const std::string& name) const {
    auto it = query.find(name);
    if (it == query.end()) return false;
    return it->second == "true" || it->second == "1" || it->second == "yes" || it->second.empty();
}

std::vector<std::string> SplitPath(const std::string& path) {
    std::vector<std::string> segments;
    size_t start = 0;
    while (start <= path.size()) {
        const size_t end = path.find('/', start);
        const std::string segment = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!segment.empty()) segments.push_back(segment);
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return segments;
}

void Router::Add(const std::string& method, const std::string& pattern, RouteHandler handler) {
    routes_.push_back(Route{method, pattern, SplitPath(pattern), std::move(handler)});
}

const RouteHandler& Router::Match(ApiRequest& request) const {
    const auto segments = SplitPath(request.path);
    std::string allowed;
    for (const auto& route : routes_) {
        if (route.segments.size() != segments.size()) continue;
        std::map<std::string, std::string> params;
        bool match = true;
        for (size_t i = 0; i < segments.size() && match; ++i) {
            const std::string& want = route.segments[i];
            if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
                params[want.substr(1, want.size() - 2)] = segments[i];
            } else {
                match = want == segments[i];
            }
        }
        if (!match) continue;
        request.route = route.pattern;
        if (route.method != request.method) {
            if (allowed.find(route.method) == std::string::npos)
                allowed += (allowed.empty() ? "" : ", ") + route.method;
            continue;
        }
        request.path_params = std::move(params);
        request.route = route.pattern;
        return route.handler;
    }
    if (!allowed.empty()) {
        throw service::ApiError(
            405, "method " + request.method + " is not allowed on " + request.path + " (allowed: " + allowed + ")",
            {{"Allow", allowed}});
    }
    throw service::NotFound("no such route: " + request.method + " " + request.path);
}

}  // namespace jobber::http
