// The config keys of both roles (declared for the host, read at open).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "copy_encoder.hpp"
#include "jobber/abi/common.h"
#include "jobber/sdk/config.hpp"
#include "pg_connection.hpp"

namespace jobber::postgres {

struct SourceSettings {
    ConnectionSettings connection;
    size_t max_connections = 4;
};

struct ResultsSettings {
    ConnectionSettings connection;
    size_t max_connections = 8;
    bool unlogged = false;
    CopyFormat copy_format = CopyFormat::kBinary;
    // How long publishing a re-run waits for the lock on the table it replaces (a reader still on it); 0 = as long
    // as it takes. While it waits, new readers of that table queue behind it, so the wait is bounded by default.
    int64_t replace_lock_timeout_ms = 10000;
};

const std::vector<jobber_config_field>& SourceConfigFields();
const std::vector<jobber_config_field>& ResultsConfigFields();

// Read and check an instance's keys; INVALID_ARGUMENT naming the key for a bad value.
SourceSettings ParseSourceSettings(const sdk::Config& config, const std::string& instance_name);
ResultsSettings ParseResultsSettings(const sdk::Config& config, const std::string& instance_name);

}  // namespace jobber::postgres
