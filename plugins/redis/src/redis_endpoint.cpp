#include "redis_endpoint.hpp"

#include "sentinel_endpoint.hpp"

namespace jobber::redis {

std::unique_ptr<Endpoint> MakeEndpoint(const RedisSettings& settings, const std::string& instance_name) {
    if (settings.UsesSentinel()) return std::make_unique<SentinelEndpoint>(settings, instance_name);
    return std::make_unique<FixedEndpoint>(settings);
}

}  // namespace jobber::redis
