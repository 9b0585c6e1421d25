// The plugin's only exported entry points; the logic lives in redis_broker and redis_state.
#include "jobber/sdk/plugin.hpp"

#include "redis_broker.hpp"
#include "redis_state.hpp"

JOBBER_PLUGIN("redis",
              "1.0.0",
              "Redis broker and state store shared by many sql-jobber processes (hiredis)",
              jobber::sdk::BrokerRole<jobber::redis::RedisBroker>,
              jobber::sdk::StateRole<jobber::redis::RedisState>)
