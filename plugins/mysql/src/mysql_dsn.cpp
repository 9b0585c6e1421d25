#include "mysql_dsn.hpp"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "jobber/sdk/error.hpp"

namespace jobber::mysql {

namespace {

constexpr std::string_view kScheme = "mysql://";

[[noreturn]] void Fail(const std::string& why) {
    throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'dsn': " + why +
                                                  " (expected mysql://user:password@host:port/database or "
                                                  "mysql://user:password@/database?socket=/path/to/mysqld.sock)");
}

// For a query parameter: the form hint of Fail() would only distract.
[[noreturn]] void FailParameter(const std::string& why) {
    throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key 'dsn': " + why);
}

TlsMode ParseTlsMode(const std::string& value) {
    for (TlsMode mode :
         {TlsMode::kDisabled, TlsMode::kPreferred, TlsMode::kRequired, TlsMode::kVerifyCa, TlsMode::kVerifyFull}) {
        if (value == TlsModeName(mode)) return mode;
    }
    FailParameter("parameter tls='" + value + "' is not one of disabled, preferred, required, verify-ca, verify-full");
}

// The client library reports an unreadable file only as a TLS handshake failure, at the first connection; check
// here so the error names the parameter and the reason.
void RequireReadableFile(const std::string& path, const char* parameter) {
    if (path.empty()) FailParameter(std::string("parameter ") + parameter + "= is empty");
    struct stat info {};
    if (stat(path.c_str(), &info) != 0) {
        FailParameter(std::string("parameter ") + parameter + ": cannot read '" + path + "' (" + std::strerror(errno) +
                      ")");
    }
    if (!S_ISREG(info.st_mode)) {
        FailParameter(std::string("parameter ") + parameter + ": '" + path + "' is not a regular file");
    }
    FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
        FailParameter(std::string("parameter ") + parameter + ": cannot read '" + path + "' (" + std::strerror(errno) +
                      ")");
    }
    std::fclose(file);
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string Decode(std::string_view text, const char* part) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size() || HexValue(text[i + 1]) < 0 || HexValue(text[i + 2]) < 0) {
            Fail(std::string("bad percent-encoding in the ") + part);
        }
        out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
        i += 2;
    }
    if (out.find('\0') != std::string::npos) Fail(std::string("the ") + part + " holds a NUL byte");
    return out;
}

}  // namespace

const char* TlsModeName(TlsMode mode) {
    switch (mode) {
        case TlsMode::kDisabled:
            return "disabled";
        case TlsMode::kPreferred:
            return "preferred";
        case TlsMode::kRequired:
            return "required";
        case TlsMode::kVerifyCa:
            return "verify-ca";
        case TlsMode::kVerifyFull:
            return "verify-full";
    }
    return "?";
}

std::string Endpoint::DescribeTls() const {
    std::string out = std::string("tls=") + TlsModeName(tls);
    if (tls >= TlsMode::kVerifyCa) out += " tls_ca=" + (tls_ca.empty() ? std::string("<system store>") : tls_ca);
    if (!tls_cert.empty()) out += " tls_cert=" + tls_cert;
    return out;
}

std::string Endpoint::Describe() const {
    std::string where = socket.empty() ? host + ":" + std::to_string(port) : "unix(" + socket + ")";
    return user + "@" + where + "/" + database;
}

Endpoint ParseDsn(std::string_view dsn) {
    if (dsn.substr(0, kScheme.size()) != kScheme) Fail("must start with mysql://");
    std::string_view rest = dsn.substr(kScheme.size());
    Endpoint endpoint;

    std::string_view query;
    if (const size_t q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    // The last '@' ends the credentials, so an unencoded '@' in a password still parses.
    const size_t at = rest.rfind('@');
    if (at == std::string_view::npos) Fail("no user (missing '@')");
    const std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = credentials.find(':');
    endpoint.user = Decode(credentials.substr(0, colon), "user");
    if (colon != std::string_view::npos) endpoint.password = Decode(credentials.substr(colon + 1), "password");
    if (endpoint.user.empty()) Fail("the user is empty");

    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) Fail("no database (missing '/database')");
    std::string_view host_port = rest.substr(0, slash);
    endpoint.database = Decode(rest.substr(slash + 1), "database");
    if (endpoint.database.empty()) Fail("the database is empty");

    bool seen_socket = false;
    bool seen_tls = false;
    bool seen_ca = false;
    bool seen_cert = false;
    bool seen_key = false;
    while (!query.empty()) {
        const size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        const size_t eq = pair.find('=');
        const std::string key(pair.substr(0, eq));
        bool* seen = key == "socket"     ? &seen_socket
                     : key == "tls"      ? &seen_tls
                     : key == "tls_ca"   ? &seen_ca
                     : key == "tls_cert" ? &seen_cert
                     : key == "tls_key"  ? &seen_key
                                         : nullptr;
        if (seen == nullptr) {
            Fail("unknown parameter '" + key + "' (known: socket, tls, tls_ca, tls_cert, tls_key)");
        }
        if (eq == std::string_view::npos) FailParameter("parameter '" + key + "' has no value (" + key + "=...)");
        if (*seen) FailParameter("parameter '" + key + "' is given twice");
        *seen = true;
        const std::string value = Decode(pair.substr(eq + 1), ("value of parameter " + key).c_str());
        if (key == "socket") {
            endpoint.socket = value;
            if (endpoint.socket.empty() || endpoint.socket[0] != '/') Fail("the socket path must be absolute");
        } else if (key == "tls") {
            endpoint.tls = ParseTlsMode(value);
        } else if (key == "tls_ca") {
            endpoint.tls_ca = value;
        } else if (key == "tls_cert") {
            endpoint.tls_cert = value;
        } else {
            endpoint.tls_key = value;
        }
    }
    // A file next to a mode that would not use it means someone believes more is checked than is.
    if (seen_ca && endpoint.tls < TlsMode::kVerifyCa) {
        FailParameter(std::string("parameter tls_ca is only used with tls=verify-ca or tls=verify-full (tls=") +
                      TlsModeName(endpoint.tls) + " does not check the server certificate)");
    }
    if ((seen_cert || seen_key) && endpoint.tls < TlsMode::kRequired) {
        FailParameter(
            std::string("parameters tls_cert/tls_key need tls=required, verify-ca or verify-full (with tls=") +
            TlsModeName(endpoint.tls) + " the connection may not be encrypted at all)");
    }
    if (seen_cert != seen_key) {
        FailParameter(seen_cert ? "parameter tls_cert is given without tls_key (both or neither)"
                                : "parameter tls_key is given without tls_cert (both or neither)");
    }
    if (seen_ca) RequireReadableFile(endpoint.tls_ca, "tls_ca");
    if (seen_cert) RequireReadableFile(endpoint.tls_cert, "tls_cert");
    if (seen_key) RequireReadableFile(endpoint.tls_key, "tls_key");

    std::string_view port_text;  // after the host's ':'
    bool has_port = false;
    if (!host_port.empty() && host_port.front() == '[') {  // [::1]:3306
        const size_t close = host_port.find(']');
        if (close == std::string_view::npos) Fail("unterminated '[' in the host");
        endpoint.host = std::string(host_port.substr(1, close - 1));
        const std::string_view after = host_port.substr(close + 1);
        if (!after.empty() && after.front() != ':') Fail("unexpected text after ']'");
        has_port = !after.empty();
        if (has_port) port_text = after.substr(1);
    } else if (const size_t port_colon = host_port.rfind(':'); port_colon != std::string_view::npos) {
        endpoint.host = std::string(host_port.substr(0, port_colon));
        port_text = host_port.substr(port_colon + 1);
        has_port = true;
    } else {
        endpoint.host = std::string(host_port);
    }
    if (has_port) {
        const std::string_view digits = port_text;
        unsigned int port = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
            Fail("the port '" + std::string(digits) + "' is not a number between 1 and 65535");
        }
        endpoint.port = port;
    }
    if (endpoint.socket.empty() && endpoint.host.empty()) Fail("no host and no socket= parameter");
    if (!endpoint.socket.empty() && !endpoint.host.empty() && endpoint.host != "localhost") {
        Fail("a socket= parameter goes with an empty host or localhost, not '" + endpoint.host + "'");
    }
    if (!endpoint.socket.empty()) endpoint.host.clear();
    return endpoint;
}

}  // namespace jobber::mysql
