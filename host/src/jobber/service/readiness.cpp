#include "jobber/service/readiness.hpp"

namespace jobber::service {

namespace {
template <class Ping>
ComponentCheck Check(const std::string& component, Ping&& ping) {
    ComponentCheck check{component, true, {}};
    try {
        ping();
    } catch (const std::exception& e) {
        check.ok = false;
        check.error = e.what();
    }
    return check;
}
}  // namespace

std::vector<ComponentCheck> CheckReadiness(Backends& backends) {
    std::vector<ComponentCheck> checks;
    checks.push_back(Check("broker", [&] { backends.broker->Ping(); }));
    checks.push_back(Check("state", [&] { backends.state->Ping(); }));
    // Plain loop variables: structured bindings cannot be captured before C++20 in every compiler.
    for (auto& item : backends.sources) {
        plugin::SourceClient* source = item.second.get();
        checks.push_back(Check("db." + item.first, [source] { source->Ping(); }));
    }
    for (auto& item : backends.results) {
        plugin::ResultsClient* results = item.second.client.get();
        checks.push_back(Check("results." + item.first, [results] { results->Ping(); }));
    }
    return checks;
}

}  // namespace jobber::service
