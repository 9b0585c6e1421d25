// The plugin's only exported entry points; the logic lives in memory_broker and memory_state.
#include "jobber/sdk/plugin.hpp"

#include "memory_broker.hpp"
#include "memory_state.hpp"

JOBBER_PLUGIN("memory",
              "1.0.0",
              "In-process broker and state store for a single sql-jobber process",
              jobber::sdk::BrokerRole<jobber::memory::MemoryBroker>,
              jobber::sdk::StateRole<jobber::memory::MemoryState>)
