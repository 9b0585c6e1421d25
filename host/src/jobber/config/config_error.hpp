#pragma once

#include <stdexcept>

namespace jobber::config {

// A config file the host cannot start with. what() is one line for the operator: "file:line: key.path: what is wrong
// and what to write instead". Thrown only at start-up, so callers print it and exit.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace jobber::config
