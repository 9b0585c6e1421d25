#include "jobber/http/api_handler.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>
#include <chrono>
#include <sstream>

#include "jobber/plugin/plugin_error.hpp"
#include "jobber/service/api_error.hpp"

namespace jobber::http {

namespace {

Poco::Logger& Log() { return Poco::Logger::get("jobber.http"); }

void Send(Poco::Net::HTTPServerResponse& response, int status, const Poco::JSON::Object& envelope) {
    std::ostringstream body;
    envelope.stringify(body);
    const std::string text = body.str();
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response.setContentType("application/json; charset=utf-8");
    response.setContentLength(static_cast<std::streamsize>(text.size()));
    response.send() << text;
}

void SendError(Poco::Net::HTTPServerResponse& response, int status, const std::string& message) {
    Poco::JSON::Object envelope(Poco::JSON_PRESERVE_KEY_ORDER);
    envelope.set("status", "error");
    envelope.set("message", message);
    envelope.set("data", Poco::Dynamic::Var());
    Send(response, status, envelope);
}

std::string ReadBody(Poco::Net::HTTPServerRequest& request, size_t limit) {
    if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(limit)) {
        throw service::ApiError(413, "request body is larger than " + std::to_string(limit) + " bytes");
    }
    std::string body;
    char buffer[8192];
    std::istream& in = request.stream();
    while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
        body.append(buffer, static_cast<size_t>(in.gcount()));
        if (body.size() > limit) {
            throw service::ApiError(413, "request body is larger than " + std::to_string(limit) + " bytes");
        }
    }
    return body;
}

}  // namespace

bool TokensEqual(const std::string& expected, const std::string& given) {
    unsigned char diff = expected.size() == given.size() ? 0 : 1;
    for (size_t i = 0; i < expected.size(); ++i) {
        diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
    }
    return diff == 0;
}

void ApiRequestHandler::handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    const auto started = std::chrono::steady_clock::now();
    int status = 200;
    ApiRequest api;
    api.method = request.getMethod();
    try {
        Poco::URI uri(request.getURI());
        api.path = uri.getPath();
        for (const auto& [key, value] : uri.getQueryParameters()) api.query[key] = value;
    } catch (const Poco::Exception& e) {
        status = 400;
        SendError(response, status, "malformed request URI: " + e.message());
        return;
    }
    try {
        if (!settings_.auth_token.empty()) {
            const std::string header = request.get("Authorization", "");
            const std::string prefix = "Bearer ";
            const std::string given = header.rfind(prefix, 0) == 0 ? header.substr(prefix.size()) : "";
            if (!TokensEqual(settings_.auth_token, given)) {
                response.set("WWW-Authenticate", "Bearer");
                throw service::ApiError(401, "missing or wrong bearer token");
            }
        }
        const RouteHandler& handler = router_.Match(api);
        if (api.method == "POST" || api.method == "PUT") api.body = ReadBody(request, settings_.max_body_bytes);
        ApiResponse result = handler(api);
        status = result.status;
        Poco::JSON::Object envelope(Poco::JSON_PRESERVE_KEY_ORDER);
        envelope.set("status", "success");
        envelope.set("data", result.data);
        Send(response, status, envelope);
    } catch (const service::ApiError& e) {
        status = e.status();
        SendError(response, status, e.what());
    } catch (const plugin::PluginError& e) {
        const bool transient = e.code() == JOBBER_UNAVAILABLE || e.code() == JOBBER_DEADLINE_EXCEEDED;
        status = transient ? 503 : 500;
        Log().error("request failed method=" + api.method + " path=" + api.path + " error=\"" + e.what() + "\"");
        SendError(response, status, e.what());
    } catch (const std::exception& e) {
        status = 500;
        Log().error("internal error method=" + api.method + " path=" + api.path + " error=\"" + e.what() + "\"");
        SendError(response, status, "internal error; see the server log");
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    Log().debug("request method=" + api.method + " path=" + api.path + " status=" + std::to_string(status) +
                " ms=" + std::to_string(ms.count()));
}

}  // namespace jobber::http
