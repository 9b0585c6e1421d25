#pragma once

#include <string>

namespace jobber::metrics {

// The host's named metrics, so every component records into the same families with the same
// labels. All functions are thread-safe and cheap.
void JobAccepted(const std::string& task, const std::string& queue);
void JobStarted(const std::string& task, const std::string& queue, double wait_seconds);
void JobFinished(const std::string& task,
                 const std::string& queue,
                 const std::string& state,
                 double run_seconds,
                 int64_t rows,
                 int64_t bytes);
void JobRetried(const std::string& task);
void JobCancelled(const std::string& task);
void HttpRequest(const std::string& route, const std::string& method, int status, double seconds);
void PluginError(const std::string& plugin,
                 const std::string& instance,
                 const std::string& operation,
                 const std::string& code);
void SourceQueryStarted(const std::string& db);
void SourceQueryFinished(const std::string& db);
void ResultsWriteStarted(const std::string& backend);
void ResultsWriteFinished(const std::string& backend);

// Counts one unit of an in-flight gauge (a source query, a results write) for as long as it lives.
class InFlightScope {
public:
    using Update = void (*)(const std::string&);
    InFlightScope(Update started, Update finished, const std::string& label) : finished_(finished), label_(label) {
        started(label_);
    }
    ~InFlightScope() { finished_(label_); }
    InFlightScope(const InFlightScope&) = delete;
    InFlightScope& operator=(const InFlightScope&) = delete;

private:
    Update finished_;
    const std::string& label_;
};

}  // namespace jobber::metrics
