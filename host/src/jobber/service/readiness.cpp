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
    for (auto& [name, source] : backends.sources) {
        checks.push_back(Check("db." + name, [&] { source->Ping(); }));
    }
    for (auto& [name, entry] : backends.results) {
        checks.push_back(Check("results." + name, [&] { entry.client->Ping(); }));
    }
    return checks;
}

}  // namespace jobber::service
