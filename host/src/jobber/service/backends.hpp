#pragma once

#include <map>
#include <memory>
#include <string>

#include "jobber/plugin/broker_client.hpp"
#include "jobber/plugin/results_client.hpp"
#include "jobber/plugin/source_client.hpp"
#include "jobber/plugin/state_client.hpp"

namespace jobber::service {

struct ResultsBackendEntry {
    std::unique_ptr<plugin::ResultsClient> client;
    std::string table_format;  // results_table, "%s" = job ID
};

// The open plugin instances of this process, built once at start-up.
struct Backends {
    std::unique_ptr<plugin::BrokerClient> broker;
    std::unique_ptr<plugin::StateClient> state;
    std::map<std::string, std::unique_ptr<plugin::SourceClient>> sources;
    std::map<std::string, ResultsBackendEntry> results;
};

// The queue to list a PENDING or RETRY record under in the state store's queue index: none when the broker can
// show its queues itself (GET /jobs/queue asks it first), which spares the store that bookkeeping on every job.
inline std::string StateIndexQueue(plugin::BrokerClient& broker, const std::string& queue) {
    return broker.BrowsesQueues(queue) ? std::string() : queue;
}

}  // namespace jobber::service
