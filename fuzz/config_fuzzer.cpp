// The config loader must turn any bytes into Settings or a ConfigError, nothing else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "jobber/config/config_error.hpp"
#include "jobber/config/config_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        jobber::config::ParseSettings(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
    } catch (const jobber::config::ConfigError&) {
        // The expected outcome for malformed input.
    }
    return 0;
}
