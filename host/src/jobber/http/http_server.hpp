#pragma once

#include <Poco/Net/HTTPServer.h>

#include <memory>
#include <string>

#include "jobber/http/api_handler.hpp"

namespace jobber::http {

struct HttpServerSettings {
    std::string address = "127.0.0.1:6060";
    int max_threads = 16;
    int max_queued = 256;
    int timeout_seconds = 30;  // slow clients are cut off after this
};

// The API server. Binds on construction (so a taken port fails start-up clearly).
class HttpServer {
public:
    HttpServer(Router router, HandlerSettings handler_settings, const HttpServerSettings& settings);
    ~HttpServer();
    void Start();
    void Stop();
    uint16_t port() const;

private:
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    bool running_ = false;
};

}  // namespace jobber::http
