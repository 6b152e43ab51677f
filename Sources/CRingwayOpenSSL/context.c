#include "CRingwayOpenSSL.h"
#include "internal.h"

#include <limits.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

// Forward-secret AEAD suites only; TLS 1.3 suites stay at OpenSSL's defaults (all AEAD).
static const char *const tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

int rw_no_passphrase(char *buf, int size, int rwflag, void *userdata) {
    // A daemon must never prompt on a terminal: encrypted keys are refused.
    (void)buf; (void)size; (void)rwflag; (void)userdata;
    return 0;
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl;
    const struct rw_tls_ctx *ctx = arg;
    // Server preference order wins; OpenSSL has already checked that `in` is well formed.
    for (size_t i = 0; i < ctx->alpn_len; i += 1 + (size_t)ctx->alpn[i]) {
        unsigned char server_len = ctx->alpn[i];
        const unsigned char *server_name = ctx->alpn + i + 1;
        for (unsigned int j = 0; j < inlen; j += 1u + in[j]) {
            unsigned char client_len = in[j];
            if (j + 1u + client_len > inlen) break;
            if (client_len == server_len && memcmp(in + j + 1, server_name, server_len) == 0) {
                *out = in + j + 1;
                *outlen = client_len;
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    // RFC 7301 §3.2: no overlap is answered with the no_application_protocol alert.
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

struct rw_tls_ctx *rw_tls_ctx_new(int is_server, int min_version, int max_version) {
    ERR_clear_error();
    struct rw_tls_ctx *ctx = OPENSSL_zalloc(sizeof *ctx);
    if (ctx == NULL) return NULL;
    ctx->is_server = is_server != 0;
    ctx->ssl_ctx = SSL_CTX_new(is_server ? TLS_server_method() : TLS_client_method());
    if (ctx->ssl_ctx == NULL) goto fail;
    SSL_CTX *c = ctx->ssl_ctx;
    if (!SSL_CTX_set_min_proto_version(c, min_version)) goto fail;
    if (!SSL_CTX_set_max_proto_version(c, max_version)) goto fail;
    SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                               (is_server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
    // Idle connections keep no read/write buffers; Swift may move the plaintext between retries.
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    if (!SSL_CTX_set_num_tickets(c, 0)) goto fail;
    if (!SSL_CTX_set_cipher_list(c, tls12_ciphers)) goto fail;
    if (!SSL_CTX_set1_groups_list(c, "X25519:P-256")) goto fail;
    SSL_CTX_set_default_passwd_cb(c, rw_no_passphrase);
    SSL_CTX_set_verify(c, is_server ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    return ctx;
fail:
    rw_tls_ctx_free(ctx);
    return NULL;
}

void rw_tls_ctx_free(struct rw_tls_ctx *ctx) {
    if (ctx == NULL) return;
    SSL_CTX_free(ctx->ssl_ctx);
    OPENSSL_free(ctx->alpn);
    OPENSSL_free(ctx);
}

int rw_tls_ctx_set_groups(struct rw_tls_ctx *ctx, const char *groups) {
    ERR_clear_error();
    return SSL_CTX_set1_groups_list(ctx->ssl_ctx, groups) == 1;
}

int rw_tls_ctx_set_alpn(struct rw_tls_ctx *ctx, const uint8_t *wire, size_t len) {
    ERR_clear_error();
    if (len == 0 || len > UINT16_MAX) return 0;
    if (ctx->is_server) {
        unsigned char *copy = OPENSSL_memdup(wire, len);
        if (copy == NULL) return 0;
        OPENSSL_free(ctx->alpn);
        ctx->alpn = copy;
        ctx->alpn_len = len;
        SSL_CTX_set_alpn_select_cb(ctx->ssl_ctx, alpn_select, ctx);
        return 1;
    }
    // Unlike most of OpenSSL, this one returns 0 on success.
    return SSL_CTX_set_alpn_protos(ctx->ssl_ctx, wire, (unsigned int)len) == 0;
}

int rw_tls_ctx_use_chain_file(struct rw_tls_ctx *ctx, const char *path) {
    ERR_clear_error();
    return SSL_CTX_use_certificate_chain_file(ctx->ssl_ctx, path) == 1;
}

// True when the error queue's last entry is the harmless end-of-PEM marker of a read loop.
static int only_pem_end(void) {
    unsigned long last = ERR_peek_last_error();
    if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        return 1;
    }
    return 0;
}

int rw_tls_ctx_use_chain_pem(struct rw_tls_ctx *ctx, const uint8_t *pem, size_t len) {
    ERR_clear_error();
    if (len > INT_MAX) return 0;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) return 0;
    int ok = 0;
    X509 *leaf = PEM_read_bio_X509_AUX(bio, NULL, rw_no_passphrase, NULL);
    if (leaf == NULL || SSL_CTX_use_certificate(ctx->ssl_ctx, leaf) != 1) goto done;
    if (!SSL_CTX_clear_chain_certs(ctx->ssl_ctx)) goto done;
    X509 *extra;
    while ((extra = PEM_read_bio_X509(bio, NULL, rw_no_passphrase, NULL)) != NULL) {
        if (!SSL_CTX_add0_chain_cert(ctx->ssl_ctx, extra)) {
            X509_free(extra);
            goto done;
        }
    }
    ok = only_pem_end();
done:
    X509_free(leaf);
    BIO_free(bio);
    return ok;
}

int rw_tls_ctx_use_key_file(struct rw_tls_ctx *ctx, const char *path) {
    ERR_clear_error();
    if (SSL_CTX_use_PrivateKey_file(ctx->ssl_ctx, path, SSL_FILETYPE_PEM) != 1) return 0;
    return SSL_CTX_check_private_key(ctx->ssl_ctx) == 1;
}

int rw_tls_ctx_use_key_pem(struct rw_tls_ctx *ctx, const uint8_t *pem, size_t len) {
    ERR_clear_error();
    if (len > INT_MAX) return 0;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) return 0;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, rw_no_passphrase, NULL);
    BIO_free(bio);
    if (key == NULL) return 0;
    int ok = SSL_CTX_use_PrivateKey(ctx->ssl_ctx, key) == 1 &&
             SSL_CTX_check_private_key(ctx->ssl_ctx) == 1;
    EVP_PKEY_free(key);
    return ok;
}

void rw_tls_ctx_set_verify(struct rw_tls_ctx *ctx, int verify) {
    SSL_CTX_set_verify(ctx->ssl_ctx, verify && !ctx->is_server ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                       NULL);
}

int rw_tls_ctx_trust_file(struct rw_tls_ctx *ctx, const char *path) {
    ERR_clear_error();
    return SSL_CTX_load_verify_file(ctx->ssl_ctx, path) == 1;
}

int rw_tls_ctx_trust_pem(struct rw_tls_ctx *ctx, const uint8_t *pem, size_t len) {
    ERR_clear_error();
    if (len > INT_MAX) return 0;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) return 0;
    X509_STORE *store = SSL_CTX_get_cert_store(ctx->ssl_ctx);
    int added = 0;
    int ok = 1;
    X509 *cert;
    while ((cert = PEM_read_bio_X509(bio, NULL, rw_no_passphrase, NULL)) != NULL) {
        if (!X509_STORE_add_cert(store, cert)) ok = 0;
        X509_free(cert);
        added++;
    }
    BIO_free(bio);
    if (!ok || added == 0) return 0;
    return only_pem_end();
}

int rw_tls_ctx_trust_default(struct rw_tls_ctx *ctx) {
    ERR_clear_error();
    return SSL_CTX_set_default_verify_paths(ctx->ssl_ctx) == 1;
}
