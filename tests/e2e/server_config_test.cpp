// Server settings end to end, each on a dedicated server: server.auth_token, server.max_body_bytes, job TTLs and the
// expiry sweep.
#include <Poco/JSON/Object.h>

#include <thread>

#include "e2e_fixture.hpp"

namespace jobber::e2e {
namespace {

constexpr const char* kToken = "s3cret-Token_42";

// ---- server.auth_token ----------------------------------------------------------------------------------------------

class AuthTest : public SharedServerTest<AuthTest> {
public:
    static ServerConfig Config() {
        ServerConfig config;
        config.auth_token = kToken;
        return config;
    }

protected:
    HttpResponse Send(const std::string& method,
                      const std::string& path,
                      const std::string& body,
                      std::optional<std::string> authorization) {
        HttpRequestOptions options;
        options.send_auth = false;
        if (authorization) options.headers["Authorization"] = *authorization;
        return server().Request(method, path, body, options);
    }
};

struct Route {
    std::string method;
    std::string path;
    std::string body;
};

// Every route, in an order where each succeeds with the right token.
const std::vector<Route>& AllRoutes() {
    static const std::vector<Route> routes = {
        {"GET", "/", ""},
        {"GET", "/health", ""},
        {"GET", "/tasks", ""},
        {"POST", "/tasks/count_entries/jobs", R"({"job_id":"auth_job"})"},
        {"GET", "/jobs/auth_job", ""},
        {"GET", "/jobs/queue/sqljob_queue", ""},
        {"POST", "/groups", R"({"group_id":"auth_group","jobs":[{"job_id":"auth_group_job","task":"count_entries"}]})"},
        {"GET", "/groups/auth_group", ""},
        {"DELETE", "/groups/auth_group", ""},
        {"DELETE", "/jobs/auth_job?purge=true", ""},
    };
    return routes;
}

TEST_F(AuthTest, EveryRouteNeedsTheBearerToken) {
    const std::vector<std::optional<std::string>> wrong = {
        std::nullopt,
        std::string("Bearer wrong"),
        std::string("Bearer ") + kToken + "x",
        std::string("Bearer ") + std::string(kToken).substr(0, 5),
        std::string("Bearer "),
        std::string(kToken),
        std::string("Basic ") + kToken,
    };
    for (const auto& route : AllRoutes()) {
        for (const auto& authorization : wrong) {
            const auto response = Send(route.method, route.path, route.body, authorization);
            EXPECT_TRUE(IsApiError(response, 401))
                << route.method << " " << route.path << " with Authorization: " << authorization.value_or("(none)");
            EXPECT_EQ(response.Header("WWW-Authenticate"), "Bearer") << route.method << " " << route.path;
        }
    }
    // Nothing the rejected requests asked for happened.
    const std::string bearer = std::string("Bearer ") + kToken;
    EXPECT_TRUE(IsApiError(Send("GET", "/jobs/auth_job", "", bearer), 404));
    EXPECT_TRUE(IsApiError(Send("GET", "/groups/auth_group", "", bearer), 404));
    // Unknown routes do not leak past authentication either.
    EXPECT_TRUE(IsApiError(Send("GET", "/no/such/route", "", std::nullopt), 401));
}

TEST_F(AuthTest, EveryRouteWorksWithTheRightToken) {
    const std::string bearer = std::string("Bearer ") + kToken;
    for (const auto& route : AllRoutes()) {
        if (route.method == "DELETE") {
            // Purging and cancelling finished work needs it finished.
            ASSERT_FALSE(server().WaitForState("auth_job", {"SUCCESS"}).isNull());
            ASSERT_FALSE(server().WaitForState("auth_group_job", {"SUCCESS"}).isNull());
        }
        const auto response = Send(route.method, route.path, route.body, bearer);
        EXPECT_TRUE(IsApiSuccess(response)) << route.method << " " << route.path;
    }
    EXPECT_TRUE(IsApiError(Send("GET", "/jobs/auth_job", "", bearer), 404)) << "purged";
}

TEST_F(AuthTest, UnauthorizedBodyIsNeverParsedAsARequest) {
    // A 401 is sent before the body is read; the body must not then be read as the next request.
    const std::string inner =
        std::string("GET /tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") + kToken + "\r\n\r\n";
    const std::string raw = RawExchange(server().port(),
                                        "POST /tasks/count_entries/jobs HTTP/1.1\r\nHost: x\r\n"
                                        "Content-Length: " +
                                            std::to_string(inner.size()) + "\r\n\r\n" + inner);
    EXPECT_EQ(CountStatusLines(raw), 1) << "the body was answered as a request:\n" << raw;
    EXPECT_EQ(raw.find("HTTP/1.1 200"), std::string::npos) << raw;
}

TEST_F(AuthTest, BearerSchemeIsCaseInsensitive) {
    // RFC 9110 section 11.1: "It uses a case-insensitive token to identify the authentication scheme".
    for (const std::string scheme : {"bearer", "BEARER"}) {
        const auto response = Send("GET", "/tasks", "", scheme + " " + kToken);
        EXPECT_TRUE(IsApiSuccess(response)) << "Authorization: " << scheme << " <token>";
    }
}

// ---- server.max_body_bytes ------------------------------------------------------------------------------------------

class BodyLimitTest : public SharedServerTest<BodyLimitTest> {
public:
    static ServerConfig Config() {
        ServerConfig config;
        config.max_body_bytes = 256;
        return config;
    }
};

// A valid job request padded with spaces to `size` bytes.
std::string PaddedBody(size_t size) {
    std::string body = R"({"args":[], "job_id":"padded_)" + std::to_string(size) + R"("})";
    body.insert(1, std::string(size - body.size(), ' '));
    return body;
}

TEST_F(BodyLimitTest, OversizeBodyIs413) {
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", PaddedBody(1000)), 413, {"256"}));
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", PaddedBody(257)), 413, {"256"}));
    EXPECT_TRUE(IsApiError(server().Post("/groups", PaddedBody(1000)), 413, {"256"}));
    HttpRequestOptions chunked;
    chunked.chunked = true;
    EXPECT_TRUE(
        IsApiError(server().Request("POST", "/tasks/count_entries/jobs", PaddedBody(1000), chunked), 413, {"256"}))
        << "a chunked body has no Content-Length; the limit must still hold";
    EXPECT_TRUE(IsApiError(server().Get("/jobs/padded_1000"), 404)) << "the oversize job was not accepted";
}

TEST_F(BodyLimitTest, OversizeBodyIsNeverParsedAsARequest) {
    // The 413 goes out before the body is read; the body must not then be read as the next request.
    std::string inner = "GET /jobs/smuggled_by_body HTTP/1.1\r\nHost: x\r\n\r\n";
    inner += std::string(300, ' ');
    const std::string raw = RawExchange(server().port(),
                                        "POST /tasks/count_entries/jobs HTTP/1.1\r\nHost: x\r\n"
                                        "Content-Length: " +
                                            std::to_string(inner.size()) + "\r\n\r\n" + inner);
    EXPECT_NE(raw.find(" 413 "), std::string::npos) << raw;
    EXPECT_EQ(CountStatusLines(raw), 1) << "the body was answered as a request:\n" << raw;
    EXPECT_EQ(raw.find("smuggled_by_body"), std::string::npos) << raw;
}

TEST_F(BodyLimitTest, HugeBodyStillGetsA413) {
    // Far more than the socket buffers hold: the client is still sending when the server has answered. Closing
    // straight away resets the connection and the client never sees the 413 (it gets EPIPE or ECONNRESET instead);
    // a lingering close (read and discard the rest for a while, like nginx's lingering_close) delivers it.
    for (int attempt = 0; attempt < 3; ++attempt) {
        HttpResponse response;
        try {
            response = server().PostJob("count_entries", PaddedBody(4 << 20));
        } catch (const std::exception& e) {
            ADD_FAILURE() << "attempt " << attempt << ": no HTTP response to a 4 MiB body: " << e.what();
            continue;
        }
        EXPECT_TRUE(IsApiError(response, 413, {"256"})) << "attempt " << attempt;
    }
}

TEST_F(BodyLimitTest, BodyAtTheLimitIsAccepted) {
    EXPECT_TRUE(IsApiSuccess(server().PostJob("count_entries", PaddedBody(256))));
    HttpRequestOptions chunked;
    chunked.chunked = true;
    const auto body = PaddedBody(200);
    EXPECT_TRUE(IsApiSuccess(server().Request("POST", "/tasks/count_entries/jobs", body, chunked)));
    EXPECT_FALSE(server().WaitForState("padded_256", {"SUCCESS"}).isNull());
}

// ---- job TTL and the expiry sweep -----------------------------------------------------------------------------------

TEST(TtlTest, ExpiredJobIsForgottenAndItsTableDropped) {
    ServerConfig config;
    config.app_keys["expiry_sweep_interval"] = "1s";
    auto server = std::make_unique<ServerHarness>(config);
    bool sweep_configurable = true;
    try {
        server->Start();
    } catch (const std::exception& e) {
        const std::string what = e.what();
        ASSERT_NE(what.find("expiry_sweep_interval"), std::string::npos) << what;
        // The key is not there yet: run the rest with the built-in sweep interval.
        sweep_configurable = false;
        server = std::make_unique<ServerHarness>(ServerConfig{});
        ASSERT_NO_THROW(server->Start());
    }
    const size_t log_offset = server->LogSize();
    const std::string id = "ttl_job";
    const std::string keeper = "ttl_keeper";
    ASSERT_TRUE(IsApiSuccess(server->PostJob("count_entries", R"({"job_id":")" + id + R"(","ttl":2})")));
    ASSERT_TRUE(IsApiSuccess(server->PostJob("count_entries", R"({"job_id":")" + keeper + R"("})")));
    const auto job = server->WaitForState(id, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(job.isNull());
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(JsonInt(job, "ttl"), 2);
    ASSERT_FALSE(server->WaitForState(keeper, {"SUCCESS"}).isNull());
    EXPECT_TRUE(TableExists(server->results_db(), "results_" + id));

    // The job record goes first...
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    HttpResponse last;
    while (std::chrono::steady_clock::now() < deadline) {
        last = server->Get("/jobs/" + id);
        if (last.status == 404) break;
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(IsApiError(last, 404, {id})) << "the job record outlived its 2 s TTL";
    // ...the job without a ttl stays (default_job_ttl is 1h in the harness config).
    EXPECT_TRUE(IsApiSuccess(server->Get("/jobs/" + keeper)));
    EXPECT_TRUE(TableExists(server->results_db(), "results_" + keeper));

    if (!sweep_configurable) {
        GTEST_SKIP() << "app.expiry_sweep_interval is not a config key yet (the sweep runs every 30 s, hard-wired in "
                        "host/src/jobber/app/application.cpp); not checking that the results table is dropped";
    }
    bool dropped = false;
    const auto table_deadline = std::chrono::steady_clock::now() + 8s;
    while (std::chrono::steady_clock::now() < table_deadline && !dropped) {
        dropped = !TableExists(server->results_db(), "results_" + id);
        if (!dropped) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(dropped) << "results_" << id << " still exists well after its TTL with a 1 s sweep";
    EXPECT_TRUE(TableExists(server->results_db(), "results_" + keeper));
    if (HasFailure()) std::cerr << "[e2e] server log:\n" << server->LogSince(log_offset);
}

}  // namespace
}  // namespace jobber::e2e
