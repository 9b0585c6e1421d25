#pragma once

#include <map>
#include <stdexcept>
#include <string>

namespace jobber::service {

// An error the API reports to the client with a specific HTTP status and a message naming the
// problem. Anything else that escapes a handler is an internal fault (500, logged).
class ApiError : public std::runtime_error {
public:
    ApiError(int status, const std::string& message, std::map<std::string, std::string> headers = {})
        : std::runtime_error(message), status_(status), headers_(std::move(headers)) {}
    int status() const { return status_; }
    // Extra response headers the status calls for (Allow on 405, WWW-Authenticate on 401).
    const std::map<std::string, std::string>& headers() const { return headers_; }

private:
    int status_;
    std::map<std::string, std::string> headers_;
};

inline ApiError BadRequest(const std::string& m) {
    return ApiError(400, m);
}
inline ApiError NotFound(const std::string& m) {
    return ApiError(404, m);
}
inline ApiError Conflict(const std::string& m) {
    return ApiError(409, m);
}
inline ApiError Unavailable(const std::string& m) {
    return ApiError(503, m);
}

}  // namespace jobber::service
