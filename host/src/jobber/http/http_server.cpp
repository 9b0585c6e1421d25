#include "jobber/http/http_server.hpp"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <stdexcept>

namespace jobber::http {

HttpServer::HttpServer(Router router, HandlerSettings handler_settings, const HttpServerSettings& settings) {
    Poco::Net::ServerSocket socket;
    try {
        // SO_REUSEADDR for quick restarts, but not SO_REUSEPORT: a second server on the same port
        // must fail, not silently share the traffic.
        socket.bind(Poco::Net::SocketAddress(settings.address), true, false);
        socket.listen(128);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("cannot listen on " + settings.address + ": " + e.displayText());
    }
    auto* params = new Poco::Net::HTTPServerParams();
    params->setMaxThreads(settings.max_threads);
    params->setMaxQueued(settings.max_queued);
    params->setTimeout(Poco::Timespan(settings.timeout_seconds, 0));
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(
        new ApiHandlerFactory(std::move(router), std::move(handler_settings)), socket, params);
}

HttpServer::~HttpServer() {
    Stop();
}

void HttpServer::Start() {
    server_->start();
    running_ = true;
    Poco::Logger::get("jobber.http").information("listening port=" + std::to_string(port()));
}

void HttpServer::Stop() {
    if (!running_) return;
    running_ = false;
    server_->stopAll(true);
}

uint16_t HttpServer::port() const {
    return server_->port();
}

}  // namespace jobber::http
