#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <string>

#include "jobber/http/router.hpp"

namespace jobber::http {

struct HandlerSettings {
    std::string auth_token;  // empty: no authentication
    size_t max_body_bytes = 1 << 20;
};

// Poco glue: reads the request, checks auth, dispatches through the router and writes the JSON
// envelope. Every outcome, including internal faults, is an envelope; nothing escapes.
class ApiRequestHandler : public Poco::Net::HTTPRequestHandler {
public:
    ApiRequestHandler(const Router& router, const HandlerSettings& settings) : router_(router), settings_(settings) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
    const Router& router_;
    const HandlerSettings& settings_;
};

class ApiHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    ApiHandlerFactory(Router router, HandlerSettings settings)
        : router_(std::move(router)), settings_(std::move(settings)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new ApiRequestHandler(router_, settings_);
    }

private:
    Router router_;
    HandlerSettings settings_;
};

// Constant-time comparison, so response timing does not leak how much of a token matched.
bool TokensEqual(const std::string& expected, const std::string& given);

}  // namespace jobber::http
