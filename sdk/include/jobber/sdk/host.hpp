// The host's services as seen from plugin code.
#pragma once

#include <atomic>
#include <string>

#include "jobber/abi/common.h"

namespace jobber::sdk {

enum class LogLevel : int32_t {
    kError = JOBBER_LOG_ERROR,
    kWarning = JOBBER_LOG_WARNING,
    kInfo = JOBBER_LOG_INFO,
    kDebug = JOBBER_LOG_DEBUG
};

namespace detail {
inline std::atomic<const jobber_host_api*>& HostApiSlot() {
    static std::atomic<const jobber_host_api*> slot{nullptr};
    return slot;
}
}  // namespace detail

// Logs through the host (plugins never write to stdout/stderr). Dropped before init.
inline void Log(LogLevel level, const std::string& component, const std::string& message) {
    const jobber_host_api* host = detail::HostApiSlot().load();
    if (host == nullptr || host->log == nullptr) return;
    host->log(host->host, static_cast<int32_t>(level), component.c_str(), message.c_str());
}

}  // namespace jobber::sdk
