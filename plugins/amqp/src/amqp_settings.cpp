#include "amqp_settings.hpp"

#include <cctype>

#include "amqp_tls.hpp"
#include "jobber/sdk/error.hpp"

namespace jobber::amqp {

namespace {

constexpr std::string_view kScheme = "amqp://";
constexpr std::string_view kTlsScheme = "amqps://";
constexpr size_t kMaxQueueName = 128;
constexpr const char* kTlsKeys[] = {"tls_ca_file", "tls_cert_file", "tls_key_file", "tls_verify_peer",
                                    "tls_verify_hostname"};

[[noreturn]] void BadUrl(const std::string& why) {
    throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'url': " + why +
                                                  "; use amqp://user:password@host:5672/vhost (or amqps://...:5671/ "
                                                  "for TLS)");
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decoding; `part` names the URL part for the message (never its value: it may be the password).
std::string Decode(std::string_view text, const char* part) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size()) BadUrl(std::string("bad %-escape in the ") + part);
        const int high = HexValue(text[i + 1]), low = HexValue(text[i + 2]);
        if (high < 0 || low < 0) BadUrl(std::string("bad %-escape in the ") + part);
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return out;
}

int ParsePort(std::string_view port) {
    if (port.empty() || port.size() > 5) BadUrl("the port is missing or too long");
    int value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') BadUrl("the port is not a number");
        value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) BadUrl("the port is outside 1-65535");
    return value;
}

std::chrono::milliseconds PositiveDuration(const sdk::Config& config, const std::string& key, int64_t fallback_ms) {
    const int64_t ms = config.GetDurationMs(key, fallback_ms);
    if (ms <= 0) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "config key '" + key + "' must be a positive duration, got " + std::to_string(ms) + " ms");
    }
    return std::chrono::milliseconds(ms);
}

int64_t IntInRange(const sdk::Config& config, const std::string& key, int64_t fallback, int64_t low, int64_t high) {
    const int64_t value = config.GetInt(key, fallback);
    if (value < low || value > high) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key '" + key + "' must be " + std::to_string(low) + "-" +
                                                      std::to_string(high) + ", got " + std::to_string(value));
    }
    return value;
}

}  // namespace

std::string AmqpEndpoint::Describe() const {
    const std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return std::string(tls ? kTlsScheme : kScheme) + user + "@" + shown_host + ":" + std::to_string(port) + "/" +
           (vhost == "/" ? "" : vhost);
}

AmqpEndpoint ParseUrl(std::string_view url) {
    AmqpEndpoint endpoint;
    std::string_view rest;
    if (url.substr(0, kScheme.size()) == kScheme) {
        rest = url.substr(kScheme.size());
    } else if (url.substr(0, kTlsScheme.size()) == kTlsScheme) {
        rest = url.substr(kTlsScheme.size());
        endpoint.tls = true;
        endpoint.port = kAmqpsPort;
    } else {
        BadUrl("it must start with amqp:// or amqps://");
    }
    const size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        const std::string_view path = rest.substr(slash + 1);
        // amqp://host/ and amqp://host are the default vhost "/"; amqp://host/%2F names it explicitly.
        if (!path.empty()) endpoint.vhost = Decode(path, "vhost");
        if (endpoint.vhost.empty()) BadUrl("the vhost is empty");
    }
    const size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        const size_t colon = userinfo.find(':');
        endpoint.user = Decode(userinfo.substr(0, colon), "user name");
        endpoint.password = colon == std::string_view::npos ? "" : Decode(userinfo.substr(colon + 1), "password");
        if (endpoint.user.empty()) BadUrl("the user name is empty");
    }
    if (authority.empty()) BadUrl("the host is missing");
    if (authority.front() == '[') {
        const size_t close = authority.find(']');
        if (close == std::string_view::npos || close == 1) BadUrl("the [ipv6] host is not terminated");
        endpoint.host = std::string(authority.substr(1, close - 1));
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') BadUrl("unexpected text after the ]");
            endpoint.port = ParsePort(after.substr(1));
        }
        return endpoint;
    }
    const size_t colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (endpoint.host.empty()) BadUrl("the host is missing");
    if (colon != std::string_view::npos) endpoint.port = ParsePort(authority.substr(colon + 1));
    return endpoint;
}

bool IsValidQueueName(std::string_view name) {
    if (name.empty() || name.size() > kMaxQueueName) return false;
    for (unsigned char c : name) {
        if (std::isalnum(c) == 0 && c != '_' && c != '.' && c != ':' && c != '-') return false;
    }
    return true;
}

AmqpSettings ParseSettings(const sdk::Config& config) {
    AmqpSettings settings;
    settings.endpoint = ParseUrl(config.GetString("url", "amqp://guest:guest@127.0.0.1:5672/"));
    if (settings.endpoint.tls) {
        settings.tls.ca_file = config.GetString("tls_ca_file");
        settings.tls.cert_file = config.GetString("tls_cert_file");
        settings.tls.key_file = config.GetString("tls_key_file");
        settings.tls.verify_peer = config.GetBool("tls_verify_peer", true);
        settings.tls.verify_hostname = settings.tls.verify_peer && config.GetBool("tls_verify_hostname", true);
        if (!settings.tls.verify_peer && config.GetBool("tls_verify_hostname", false)) {
            throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                             "config key 'tls_verify_hostname' is true but tls_verify_peer is false: the name in a "
                             "certificate nobody verified proves nothing; verify the peer, or leave "
                             "tls_verify_hostname unset");
        }
        CheckTlsFiles(settings.tls);
    } else {
        // Refused rather than ignored: a CA file next to an amqp:// URL means someone believes the traffic is
        // encrypted and checked.
        for (const char* key : kTlsKeys) {
            if (!config.GetString(key).empty()) {
                throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                                 std::string("config key '") + key +
                                     "' is set but config key 'url' is amqp:// (no TLS); use an amqps:// URL or "
                                     "remove the key");
            }
        }
    }
    settings.prefetch = static_cast<uint16_t>(IntInRange(config, "prefetch", 10, 1, 65535));
    const auto heartbeat = PositiveDuration(config, "heartbeat", 10000);
    if (heartbeat < std::chrono::seconds(1)) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'heartbeat' must be at least 1s (AMQP counts seconds)");
    }
    settings.heartbeat = std::chrono::duration_cast<std::chrono::seconds>(heartbeat);
    settings.connect_timeout = PositiveDuration(config, "connect_timeout", 2000);
    settings.command_timeout = PositiveDuration(config, "command_timeout", 5000);
    const std::string type = config.GetString("queue_type", "quorum");
    if (type == "quorum") {
        settings.queue_type = QueueType::kQuorum;
    } else if (type == "classic") {
        settings.queue_type = QueueType::kClassic;
    } else {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         "config key 'queue_type' must be 'quorum' or 'classic', got '" + type + "'");
    }
    settings.publisher_connections = static_cast<size_t>(IntInRange(config, "publisher_connections", 4, 1, 64));
    settings.topology_prefix = config.GetString("topology_prefix", "jobber");
    if (!IsValidQueueName(settings.topology_prefix) || settings.topology_prefix.size() > 64) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'topology_prefix': '" + settings.topology_prefix +
                                                      "' must be 1-64 characters of A-Z a-z 0-9 _ . : -");
    }
    return settings;
}

const std::vector<jobber_config_field>& AmqpConfigFields() {
    static const std::vector<jobber_config_field> fields = {
        {"url", JOBBER_FIELD_SECRET, 0, "amqp://guest:guest@127.0.0.1:5672/",
         "RabbitMQ: amqp://user:password@host:port/vhost, or amqps:// for TLS (port 5671 by default); "
         "percent-encode special characters; never logged"},
        {"prefetch", JOBBER_FIELD_INT, 0, "10",
         "unacked deliveries per consumed queue (leased plus buffered); sql-jobber sets it to --worker-concurrency "
         "when unset"},
        {"heartbeat", JOBBER_FIELD_DURATION, 0, "10000",
         "AMQP heartbeat (whole seconds, at least 1s): a dead peer is noticed after about twice this"},
        {"connect_timeout", JOBBER_FIELD_DURATION, 0, "2000", "how long to wait for a connection and its handshake"},
        {"command_timeout", JOBBER_FIELD_DURATION, 0, "5000",
         "how long to wait for one reply or publisher confirm; past it the call fails with UNAVAILABLE"},
        {"queue_type", JOBBER_FIELD_STRING, 0, "quorum",
         "type of the job queues declared: quorum (exact delivery counts, replicated) or classic"},
        {"publisher_connections", JOBBER_FIELD_INT, 0, "4", "connections publishing in confirm mode (1-64)"},
        {"topology_prefix", JOBBER_FIELD_STRING, 0, "jobber",
         "prefix of the delay exchanges and queues this plugin declares; one per deployment sharing a vhost"},
        // The tls_* keys have no declared default, so the host passes only what the YAML sets and an amqp:// URL
        // with any of them can be refused; the defaults are applied in ParseSettings.
        {"tls_ca_file", JOBBER_FIELD_STRING, 0, nullptr,
         "amqps only: PEM CA bundle the server certificate must chain to; unset = the system CA store"},
        {"tls_cert_file", JOBBER_FIELD_STRING, 0, nullptr,
         "amqps only: PEM client certificate (with its chain), for servers that require one; needs tls_key_file"},
        {"tls_key_file", JOBBER_FIELD_STRING, 0, nullptr, "amqps only: unencrypted PEM private key of tls_cert_file"},
        {"tls_verify_peer", JOBBER_FIELD_BOOL, 0, nullptr,
         "amqps only, default true: the server certificate must chain to a trusted CA; false = encrypted but not "
         "authenticated (no host name check either)"},
        {"tls_verify_hostname", JOBBER_FIELD_BOOL, 0, nullptr,
         "amqps only, default true: the server certificate must name the URL's host (DNS name or IP address)"},
    };
    return fields;
}

}  // namespace jobber::amqp
