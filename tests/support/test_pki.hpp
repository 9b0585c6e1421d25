// Throw-away certificate authorities and certificates for TLS tests (EC P-256, valid two days), made with the
// openssl CLI in a temp dir that is removed with the object. Keys are world-readable: the servers under test may
// run as another user (mariadbd as nobody when the tests run as root), and the directory is thrown away.
// Header-only; used by the amqp and mysql plugins' TLS tests.
#pragma once

#include <stdio.h>
#include <sys/stat.h>

#include <array>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include "temp_dir.hpp"

namespace jobber::testing {

class TestPki {
public:
    TestPki() : dir_("pki") {}

    // <name>.pem and <name>.key: a self-signed CA.
    void MakeCa(const std::string& name) {
        Run("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -keyout " + Quoted(name + ".key") +
            " -out " + Quoted(name + ".pem") + " -subj '/CN=jobber test " + name + "'");
        chmod(Path(name + ".key").c_str(), 0644);
    }

    // <name>.pem and <name>.key: signed by CA `ca`, for server and client use, with subject CN `cn` and
    // subjectAltName `san` (e.g. "DNS:localhost,IP:127.0.0.1").
    void MakeCertificate(const std::string& name,
                         const std::string& ca,
                         const std::string& cn,
                         const std::string& san) {
        std::ofstream(Path(name + ".ext"))
            << "subjectAltName=" << san << "\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n";
        Run("req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + Quoted(name + ".key") + " -out " +
            Quoted(name + ".csr") + " -subj '/CN=" + cn + "'");
        static std::mt19937_64 rng{std::random_device{}()};
        Run("x509 -req -days 2 -in " + Quoted(name + ".csr") + " -CA " + Quoted(ca + ".pem") + " -CAkey " +
            Quoted(ca + ".key") + " -set_serial " + std::to_string(rng() >> 2) + " -extfile " + Quoted(name + ".ext") +
            " -out " + Quoted(name + ".pem"));
        chmod(Path(name + ".key").c_str(), 0644);
    }

    std::string Path(const std::string& file) const { return dir_.Path(file); }

private:
    std::string Quoted(const std::string& file) const { return "'" + Path(file) + "'"; }

    static void Run(const std::string& args) {
        const std::string command = "openssl " + args + " 2>&1";
        FILE* pipe = popen(command.c_str(), "r");
        if (pipe == nullptr) throw std::runtime_error("cannot run openssl");
        std::string output;
        std::array<char, 512> buffer{};
        while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) output += buffer.data();
        if (pclose(pipe) != 0) {
            throw std::runtime_error("openssl " + args +
                                     " failed (install openssl: scripts/install-deps.sh): " + output);
        }
    }

    TempDir dir_;
};

}  // namespace jobber::testing
