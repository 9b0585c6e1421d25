#include "jobber/config/listen_address.hpp"

#include <stdexcept>

namespace jobber::config {
namespace {

bool IsHostChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_';
}

bool IsIpv6Char(char c) {
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' || c == '.' ||
           c == '%' || IsHostChar(c);
}

[[noreturn]] void Fail(std::string_view text, const std::string& why) {
    constexpr size_t kShown = 80;
    std::string quoted(text.substr(0, kShown));
    if (text.size() > kShown) quoted += "...";
    throw std::invalid_argument("invalid listen address '" + quoted + "': " + why +
                                "; write host:port, e.g. 127.0.0.1:6060 or [::1]:6060");
}

uint16_t ParsePort(std::string_view text, std::string_view port) {
    if (port.empty()) Fail(text, "the port is missing");
    unsigned value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') Fail(text, "the port must be a number");
        value = value * 10 + static_cast<unsigned>(c - '0');
        if (value > 65535) Fail(text, "the port must be at most 65535");
    }
    return static_cast<uint16_t>(value);
}

}  // namespace

ListenAddress ParseListenAddress(std::string_view text) {
    if (text.empty()) Fail(text, "it is empty");
    if (text.find("://") != std::string_view::npos) Fail(text, "leave out the scheme");
    ListenAddress address;
    std::string_view port;
    if (text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos) Fail(text, "the IPv6 address has no closing ']'");
        const std::string_view host = text.substr(1, close - 1);
        if (host.empty()) Fail(text, "the host is empty");
        for (char c : host) {
            if (!IsIpv6Char(c)) Fail(text, "the IPv6 address contains '" + std::string(1, c) + "'");
        }
        if (close + 1 >= text.size() || text[close + 1] != ':') Fail(text, "the port is missing");
        address.host = std::string(host);
        port = text.substr(close + 2);
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) Fail(text, "the port is missing");
        const std::string_view host = text.substr(0, colon);
        if (host.empty()) Fail(text, "the host is missing (use 0.0.0.0 to listen on every interface)");
        if (host.find(':') != std::string_view::npos) Fail(text, "put an IPv6 address in brackets");
        for (char c : host) {
            if (!IsHostChar(c)) Fail(text, "the host contains '" + std::string(1, c) + "'");
        }
        address.host = std::string(host);
        port = text.substr(colon + 1);
    }
    address.port = ParsePort(text, port);
    return address;
}

}  // namespace jobber::config
