#include "jobber/metrics/registry.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace jobber::metrics {

namespace {

std::string FormatNumber(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (std::isnan(v)) return "NaN";
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
        std::snprintf(buf, sizeof(buf), "%.0f", v);
    } else {
        std::snprintf(buf, sizeof(buf), "%.9g", v);
    }
    return buf;
}

std::string LabelText(const std::vector<std::string>& names, const Labels& values, const std::string& extra = {}) {
    std::string out;
    for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
        out += (out.empty() ? "" : ",") + names[i] + "=\"" + EscapeLabel(values[i]) + "\"";
    }
    if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
    return out.empty() ? "" : "{" + out + "}";
}

const char* KindName(Family::Kind kind) {
    switch (kind) {
        case Family::Kind::kCounter:
            return "counter";
        case Family::Kind::kGauge:
            return "gauge";
        case Family::Kind::kHistogram:
            return "histogram";
    }
    return "untyped";
}

}  // namespace

std::string EscapeLabel(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (char ch : value) {
        if (ch == '\\') {
            out += "\\\\";
        } else if (ch == '"') {
            out += "\\\"";
        } else if (ch == '\n') {
            out += "\\n";
        } else {
            out += ch;
        }
    }
    return out;
}

const std::vector<double>& DurationBuckets() {
    static const std::vector<double> buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                                5,     10,   30,    60,   120, 300,  600, 1800};
    return buckets;
}

Family::Family(
    std::string name, std::string help, Kind kind, std::vector<std::string> label_names, std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      kind_(kind),
      label_names_(std::move(label_names)),
      bounds_(std::move(buckets)) {}

void Family::Add(const Labels& labels, double delta) {
    std::lock_guard<std::mutex> lock(mutex_);
    series_[labels].value += delta;
}

void Family::Set(const Labels& labels, double value) {
    std::lock_guard<std::mutex> lock(mutex_);
    series_[labels].value = value;
}

void Family::Observe(const Labels& labels, double value) {
    std::lock_guard<std::mutex> lock(mutex_);
    Series& s = series_[labels];
    if (s.buckets.empty()) s.buckets.assign(bounds_.size(), 0);
    s.value += value;
    s.count += 1;
    for (size_t i = 0; i < bounds_.size(); ++i) {
        if (value <= bounds_[i]) {
            s.buckets[i] += 1;
            break;
        }
    }
}

double Family::Value(const Labels& labels) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = series_.find(labels);
    return it == series_.end() ? 0 : it->second.value;
}

uint64_t Family::Count(const Labels& labels) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = series_.find(labels);
    return it == series_.end() ? 0 : it->second.count;
}

void Family::Render(std::string& out) const {
    std::lock_guard<std::mutex> lock(mutex_);
    out += "# HELP " + name_ + " " + help_ + "\n";
    out += "# TYPE " + name_ + " " + KindName(kind_) + "\n";
    for (const auto& [labels, s] : series_) {
        if (kind_ != Kind::kHistogram) {
            out += name_ + LabelText(label_names_, labels) + " " + FormatNumber(s.value) + "\n";
            continue;
        }
        uint64_t cumulative = 0;
        for (size_t i = 0; i < bounds_.size(); ++i) {
            cumulative += s.buckets.empty() ? 0 : s.buckets[i];
            out += name_ + "_bucket" + LabelText(label_names_, labels, "le=\"" + FormatNumber(bounds_[i]) + "\"") +
                   " " + std::to_string(cumulative) + "\n";
        }
        out +=
            name_ + "_bucket" + LabelText(label_names_, labels, "le=\"+Inf\"") + " " + std::to_string(s.count) + "\n";
        out += name_ + "_sum" + LabelText(label_names_, labels) + " " + FormatNumber(s.value) + "\n";
        out += name_ + "_count" + LabelText(label_names_, labels) + " " + std::to_string(s.count) + "\n";
    }
}

Registry& Registry::Default() {
    static Registry* registry = new Registry();  // never destroyed: threads may record during exit
    return *registry;
}

Family& Registry::Get(const std::string& name,
                      const std::string& help,
                      Family::Kind kind,
                      std::vector<std::string> label_names,
                      std::vector<double> buckets) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = families_.find(name);
    if (it != families_.end()) return *it->second;
    auto family = std::make_unique<Family>(name, help, kind, std::move(label_names), std::move(buckets));
    Family& ref = *family;
    families_.emplace(name, std::move(family));
    return ref;
}

Family& Registry::Counter(const std::string& name, const std::string& help, std::vector<std::string> label_names) {
    return Get(name, help, Family::Kind::kCounter, std::move(label_names), {});
}

Family& Registry::Gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names) {
    return Get(name, help, Family::Kind::kGauge, std::move(label_names), {});
}

Family& Registry::Histogram(const std::string& name,
                            const std::string& help,
                            std::vector<std::string> label_names,
                            std::vector<double> buckets) {
    return Get(name, help, Family::Kind::kHistogram, std::move(label_names), std::move(buckets));
}

void Registry::AddCollector(std::function<void()> collector) {
    std::lock_guard<std::mutex> lock(mutex_);
    collectors_.push_back(std::move(collector));
}

void Registry::ClearCollectors() {
    std::lock_guard<std::mutex> lock(mutex_);
    collectors_.clear();
}

std::string Registry::Render() const {
    std::vector<std::function<void()>> collectors;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        collectors = collectors_;
    }
    for (const auto& collect : collectors) collect();
    std::string out;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, family] : families_) family->Render(out);
    return out;
}

}  // namespace jobber::metrics
