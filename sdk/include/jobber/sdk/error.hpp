// Exceptions inside a plugin, status codes at the boundary: the translation lives here.
#pragma once

#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "jobber/abi/common.h"

namespace jobber::sdk {

// Thrown by plugin code (and the host's adapters); carries the boundary code.
class Error : public std::runtime_error {
public:
    Error(jobber_code code, const std::string& message, int32_t vendor_code = 0, std::string sqlstate = {})
        : std::runtime_error(message), code_(code), vendor_code_(vendor_code), sqlstate_(std::move(sqlstate)) {}

    jobber_code code() const noexcept { return code_; }
    int32_t vendor_code() const noexcept { return vendor_code_; }
    const std::string& sqlstate() const noexcept { return sqlstate_; }

private:
    jobber_code code_;
    int32_t vendor_code_;
    std::string sqlstate_;
};

inline const char* CodeName(jobber_code code) noexcept {
    switch (code) {
        case JOBBER_OK:
            return "OK";
        case JOBBER_CANCELLED:
            return "CANCELLED";
        case JOBBER_INVALID_ARGUMENT:
            return "INVALID_ARGUMENT";
        case JOBBER_DEADLINE_EXCEEDED:
            return "DEADLINE_EXCEEDED";
        case JOBBER_NOT_FOUND:
            return "NOT_FOUND";
        case JOBBER_ALREADY_EXISTS:
            return "ALREADY_EXISTS";
        case JOBBER_FAILED_PRECONDITION:
            return "FAILED_PRECONDITION";
        case JOBBER_UNIMPLEMENTED:
            return "UNIMPLEMENTED";
        case JOBBER_INTERNAL:
            return "INTERNAL";
        case JOBBER_UNAVAILABLE:
            return "UNAVAILABLE";
        default:
            return "UNKNOWN";
    }
}

namespace detail {
inline void ReleaseErrorMessage(jobber_error* error) {
    std::free(error->message);
    error->message = nullptr;
    error->release = nullptr;
}
}  // namespace detail

// Fills a caller-provided jobber_error; the message is freed by the callee-side release.
inline void SetError(jobber_error* error, const char* message, int32_t vendor_code = 0, const char* sqlstate = "") {
    if (error == nullptr) return;
    if (error->release != nullptr) error->release(error);
    const size_t size = std::strlen(message) + 1;
    error->message = static_cast<char*>(std::malloc(size));
    if (error->message != nullptr) std::memcpy(error->message, message, size);
    error->vendor_code = vendor_code;
    std::strncpy(error->sqlstate, sqlstate != nullptr ? sqlstate : "", sizeof(error->sqlstate) - 1);
    error->sqlstate[sizeof(error->sqlstate) - 1] = '\0';
    error->release = &detail::ReleaseErrorMessage;
}

// Runs `body`, turning any exception into a status code and error text so nothing unwinds
// across the C boundary.
template <class Body>
jobber_code Guard(jobber_error* error, Body&& body) noexcept {
    try {
        body();
        return JOBBER_OK;
    } catch (const Error& e) {
        SetError(error, e.what(), e.vendor_code(), e.sqlstate().c_str());
        return e.code() != JOBBER_OK ? e.code() : JOBBER_INTERNAL;  // the body did not finish: never report OK
    } catch (const std::bad_alloc&) {
        SetError(error, "out of memory");
        return JOBBER_INTERNAL;
    } catch (const std::exception& e) {
        SetError(error, e.what());
        return JOBBER_INTERNAL;
    } catch (...) {
        SetError(error, "plugin threw a non-standard exception");
        return JOBBER_INTERNAL;
    }
}

// RAII owner of a jobber_error the caller passes into a plugin call.
class ErrorSlot {
public:
    ErrorSlot() = default;
    ErrorSlot(const ErrorSlot&) = delete;
    ErrorSlot& operator=(const ErrorSlot&) = delete;
    ~ErrorSlot() {
        if (error_.release != nullptr) error_.release(&error_);
    }
    jobber_error* get() { return &error_; }
    std::string message(const char* fallback = "no details given") const {
        return error_.message != nullptr ? std::string(error_.message) : std::string(fallback);
    }
    int32_t vendor_code() const { return error_.vendor_code; }
    std::string sqlstate() const { return std::string(error_.sqlstate); }

private:
    jobber_error error_{};
};

}  // namespace jobber::sdk
