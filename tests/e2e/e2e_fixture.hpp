// GoogleTest glue for the end-to-end tests: a fixture whose server is shared by the tests of one suite, and small
// assertion helpers for the API's JSON envelope.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "server_harness.hpp"

namespace jobber::e2e {

// Asserts the error envelope {"status":"error","message":...,"data":null} with `status`, and that the message
// contains every fragment in `fragments`.
inline ::testing::AssertionResult IsApiError(const HttpResponse& response,
                                             int status,
                                             std::initializer_list<std::string> fragments = {}) {
    if (response.status != status) {
        return ::testing::AssertionFailure() << "want HTTP " << status << ", got " << response.Describe();
    }
    if (response.envelope.isNull()) {
        return ::testing::AssertionFailure()
               << "no JSON envelope (" << response.parse_error << "): " << response.Describe();
    }
    if (response.EnvelopeStatus() != "error") {
        return ::testing::AssertionFailure() << "envelope status is not \"error\": " << response.Describe();
    }
    if (!response.envelope->has("data") || !response.envelope->isNull("data")) {
        return ::testing::AssertionFailure() << "envelope data is not null: " << response.Describe();
    }
    const std::string message = response.Message();
    if (message.empty()) return ::testing::AssertionFailure() << "empty error message: " << response.Describe();
    for (const auto& fragment : fragments) {
        if (message.find(fragment) == std::string::npos) {
            return ::testing::AssertionFailure()
                   << "message does not mention \"" << fragment << "\": " << response.Describe();
        }
    }
    if (response.Header("Content-Type").find("application/json") != 0) {
        return ::testing::AssertionFailure()
               << "Content-Type is '" << response.Header("Content-Type") << "', not application/json";
    }
    return ::testing::AssertionSuccess();
}

// Asserts HTTP 200 with {"status":"success","data":...}.
inline ::testing::AssertionResult IsApiSuccess(const HttpResponse& response) {
    if (response.status != 200) return ::testing::AssertionFailure() << "want HTTP 200, got " << response.Describe();
    if (response.envelope.isNull()) {
        return ::testing::AssertionFailure()
               << "no JSON envelope (" << response.parse_error << "): " << response.Describe();
    }
    if (response.EnvelopeStatus() != "success") {
        return ::testing::AssertionFailure() << "envelope status is not \"success\": " << response.Describe();
    }
    return ::testing::AssertionSuccess();
}

// A fixture with one server for the whole suite (ctest runs each test in its own process, so then each test gets a
// fresh server; a plain run of the binary shares one). Tests use unique job IDs, so they do not interfere. On
// failure the server log written during the test is printed.
template <class Derived>
class SharedServerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        start_error_ = new std::string();
        try {
            server_ = new ServerHarness(Derived::Config());
            server_->Start();
        } catch (const std::exception& e) {
            *start_error_ = e.what();
        }
    }

    static void TearDownTestSuite() {
        if (server_ != nullptr) {
            const auto code = server_->Stop();
            if (!code || *code != 0) {
                ADD_FAILURE() << "the shared server did not stop cleanly (exit "
                              << (code ? std::to_string(*code) : std::string("killed")) << "); its log:\n"
                              << server_->LogSince(0, 80);
            }
        }
        delete server_;
        server_ = nullptr;
        delete start_error_;
        start_error_ = nullptr;
    }

    static ServerConfig Config() {
        ServerConfig config;
        return config;
    }

    void SetUp() override {
        ASSERT_TRUE(start_error_ != nullptr && start_error_->empty()) << "server did not start: " << *start_error_;
        ASSERT_TRUE(server_->Running()) << "the shared server is gone; its log:\n" << server_->LogSince(0, 80);
        log_offset_ = server_->LogSize();
    }

    void TearDown() override {
        if (HasFailure() && server_ != nullptr) {
            std::cerr << "[e2e] server log during this test:\n" << server_->LogSince(log_offset_) << std::flush;
        }
    }

    // A job or group ID unique within this test process: <prefix>_<test name>_<n>, cut to 60 characters.
    static std::string UniqueId(const std::string& prefix) {
        static std::atomic<int> counter{0};
        std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        std::string id = prefix + "_" + name.substr(0, 40) + "_" + std::to_string(++counter);
        for (char& c : id) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != ':') c = '_';
        }
        return id.substr(0, 60);
    }

    ServerHarness& server() { return *server_; }

    static inline ServerHarness* server_ = nullptr;
    static inline std::string* start_error_ = nullptr;
    size_t log_offset_ = 0;
};

}  // namespace jobber::e2e
