#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jobber::config {

struct ListenAddress {
    std::string host;  // a name or IPv4 address, or an IPv6 address without its brackets
    uint16_t port = 0;
};

// Splits "host:port" as the server listens on it: "127.0.0.1:6060", "localhost:80", "[::1]:6060". The host is
// required (write 0.0.0.0 for every interface; Go's ":6060" is refused because Poco resolves "" to nothing). The port
// is 0..65535; 0 asks the OS for a free port, which the integration tests use. Throws std::invalid_argument whose
// message quotes the text and says what shape to use. Shared by the config loader and the --server override.
ListenAddress ParseListenAddress(std::string_view text);

}  // namespace jobber::config
