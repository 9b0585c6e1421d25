// Pieces shared by the conformance suites (broker_contract.hpp, state_contract.hpp): call results
// that keep the plugin's error text, open arguments built from a plain config list, and names that
// do not collide on a server shared by several test runs.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "jobber/abi/common.h"

namespace jobber::testing {

using ConfigList = std::vector<std::pair<std::string, std::string>>;

// The outcome of one ABI call: the code plus the plugin's message, copied out before the
// jobber_error is released.
struct CallResult {
    jobber_code code = JOBBER_OK;
    std::string message;

    bool ok() const { return code == JOBBER_OK; }
};

inline std::ostream& operator<<(std::ostream& out, const CallResult& result) {
    out << "code " << result.code;
    if (!result.message.empty()) out << " (" << result.message << ")";
    return out;
}

namespace detail {

// Owns the jobber_error passed into one call and turns it into a CallResult.
class CallError {
public:
    CallError() = default;
    CallError(const CallError&) = delete;
    CallError& operator=(const CallError&) = delete;
    ~CallError() {
        if (error_.release != nullptr) error_.release(&error_);
    }

    jobber_error* get() { return &error_; }

    CallResult Result(jobber_code code) const {
        return CallResult{code, error_.message != nullptr ? std::string(error_.message) : std::string()};
    }

private:
    jobber_error error_{};
};

// jobber_open_args pointing into `config`, which must outlive the call.
class OpenArgsHolder {
public:
    // Keeps its own copy of the name: callers pass temporaries.
    OpenArgsHolder(std::string instance_name, const ConfigList& config) : instance_name_(std::move(instance_name)) {
        for (const auto& [key, value] : config) kvs_.push_back(jobber_kv{key.c_str(), value.c_str()});
        args_.struct_size = sizeof(jobber_open_args);
        args_.instance_name = instance_name_.c_str();
        args_.config = kvs_.empty() ? nullptr : kvs_.data();
        args_.config_count = static_cast<uint32_t>(kvs_.size());
    }

    const jobber_open_args* get() const { return &args_; }

private:
    std::string instance_name_;
    std::vector<jobber_kv> kvs_;
    jobber_open_args args_{};
};

}  // namespace detail

// `prefix` plus a random suffix, so runs sharing one Redis or RabbitMQ never see each other's keys.
inline std::string UniqueName(const std::string& prefix) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char suffix[17];
    std::snprintf(suffix, sizeof(suffix), "%016llx", static_cast<unsigned long long>(rng()));
    return "jobber_contract_" + prefix + "_" + suffix;
}

inline int64_t NowUnixMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The last argument of INSTANTIATE_TEST_SUITE_P: names each instantiation after `param.name`.
struct ContractParamName {
    template <class Params>
    std::string operator()(const ::testing::TestParamInfo<Params>& info) const {
        return info.param.name;
    }
};

inline ::testing::AssertionResult IsOk(const char* expr_text, const CallResult& result) {
    if (result.ok()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << expr_text << " returned " << result << ", expected OK";
}

}  // namespace jobber::testing

// Fail the current test unless `expr` (a CallResult) is OK, showing the call and the plugin's error
// text. Further context can be streamed in: JOBBER_EXPECT_OK(Ack(r)) << "second ack".
#define JOBBER_ASSERT_OK(expr) ASSERT_PRED_FORMAT1(::jobber::testing::IsOk, expr)
#define JOBBER_EXPECT_OK(expr) EXPECT_PRED_FORMAT1(::jobber::testing::IsOk, expr)
