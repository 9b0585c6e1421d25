#include "jobber/http/api_handler.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <cctype>
#include <chrono>
#include <sstream>

#include "jobber/metrics/job_metrics.hpp"
#include "jobber/plugin/plugin_error.hpp"
#include "jobber/service/api_error.hpp"

namespace jobber::http {

namespace {

Poco::Logger& Log() {
    return Poco::Logger::get("jobber.http");
}

// Most bytes of an unwanted request body read before answering (bounded further by the server's
// receive timeout); past it the connection is closed.
constexpr size_t kDiscardLimit = 64u << 20;

void Send(Poco::Net::HTTPServerResponse& response, int status, const Poco::JSON::Object& envelope) {
    std::ostringstream body;
    envelope.stringify(body);
    const std::string text = body.str();
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
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

// Reads and discards what is left of a request body we are not going to use, so its bytes are
// never parsed as the next request on a kept-alive connection, and a client still sending gets
// our answer instead of a reset. Beyond `limit` bytes we stop and close the connection instead.
void DiscardBody(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, size_t limit) {
    if (!request.hasContentLength() && !request.getChunkedTransferEncoding()) {
        // No framing: the body (if any) runs to the end of the connection, so do not wait for it.
        const std::string& m = request.getMethod();
        if (m != "GET" && m != "HEAD" && m != "DELETE") response.setKeepAlive(false);
        return;
    }
    char buffer[16384];
    size_t discarded = 0;
    std::istream& in = request.stream();
    try {
        while (discarded <= limit && (in.read(buffer, sizeof(buffer)) || in.gcount() > 0)) {
            discarded += static_cast<size_t>(in.gcount());
        }
    } catch (const Poco::Exception&) {
        response.setKeepAlive(false);
        return;
    }
    if (discarded > limit || !in.eof()) response.setKeepAlive(false);
}

bool StartsWithNoCase(const std::string& text, const std::string& prefix) {
    if (text.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
            return false;
        }
    }
    return true;
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
    bool body_read = false;
    ApiRequest api;
    api.method = request.getMethod();
    try {
        Poco::URI uri(request.getURI());
        api.path = uri.getPath();
        for (const auto& [key, value] : uri.getQueryParameters()) api.query[key] = value;
    } catch (const Poco::Exception& e) {
        status = 400;
        DiscardBody(request, response, kDiscardLimit);
        SendError(response, status, "malformed request URI: " + e.message());
        return;
    }
    try {
        if (!settings_.auth_token.empty()) {
            const std::string header = request.get("Authorization", "");
            // The scheme name is case-insensitive (RFC 9110 section 11.1); the token is not.
            const std::string prefix = "bearer ";
            const std::string given = StartsWithNoCase(header, prefix) ? header.substr(prefix.size()) : "";
            if (!TokensEqual(settings_.auth_token, given)) {
                throw service::ApiError(401, "missing or wrong bearer token", {{"WWW-Authenticate", "Bearer"}});
            }
        }
        const RouteHandler& handler = router_.Match(api);
        if (api.method == "POST" || api.method == "PUT") {
            api.body = ReadBody(request, settings_.max_body_bytes);
            body_read = true;
        }
        ApiResponse result = handler(api);
        if (!body_read) DiscardBody(request, response, kDiscardLimit);
        status = result.status;
        if (result.raw_body) {
            response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
            response.setContentType(result.content_type);
            response.setContentLength(static_cast<std::streamsize>(result.raw_body->size()));
            response.send() << *result.raw_body;
        } else {
            Poco::JSON::Object envelope(Poco::JSON_PRESERVE_KEY_ORDER);
            envelope.set("status", "success");
            envelope.set("data", result.data);
            Send(response, status, envelope);
        }
    } catch (const service::ApiError& e) {
        status = e.status();
        if (!body_read) DiscardBody(request, response, kDiscardLimit);
        for (const auto& [name, value] : e.headers()) response.set(name, value);
        SendError(response, status, e.what());
    } catch (const plugin::PluginError& e) {
        const bool transient = e.code() == JOBBER_UNAVAILABLE || e.code() == JOBBER_DEADLINE_EXCEEDED;
        status = transient ? 503 : 500;
        if (!body_read) DiscardBody(request, response, kDiscardLimit);
        Log().error("request failed method=" + api.method + " path=" + api.path + " error=\"" + e.what() + "\"");
        SendError(response, status, e.what());
    } catch (const std::exception& e) {
        status = 500;
        if (!body_read) DiscardBody(request, response, kDiscardLimit);
        Log().error("internal error method=" + api.method + " path=" + api.path + " error=\"" + e.what() + "\"");
        SendError(response, status, "internal error; see the server log");
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    metrics::HttpRequest(api.route, api.method, status, ms.count() / 1000.0);
    Log().debug("request method=" + api.method + " path=" + api.path + " status=" + std::to_string(status) +
                " ms=" + std::to_string(ms.count()));
}

}  // namespace jobber::http
