// A narrow C surface over OpenSSL (libssl + libcrypto). The public header deliberately includes
// only <stdint.h> and <stddef.h>: exposing <openssl/ssl.h> here would drag glibc's headers into a
// second Clang module, which breaks clean debug builds ("'__fds_bits' ... is not present in
// definition of 'fd_set'"). Every OpenSSL type stays behind an opaque struct of our own.
//
// Error convention: every function that calls into OpenSSL clears the calling thread's error queue
// first. After a failure, the caller reads the queue on the same thread with
// rw_ossl_error_drain() before making any other OpenSSL call.
#ifndef CRINGWAY_OPENSSL_H
#define CRINGWAY_OPENSSL_H

#include <stdint.h>
#include <stddef.h>

struct rw_tls_ctx;
struct rw_tls_conn;

/// Protocol versions (the TLS wire values).
enum {
    RW_TLS_VERSION_1_2 = 0x0303,
    RW_TLS_VERSION_1_3 = 0x0304,
};

/// Results of the connection operations (enum members are imported as plain constants).
enum {
    /// The operation completed.
    RW_TLS_OK = 0,
    /// More ciphertext from the peer is needed.
    RW_TLS_WANT_READ = 1,
    /// The peer sent close_notify.
    RW_TLS_CLOSED = 2,
    /// The transport reached end of input without close_notify.
    RW_TLS_EOF = -2,
    /// A failure; the error queue holds the reason.
    RW_TLS_ERROR = -1,
};

/// Flags for rw_tls_conn_shutdown_state().
enum {
    RW_TLS_SENT_SHUTDOWN = 1,
    RW_TLS_RECEIVED_SHUTDOWN = 2,
};

// MARK: - Errors

/// Clears the calling thread's OpenSSL error queue.
void rw_ossl_error_clear(void);

/// Pops every entry of the calling thread's error queue and writes them as text ("; " separated)
/// into `buf` (always NUL-terminated when `cap` > 0). Returns the number of entries popped.
size_t rw_ossl_error_drain(char *buf, size_t cap);

/// Frees memory returned by this module (PEM text).
void rw_ossl_free(void *ptr);

// MARK: - Context

/// Creates a context for a server (`is_server` != 0) or a client, restricted to versions
/// [`min_version`, `max_version`], with the fixed hardening of this module: session cache and
/// tickets off, no compression, no renegotiation, SSL_MODE_RELEASE_BUFFERS, forward-secret AEAD
/// suites for TLS 1.2. Returns NULL on failure.
struct rw_tls_ctx *rw_tls_ctx_new(int is_server, int min_version, int max_version);
/// Frees the context. Connections created from it must be freed first.
void rw_tls_ctx_free(struct rw_tls_ctx *ctx);

/// Sets the key exchange groups, e.g. "X25519:P-256" (first = preferred). Returns 1 or 0.
int rw_tls_ctx_set_groups(struct rw_tls_ctx *ctx, const char *groups);

/// Sets the ALPN protocols in wire format (length-prefixed names, preference order). A client
/// offers them; a server selects the first of its own list that the client offers and refuses the
/// handshake (no_application_protocol) when the client offers ALPN but none of them.
int rw_tls_ctx_set_alpn(struct rw_tls_ctx *ctx, const uint8_t *wire, size_t len);

/// Loads the certificate chain (leaf first) from a PEM file or PEM bytes. Returns 1 or 0.
int rw_tls_ctx_use_chain_file(struct rw_tls_ctx *ctx, const char *path);
int rw_tls_ctx_use_chain_pem(struct rw_tls_ctx *ctx, const uint8_t *pem, size_t len);

/// Loads an unencrypted private key from a PEM file or PEM bytes and checks that it matches the
/// certificate. Encrypted keys are refused (no passphrase prompt). Returns 1 or 0.
int rw_tls_ctx_use_key_file(struct rw_tls_ctx *ctx, const char *path);
int rw_tls_ctx_use_key_pem(struct rw_tls_ctx *ctx, const uint8_t *pem, size_t len);

/// Turns peer verification on (`verify` != 0) or off. Clients only; servers never ask for
/// client certificates.
void rw_tls_ctx_set_verify(struct rw_tls_ctx *ctx, int verify);

/// Adds trust anchors from a PEM file, from PEM bytes, or from the system default store.
/// Returns 1 or 0.
int rw_tls_ctx_trust_file(struct rw_tls_ctx *ctx, const char *path);
int rw_tls_ctx_trust_pem(struct rw_tls_ctx *ctx, const uint8_t *pem, size_t len);
int rw_tls_ctx_trust_default(struct rw_tls_ctx *ctx);

// MARK: - Connection

/// Creates a connection with two memory BIOs. For a client, `server_name` (may be NULL) is sent as
/// SNI when it is a DNS name; when `check_host` != 0 the peer certificate must match it (as a DNS
/// name or an IP address literal). Returns NULL on failure.
struct rw_tls_conn *rw_tls_conn_new(struct rw_tls_ctx *ctx, const char *server_name, int check_host);
void rw_tls_conn_free(struct rw_tls_conn *conn);

/// Appends ciphertext received from the peer. Returns 1 or 0.
int rw_tls_conn_feed(struct rw_tls_conn *conn, const void *bytes, size_t len);
/// Marks the end of the peer's input (the transport reached EOF).
void rw_tls_conn_feed_eof(struct rw_tls_conn *conn);
/// Ciphertext fed but not yet consumed.
size_t rw_tls_conn_buffered_input(const struct rw_tls_conn *conn);

/// Ciphertext waiting to be sent to the peer.
size_t rw_tls_conn_pending_output(const struct rw_tls_conn *conn);
/// Moves up to `cap` bytes of pending ciphertext into `out`; returns the count.
size_t rw_tls_conn_drain(struct rw_tls_conn *conn, void *out, size_t cap);

/// Drives the handshake: RW_TLS_OK (established), RW_TLS_WANT_READ, RW_TLS_CLOSED, RW_TLS_EOF or
/// RW_TLS_ERROR.
int rw_tls_conn_handshake(struct rw_tls_conn *conn);
/// Decrypts into `out` until `cap` bytes are filled (RW_TLS_OK) or it stops for another reason
/// (the returned status); `*total` is the number of bytes written either way.
int rw_tls_conn_read(struct rw_tls_conn *conn, void *out, size_t cap, size_t *total);
/// Plaintext already decrypted and waiting inside the connection.
size_t rw_tls_conn_pending_plaintext(const struct rw_tls_conn *conn);
/// Encrypts `len` bytes (all of them, as records in the output BIO): RW_TLS_OK or an error.
int rw_tls_conn_write(struct rw_tls_conn *conn, const void *bytes, size_t len);
/// Sends close_notify (once): RW_TLS_OK or RW_TLS_ERROR.
int rw_tls_conn_shutdown(struct rw_tls_conn *conn);
/// RW_TLS_SENT_SHUTDOWN | RW_TLS_RECEIVED_SHUTDOWN.
int rw_tls_conn_shutdown_state(const struct rw_tls_conn *conn);

/// Frees the input and output BIO buffers when they are empty and larger than `threshold`.
void rw_tls_conn_trim(struct rw_tls_conn *conn, size_t threshold);

/// The negotiated version (RW_TLS_VERSION_*), or 0 before the handshake.
int rw_tls_conn_version(const struct rw_tls_conn *conn);
/// The selected ALPN protocol (not NUL-terminated); `*len` = 0 when none.
void rw_tls_conn_alpn(const struct rw_tls_conn *conn, const uint8_t **data, unsigned *len);
/// The cipher suite name, the key exchange group name, the SNI name the client asked for; NULL
/// when unknown. The strings stay valid as long as the connection.
const char *rw_tls_conn_cipher(const struct rw_tls_conn *conn);
const char *rw_tls_conn_group(const struct rw_tls_conn *conn);
const char *rw_tls_conn_server_name(const struct rw_tls_conn *conn);
/// The peer certificate verification result as text ("ok" when it passed or nothing was verified).
const char *rw_tls_conn_verify_result(const struct rw_tls_conn *conn);
/// 1 when peer certificate verification failed.
int rw_tls_conn_verify_failed(const struct rw_tls_conn *conn);

// MARK: - Certificates

/// Generates an ECDSA P-256 key and a self-signed X.509 v3 certificate for `common_name` with a
/// subjectAltName of the given DNS names and IP address literals, valid from `not_before` to
/// `not_after` (Unix seconds), serverAuth. On success returns 1 and PEM text (free with
/// rw_ossl_free) in `cert_pem` and `key_pem` (PKCS#8).
int rw_x509_self_signed(const char *common_name,
                        const char *const *dns_names, size_t dns_count,
                        const char *const *ip_addresses, size_t ip_count,
                        int64_t not_before, int64_t not_after,
                        char **cert_pem, size_t *cert_len,
                        char **key_pem, size_t *key_len);

/// SHA-256 of the DER encoding of the first certificate in `pem`. Returns 1 or 0.
int rw_x509_sha256_fingerprint(const uint8_t *pem, size_t len, uint8_t out[32]);

/// Parses an IP address literal (IPv4 or IPv6); returns 4, 16, or 0 when it is not one.
int rw_ip_literal_length(const char *text);

#endif
