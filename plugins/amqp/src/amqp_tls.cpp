#include "amqp_tls.hpp"

#include <amqp_ssl_socket.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "jobber/sdk/error.hpp"

namespace jobber::amqp {

namespace {

using SslContext = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

[[noreturn]] void BadKey(const std::string& key, const std::string& why) {
    throw sdk::Error(JOBBER_INVALID_ARGUMENT, "config key '" + key + "': " + why);
}

struct OpenSslError {
    unsigned long code = 0;
    std::string text;
};

OpenSslError TakeError() {
    OpenSslError error;
    error.code = ERR_peek_last_error();
    if (error.code != 0) {
        const char* reason = ERR_reason_error_string(error.code);
        if (reason != nullptr) {
            error.text = reason;
        } else {
            std::array<char, 256> text{};
            ERR_error_string_n(error.code, text.data(), text.size());
            error.text = text.data();
        }
    }
    ERR_clear_error();
    return error;
}

// With the OpenSSL reason when there is one: " (no certificate or crl found)".
std::string Detail() {
    const OpenSslError error = TakeError();
    return error.text.empty() ? std::string() : " (" + error.text + ")";
}

// An encrypted key would make OpenSSL prompt on the terminal (or librabbitmq abort); refuse it instead.
int NoPassphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) {
    return -1;
}

void CheckReadable(const std::string& key, const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        if (error == ENOENT) BadKey(key, "file '" + path + "' does not exist");
        if (error == EACCES) BadKey(key, "file '" + path + "' is not readable by this process (permission denied)");
        BadKey(key, "cannot open file '" + path + "': " + std::strerror(error));
    }
    struct stat info {};
    const bool is_directory = ::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode);
    ::close(fd);
    if (is_directory) BadKey(key, "'" + path + "' is a directory, not a PEM file");
}

bool LooksEncrypted(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // PKCS#8 "BEGIN ENCRYPTED PRIVATE KEY", or the traditional "Proc-Type: 4,ENCRYPTED" header.
    return text.find("ENCRYPTED") != std::string::npos;
}

void LoadClientCertificate(SSL_CTX* ctx, const TlsSettings& tls) {
    if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
        BadKey("tls_cert_file", "'" + tls.cert_file + "' holds no PEM certificate OpenSSL can use" + Detail());
    }
    const std::string mismatch =
        "'" + tls.key_file + "' is not the key of the certificate in tls_cert_file '" + tls.cert_file + "'";
    if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        const OpenSslError error = TakeError();
        // OpenSSL compares the key with the certificate already loaded while it loads the key.
        if (ERR_GET_LIB(error.code) == ERR_LIB_X509 && ERR_GET_REASON(error.code) == X509_R_KEY_VALUES_MISMATCH) {
            BadKey("tls_key_file", mismatch);
        }
        BadKey("tls_key_file", "'" + tls.key_file + "' holds no PEM private key OpenSSL can use" +
                                   (error.text.empty() ? std::string() : " (" + error.text + ")"));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) BadKey("tls_key_file", mismatch + Detail());
}

int VerifyOutcomeIndex() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

// OpenSSL's verify callback: keeps the first refusal (error, depth, subject) for the message, changes nothing.
int RecordVerifyResult(int preverify_ok, X509_STORE_CTX* store) {
    if (preverify_ok == 1) return 1;
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    if (ssl == nullptr) return preverify_ok;
    auto* outcome = static_cast<TlsVerifyOutcome*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), VerifyOutcomeIndex()));
    if (outcome != nullptr && outcome->error == X509_V_OK) {
        outcome->error = X509_STORE_CTX_get_error(store);
        outcome->depth = X509_STORE_CTX_get_error_depth(store);
        X509* certificate = X509_STORE_CTX_get_current_cert(store);
        if (certificate != nullptr) {
            std::array<char, 256> subject{};
            X509_NAME_oneline(X509_get_subject_name(certificate), subject.data(), static_cast<int>(subject.size()));
            outcome->subject = subject.data();
        }
    }
    return preverify_ok;
}

// OpenSSL's message callback: notes a CertificateRequest from the server (TLS 1.3 reports the decrypted handshake
// messages here too).
void WatchHandshake(
    int write_p, int /*version*/, int content_type, const void* buf, size_t len, SSL* /*ssl*/, void* arg) {
    if (write_p != 0 || content_type != SSL3_RT_HANDSHAKE || len == 0 || arg == nullptr) return;
    if (static_cast<const unsigned char*>(buf)[0] == SSL3_MT_CERTIFICATE_REQUEST) {
        static_cast<TlsVerifyOutcome*>(arg)->client_certificate_requested = true;
    }
}

bool IsIpLiteral(const std::string& host) {
    std::array<unsigned char, 16> address{};
    return inet_pton(AF_INET, host.c_str(), address.data()) == 1 ||
           inet_pton(AF_INET6, host.c_str(), address.data()) == 1;
}

std::string CaSource(const TlsSettings& tls) {
    return tls.ca_file.empty() ? "the system CA store (config key 'tls_ca_file' is unset)"
                               : "config key 'tls_ca_file' ('" + tls.ca_file + "')";
}

std::string VerifyHint(const AmqpSettings& settings, int error) {
    switch (error) {
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            return "the server certificate does not name '" + settings.endpoint.host +
                   "', the host of config key 'url'; connect by a name or address it lists, or set "
                   "tls_verify_hostname: false";
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_CERT_UNTRUSTED:
            return "the server certificate does not chain to a CA in " + CaSource(settings.tls);
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return "check the server certificate's validity dates and this machine's clock";
        default:
            return "check the server certificate and " + CaSource(settings.tls);
    }
}

std::string ClientCertificateHint(const TlsSettings& tls) {
    if (tls.cert_file.empty()) {
        return "it requires a client certificate: set tls_cert_file and tls_key_file";
    }
    return "it did not accept the client certificate of config key 'tls_cert_file' ('" + tls.cert_file +
           "'): check that RabbitMQ's ssl_options.cacertfile holds the CA that signed it and that it is valid";
}

}  // namespace

std::string TakeOpenSslError() {
    return TakeError().text;
}

void CheckTlsFiles(const TlsSettings& tls) {
    if (tls.cert_file.empty() != tls.key_file.empty()) {
        if (tls.key_file.empty()) BadKey("tls_key_file", "is not set, but tls_cert_file is; set both or neither");
        BadKey("tls_cert_file", "is not set, but tls_key_file is; set both or neither");
    }
    if (tls.ca_file.empty() && tls.cert_file.empty()) return;
    ERR_clear_error();
    SslContext ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    if (!ctx) throw sdk::Error(JOBBER_INTERNAL, "OpenSSL cannot create a TLS context" + Detail());
    SSL_CTX_set_default_passwd_cb(ctx.get(), NoPassphrase);
    if (!tls.ca_file.empty()) {
        CheckReadable("tls_ca_file", tls.ca_file);
        if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca_file.c_str(), nullptr) != 1) {
            BadKey("tls_ca_file", "'" + tls.ca_file + "' holds no PEM certificate OpenSSL can read" + Detail());
        }
    }
    if (!tls.cert_file.empty()) {
        CheckReadable("tls_cert_file", tls.cert_file);
        CheckReadable("tls_key_file", tls.key_file);
        if (LooksEncrypted(tls.key_file)) {
            BadKey("tls_key_file", "'" + tls.key_file +
                                       "' is encrypted; librabbitmq cannot be given its passphrase, so store the key "
                                       "unencrypted and readable only by this service (openssl pkey -in <file> -out "
                                       "<plain file>)");
        }
        LoadClientCertificate(ctx.get(), tls);
    }
}

void ConfigureTlsSocket(amqp_socket_t* socket, const AmqpSettings& settings, TlsVerifyOutcome* outcome) {
    const TlsSettings& tls = settings.tls;
    auto* ctx = static_cast<SSL_CTX*>(amqp_ssl_socket_get_context(socket));
    ERR_clear_error();
    SSL_CTX_set_default_passwd_cb(ctx, NoPassphrase);
    // OpenSSL checks the host name (below) as part of the chain; librabbitmq's own check ignores IP addresses.
    amqp_ssl_socket_set_verify_hostname(socket, 0);
    amqp_ssl_socket_set_verify_peer(socket, tls.verify_peer ? 1 : 0);
    SSL_CTX_set_msg_callback(ctx, WatchHandshake);
    SSL_CTX_set_msg_callback_arg(ctx, outcome);
    if (tls.verify_peer) {
        if (tls.ca_file.empty()) {
            if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
                throw sdk::Error(JOBBER_INTERNAL, "OpenSSL cannot load its default CA store" + Detail());
            }
        } else if (amqp_ssl_socket_set_cacert(socket, tls.ca_file.c_str()) != AMQP_STATUS_OK) {
            BadKey("tls_ca_file", "'" + tls.ca_file + "' holds no PEM certificate OpenSSL can read" + Detail());
        }
        if (tls.verify_hostname) {
            X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            const std::string& host = settings.endpoint.host;
            const int set = IsIpLiteral(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                              : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
            if (set != 1) {
                BadKey("url", "OpenSSL cannot check certificates against the host '" + host + "'" + Detail());
            }
        }
        SSL_CTX_set_ex_data(ctx, VerifyOutcomeIndex(), outcome);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, RecordVerifyResult);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    if (!tls.cert_file.empty() &&
        amqp_ssl_socket_set_key(socket, tls.cert_file.c_str(), tls.key_file.c_str()) != AMQP_STATUS_OK) {
        BadKey("tls_cert_file", "OpenSSL cannot use '" + tls.cert_file + "' with the key in tls_key_file '" +
                                    tls.key_file + "'" + Detail());
    }
}

TlsFailure ExplainTlsFailure(const AmqpSettings& settings,
                             const TlsVerifyOutcome& outcome,
                             int status,
                             bool handshake_done) {
    const std::string where = settings.endpoint.Describe();
    if (outcome.error != X509_V_OK) {
        TakeError();  // "certificate verify failed": the outcome says more
        std::string message =
            "TLS verification of RabbitMQ at " + where + " failed: " + X509_verify_cert_error_string(outcome.error);
        if (!outcome.subject.empty()) {
            message += " (certificate " + outcome.subject + " at depth " + std::to_string(outcome.depth) + ")";
        }
        return {JOBBER_INVALID_ARGUMENT, message + "; " + VerifyHint(settings, outcome.error)};
    }
    if (status == AMQP_STATUS_SSL_PEER_VERIFY_FAILED || status == AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED) {
        TakeError();
        return {JOBBER_INVALID_ARGUMENT, "TLS verification of RabbitMQ at " + where + " failed (" +
                                             amqp_error_string2(status) + "); check the server certificate, " +
                                             CaSource(settings.tls) + " and the host of config key 'url'"};
    }
    const OpenSslError error = TakeError();
    if (error.code == 0) {
        const bool closed = status == AMQP_STATUS_SSL_ERROR || status == AMQP_STATUS_CONNECTION_CLOSED ||
                            status == AMQP_STATUS_SOCKET_ERROR || status == AMQP_STATUS_SOCKET_CLOSED;
        if (handshake_done && closed && outcome.client_certificate_requested) {
            // The alert was lost to the reset (see TlsVerifyOutcome); RabbitMQ closes a connection it has just
            // accepted at the TLS level for nothing else.
            return {JOBBER_INVALID_ARGUMENT,
                    "RabbitMQ at " + where +
                        " refused the TLS connection (it dropped it right after a handshake in which it asked for a "
                        "client certificate: " +
                        amqp_error_string2(status) + "): " + ClientCertificateHint(settings.tls)};
        }
        if (status == AMQP_STATUS_SSL_ERROR || status == AMQP_STATUS_SSL_CONNECTION_FAILED) {
            return {JOBBER_UNAVAILABLE,
                    "TLS connection to RabbitMQ at " + where + " failed: " + amqp_error_string2(status)};
        }
        return {JOBBER_OK, {}};
    }
    const int reason = ERR_GET_REASON(error.code);
    if (ERR_GET_LIB(error.code) == ERR_LIB_SSL && reason >= SSL_AD_REASON_OFFSET) {
        // An alert the server sent: it refused us, and will again until a certificate or the config changes.
        std::string hint;
        switch (reason - SSL_AD_REASON_OFFSET) {
            case TLS13_AD_CERTIFICATE_REQUIRED:
                hint = ClientCertificateHint(settings.tls);
                break;
            case SSL3_AD_HANDSHAKE_FAILURE:
                hint = settings.tls.cert_file.empty()
                           ? ClientCertificateHint(settings.tls) + " (or no TLS version or cipher suits both sides)"
                           : "no TLS version, cipher or certificate suits both sides";
                break;
            case SSL3_AD_BAD_CERTIFICATE:
            case SSL3_AD_UNSUPPORTED_CERTIFICATE:
            case SSL3_AD_CERTIFICATE_REVOKED:
            case SSL3_AD_CERTIFICATE_EXPIRED:
            case SSL3_AD_CERTIFICATE_UNKNOWN:
            case TLS1_AD_UNKNOWN_CA:
            case TLS1_AD_ACCESS_DENIED:
                hint = ClientCertificateHint(settings.tls);
                break;
            case TLS1_AD_PROTOCOL_VERSION:
                hint = "no TLS version suits both sides";
                break;
            default:
                hint = "check RabbitMQ's ssl_options and its log";
                break;
        }
        return {JOBBER_INVALID_ARGUMENT,
                "RabbitMQ at " + where + " refused the TLS connection (" + error.text + "): " + hint};
    }
    if (ERR_GET_LIB(error.code) == ERR_LIB_SSL &&
        (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
         reason == SSL_R_UNKNOWN_PROTOCOL || reason == SSL_R_RECORD_LENGTH_MISMATCH)) {
        return {JOBBER_INVALID_ARGUMENT, "RabbitMQ at " + where + " did not answer in TLS (" + error.text +
                                             "): is port " + std::to_string(settings.endpoint.port) +
                                             " a TLS listener? amqps:// defaults to 5671, 5672 is plain AMQP"};
    }
    return {JOBBER_UNAVAILABLE, "TLS connection to RabbitMQ at " + where + " failed: " + error.text};
}

}  // namespace jobber::amqp
