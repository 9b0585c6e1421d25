#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace jobber::metrics {

using Labels = std::vector<std::string>;  // values, in the family's label-name order

// A metric family (one name, one set of label names) with a value per label set. Thread-safe.
class Family {
public:
    enum class Kind { kCounter, kGauge, kHistogram };

    Family(std::string name,
           std::string help,
           Kind kind,
           std::vector<std::string> label_names,
           std::vector<double> buckets = {});

    // Counter/gauge: add `delta` (counters only ever grow).
    void Add(const Labels& labels, double delta = 1.0);
    // Gauge: set the value.
    void Set(const Labels& labels, double value);
    // Histogram: record one observation.
    void Observe(const Labels& labels, double value);
    double Value(const Labels& labels) const;
    uint64_t Count(const Labels& labels) const;  // histogram observations

    void Render(std::string& out) const;
    const std::string& name() const { return name_; }

private:
    struct Series {
        double value = 0;               // counter/gauge value, or histogram sum
        uint64_t count = 0;             // histogram observations
        std::vector<uint64_t> buckets;  // histogram: cumulative at render time
    };

    std::string name_;
    std::string help_;
    Kind kind_;
    std::vector<std::string> label_names_;
    std::vector<double> bounds_;
    mutable std::mutex mutex_;
    std::map<Labels, Series> series_;
};

// Metrics of the process, rendered in the Prometheus text format (version 0.0.4).
class Registry {
public:
    // The process-wide registry the host's components record into.
    static Registry& Default();

    Family& Counter(const std::string& name, const std::string& help, std::vector<std::string> label_names);
    Family& Gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names);
    Family& Histogram(const std::string& name,
                      const std::string& help,
                      std::vector<std::string> label_names,
                      std::vector<double> buckets);
    // Runs before each render, to refresh gauges that are sampled rather than tracked (queue depth).
    void AddCollector(std::function<void()> collector);
    // Drops every collector (they capture components that are about to be destroyed).
    void ClearCollectors();

    std::string Render() const;

private:
    Family& Get(const std::string& name,
                const std::string& help,
                Family::Kind kind,
                std::vector<std::string> label_names,
                std::vector<double> buckets);

    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Family>> families_;
    std::vector<std::function<void()>> collectors_;
};

// Latency buckets in seconds, from 5 ms to 30 min: HTTP calls and SQL jobs share them.
const std::vector<double>& DurationBuckets();

// Escapes a label value for the text format.
std::string EscapeLabel(const std::string& value);

}  // namespace jobber::metrics
