#pragma once

#include <string>
#include <vector>

#include "jobber/service/backends.hpp"

namespace jobber::service {

struct ComponentCheck {
    std::string component;  // "broker", "state", "db.main", "results.main"
    bool ok = false;
    std::string error;  // why not, for the operator
};

// Pings every plugin instance; each check is independent, so one dead database is named alone.
std::vector<ComponentCheck> CheckReadiness(Backends& backends);

}  // namespace jobber::service
