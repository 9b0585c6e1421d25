// A RabbitMQ node of a test's own, started by tests/services/rabbitmq.sh in a temp dir, for tests that stop and
// restart RabbitMQ (the shared node must stay up for tests running in parallel). Header-only; used by the plugin's
// tests and by tests/integration/amqp. Needs JOBBER_SOURCE_DIR (the repository root) defined at compile time.
#pragma once

#include <stdio.h>
#include <stdlib.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace jobber::amqp::testing {

class PrivateRabbitMqNode {
public:
    PrivateRabbitMqNode() {
        if (access("/usr/lib/rabbitmq/bin/rabbitmq-server", X_OK) != 0) {
            unavailable_ = "rabbitmq-server is not installed";
            return;
        }
        std::string pattern = (std::filesystem::temp_directory_path() / "jobber-rabbitmq-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        const std::string services = std::string(JOBBER_SOURCE_DIR) + "/tests/services";
        const std::string command = "bash -c 'source \"" + services + "/lib.sh\" && export JOBBER_SERVICES_DIR=\"" +
                                    dir_.string() + "\" && source \"" + services +
                                    "/rabbitmq.sh\" >/dev/null && echo \"$JOBBER_TEST_AMQP_URL\" && echo "
                                    "\"$JOBBER_TEST_AMQP_CTL\"' 2>&1";
        FILE* pipe = popen(command.c_str(), "r");
        if (pipe == nullptr) throw std::runtime_error("cannot run tests/services/rabbitmq.sh");
        std::string output;
        std::array<char, 512> buffer{};
        while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) output += buffer.data();
        pclose(pipe);
        const size_t first = output.find("amqp://");
        const size_t newline = first == std::string::npos ? std::string::npos : output.find('\n', first);
        if (newline == std::string::npos) {
            unavailable_ = "the private RabbitMQ node did not start: " + output;
            return;
        }
        url_ = output.substr(first, newline - first);
        ctl_ = output.substr(newline + 1);
        while (!ctl_.empty() && (ctl_.back() == '\n' || ctl_.back() == '\r')) ctl_.pop_back();
    }
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

    // Empty when the node runs; otherwise why not (for GTEST_SKIP).
    const std::string& unavailable_reason() const { return unavailable_; }
    const std::string& url() const { return url_; }

    // SIGTERM and wait: RabbitMQ stops in order, durable queues and persistent messages are on disk.
    void Stop() { Ctl("stop"); }
    // Same node, ports and data; returns once the AMQP port accepts connections.
    void Start() {
        if (!Ctl("start")) throw std::runtime_error("the private RabbitMQ node did not come back");
    }

private:
    bool Ctl(const std::string& verb) const { return std::system(("'" + ctl_ + "' " + verb).c_str()) == 0; }

    std::filesystem::path dir_;
    std::string url_;
    std::string ctl_;
    std::string unavailable_;
};

}  // namespace jobber::amqp::testing
