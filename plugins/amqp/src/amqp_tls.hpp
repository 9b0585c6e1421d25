// TLS for amqps:// connections, on top of librabbitmq's OpenSSL socket (amqp_ssl_socket.h, rabbitmq-c 0.11).
//
// librabbitmq checks the server's host name itself only against subjectAltName DNS entries (or the CN), so a
// certificate naming an IP address (subjectAltName IP) never matches an amqps://10.0.0.5 URL; and it leaves the CA
// store empty when no CA file is given. So the verification is OpenSSL's own, configured here on the socket's
// SSL_CTX: the default CA store when tls_ca_file is empty, the URL's host as the expected DNS name or IP address, a
// verify callback that records why a certificate was refused (librabbitmq only says "verification failed"), and
// SSL_VERIFY_PEER so the handshake stops with an alert at the first problem. librabbitmq's own peer check stays on
// (it re-reads the result after the handshake); its host name check is off.
#pragma once

#include <amqp.h>

#include <string>

#include "amqp_settings.hpp"
#include "jobber/abi/common.h"

namespace jobber::amqp {

// What the handshake of one connection showed: why OpenSSL refused the server's certificate, and whether the server
// asked for ours. Owned by the connection; the socket's SSL_CTX points at it until the connection is destroyed.
struct TlsVerifyOutcome {
    int error = 0;  // X509_V_OK (0) when nothing was refused
    int depth = -1;
    std::string subject;
    // The server sent a CertificateRequest. With TLS 1.3 a server that then refuses our certificate (or its absence)
    // sends an alert and closes after our side of the handshake is done; when our first AMQP write reaches the closed
    // socket, the reset can discard the alert before we read it. This flag is what is left to explain the close.
    bool client_certificate_requested = false;
};

// Loads the CA bundle and the client certificate and key the way every connection will, and throws
// sdk::Error(INVALID_ARGUMENT) naming the key when a file is missing, unreadable, malformed or encrypted, or when the
// key does not belong to the certificate. Called by ParseSettings for amqps:// URLs.
void CheckTlsFiles(const TlsSettings& tls);

// Configures a fresh librabbitmq SSL socket (before it is opened) for `settings`; `outcome` must outlive the socket.
// Throws sdk::Error(INVALID_ARGUMENT) naming the key if OpenSSL refuses a file.
void ConfigureTlsSocket(amqp_socket_t* socket, const AmqpSettings& settings, TlsVerifyOutcome* outcome);

// A failure of the TLS layer, explained for an operator.
struct TlsFailure {
    jobber_code code;
    std::string message;
};

// Explains a failed TLS connect or a TLS error during the AMQP handshake of `settings.endpoint`: a refused
// certificate (INVALID_ARGUMENT, with the reason and what to check), an alert from the server such as "certificate
// required" (INVALID_ARGUMENT), a port that does not speak TLS (INVALID_ARGUMENT), anything else (UNAVAILABLE).
// `status` is librabbitmq's; the detail comes from `outcome` and this thread's OpenSSL error queue, which it empties.
// `handshake_done`: the failure came after the TLS handshake, during the AMQP login; a connection closed or reset
// there by a server that asked for a client certificate is explained as a refusal of it (INVALID_ARGUMENT).
// Returns nothing usable (code JOBBER_OK) when neither says anything about TLS.
TlsFailure ExplainTlsFailure(const AmqpSettings& settings,
                             const TlsVerifyOutcome& outcome,
                             int status,
                             bool handshake_done);

// The newest OpenSSL error of this thread as text ("tlsv13 alert certificate required"), empty when there is none;
// clears the queue either way.
std::string TakeOpenSslError();

}  // namespace jobber::amqp
