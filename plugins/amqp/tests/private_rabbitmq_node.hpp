// A RabbitMQ node of a test's own, started by tests/services/rabbitmq.sh in a temp dir, for tests that stop and
// restart RabbitMQ (the shared node must stay up for tests running in parallel) or need a TLS listener with their
// own certificates. Header-only; used by the plugin's tests and by tests/integration/amqp. Needs JOBBER_SOURCE_DIR
// (the repository root) defined at compile time.
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace jobber::amqp::testing {

// A TLS listener for the node (tests/services/rabbitmq.sh, JOBBER_RABBITMQ_TLS_*): PEM paths, and RabbitMQ's
// ssl_options.verify / fail_if_no_peer_cert.
struct PrivateNodeTls {
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    bool verify_peer = true;
    bool fail_if_no_peer_cert = false;
};

class PrivateRabbitMqNode {
public:
    PrivateRabbitMqNode() : PrivateRabbitMqNode(nullptr) {}
    // Also listens for amqps (tls_url()).
    explicit PrivateRabbitMqNode(const PrivateNodeTls& tls) : PrivateRabbitMqNode(&tls) {}
    ~PrivateRabbitMqNode() {
        if (!ctl_.empty()) {
            Ctl("stop");
            Ctl("kill-epmd");
        }
        std::error_code ignored;  // a leftover temp dir must not fail a test
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
    }
    PrivateRabbitMqNode(const PrivateRabbitMqNode&) = delete;
    PrivateRabbitMqNode& operator=(const PrivateRabbitMqNode&) = delete;

    // False when rabbitmq-server is not installed (the one reason to skip); then unavailable_reason() says so.
    bool installed() const { return installed_; }
    // Empty when the node runs; otherwise why not (for GTEST_SKIP, or a failure when it is installed).
    const std::string& unavailable_reason() const { return unavailable_; }
    const std::string& url() const { return url_; }
    // amqps://user:password@127.0.0.1:port/vhost of the TLS listener; empty without one.
    const std::string& tls_url() const { return tls_url_; }

    // SIGTERM and wait: RabbitMQ stops in order, durable queues and persistent messages are on disk.
    void Stop() { Ctl("stop"); }
    // Same node, ports and data; returns once the AMQP port (and the TLS one) accepts connections.
    void Start() {
        if (!Ctl("start")) throw std::runtime_error("the private RabbitMQ node did not come back");
    }

private:
    explicit PrivateRabbitMqNode(const PrivateNodeTls* tls) {
        if (access("/usr/lib/rabbitmq/bin/rabbitmq-server", X_OK) != 0) {
            installed_ = false;
            unavailable_ = "rabbitmq-server is not installed";
            return;
        }
        std::string pattern = (std::filesystem::temp_directory_path() / "jobber-rabbitmq-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        const std::string services = std::string(JOBBER_SOURCE_DIR) + "/tests/services";
        std::string tls_env;
        if (tls != nullptr) {
            tls_env = "export JOBBER_RABBITMQ_TLS_CA=\"" + tls->ca_file + "\" JOBBER_RABBITMQ_TLS_CERT=\"" +
                      tls->cert_file + "\" JOBBER_RABBITMQ_TLS_KEY=\"" + tls->key_file +
                      "\" JOBBER_RABBITMQ_TLS_VERIFY=" + (tls->verify_peer ? "verify_peer" : "verify_none") +
                      " JOBBER_RABBITMQ_TLS_FAIL_IF_NO_PEER_CERT=" + (tls->fail_if_no_peer_cert ? "true" : "false") +
                      " && ";
        }
        const std::string command =
            "bash -c '" + tls_env + "source \"" + services + "/lib.sh\" && export JOBBER_SERVICES_DIR=\"" +
            dir_.string() + "\" && source \"" + services +
            "/rabbitmq.sh\" >/dev/null && echo \"url=$JOBBER_TEST_AMQP_URL\" && echo \"ctl=$JOBBER_TEST_AMQP_CTL\" && "
            "echo \"tls_url=${JOBBER_TEST_AMQPS_URL:-}\"' 2>&1";
        FILE* pipe = popen(command.c_str(), "r");
        if (pipe == nullptr) throw std::runtime_error("cannot run tests/services/rabbitmq.sh");
        std::string output;
        std::array<char, 512> buffer{};
        while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) output += buffer.data();
        pclose(pipe);
        for (size_t start = 0; start < output.size();) {
            size_t end = output.find('\n', start);
            if (end == std::string::npos) end = output.size();
            std::string line = output.substr(start, end - start);
            while (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.rfind("url=amqp://", 0) == 0) url_ = line.substr(4);
            if (line.rfind("ctl=/", 0) == 0) ctl_ = line.substr(4);
            if (line.rfind("tls_url=amqps://", 0) == 0) tls_url_ = line.substr(8);
            start = end + 1;
        }
        if (url_.empty() || ctl_.empty() || (tls != nullptr && tls_url_.empty())) {
            unavailable_ = "the private RabbitMQ node did not start: " + output;
        }
    }

    bool Ctl(const std::string& verb) const { return std::system(("'" + ctl_ + "' " + verb).c_str()) == 0; }

    bool installed_ = true;
    std::filesystem::path dir_;
    std::string url_;
    std::string tls_url_;
    std::string ctl_;
    std::string unavailable_;
};

}  // namespace jobber::amqp::testing
