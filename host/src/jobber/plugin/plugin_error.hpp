#pragma once

#include <string>

#include "jobber/sdk/error.hpp"

namespace jobber::plugin {

// A failed plugin call, already phrased for the operator ("results 'main' (postgres): ...").
using PluginError = jobber::sdk::Error;

// Thrown when a plugin file cannot be used at all (bad ABI, missing symbols, not loadable).
class PluginLoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace jobber::plugin
