#include "jobber/config/listen_address.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace jobber::config {
namespace {

std::string AddressError(std::string_view text) {
    try {
        ParseListenAddress(text);
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    ADD_FAILURE() << "accepted '" << text << "'";
    return {};
}

TEST(ParseListenAddressTest, HostAndPort) {
    const ListenAddress address = ParseListenAddress("127.0.0.1:6060");
    EXPECT_EQ(address.host, "127.0.0.1");
    EXPECT_EQ(address.port, 6060);
    EXPECT_EQ(ParseListenAddress("localhost:80").host, "localhost");
    EXPECT_EQ(ParseListenAddress("0.0.0.0:65535").port, 65535);
    EXPECT_EQ(ParseListenAddress("my-host.example_1:1").host, "my-host.example_1");
}

TEST(ParseListenAddressTest, PortZeroMeansAnyFreePort) {
    EXPECT_EQ(ParseListenAddress("127.0.0.1:0").port, 0);
}

TEST(ParseListenAddressTest, BracketedIpv6) {
    const ListenAddress address = ParseListenAddress("[::1]:6060");
    EXPECT_EQ(address.host, "::1");
    EXPECT_EQ(address.port, 6060);
    EXPECT_EQ(ParseListenAddress("[fe80::1%eth0]:80").host, "fe80::1%eth0");
}

TEST(ParseListenAddressTest, RejectsBadShapesWithAHint) {
    const struct {
        const char* text;
        const char* why;
    } cases[] = {
        {"", "empty"},
        {"localhost", "port is missing"},
        {"127.0.0.1:", "port is missing"},
        {":6060", "host is missing"},
        {"127.0.0.1:http", "must be a number"},
        {"127.0.0.1:65536", "at most 65535"},
        {"127.0.0.1:-1", "must be a number"},
        {"127.0.0.1:99999999999999999999", "at most 65535"},
        {"::1:6060", "brackets"},
        {"[::1]", "port is missing"},
        {"[::1]6060", "port is missing"},
        {"[::1:6060", "no closing"},
        {"[]:6060", "host is empty"},
        {"http://127.0.0.1:6060", "scheme"},
        {"local host:6060", "contains ' '"},
        {"127.0.0.1:6060/", "must be a number"},
    };
    for (const auto& c : cases) {
        const std::string message = AddressError(c.text);
        EXPECT_NE(message.find(std::string("'") + c.text + "'"), std::string::npos) << message;
        EXPECT_NE(message.find(c.why), std::string::npos) << c.text << " -> " << message;
        EXPECT_NE(message.find("host:port"), std::string::npos) << message;
    }
}

TEST(ParseListenAddressTest, HostileInput) {
    const std::string huge(1 << 20, 'a');
    EXPECT_LT(AddressError(huge).size(), 300u);
    EXPECT_FALSE(AddressError(std::string("\0:80", 4)).empty());
}

}  // namespace
}  // namespace jobber::config
