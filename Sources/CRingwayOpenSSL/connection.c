#include "CRingwayOpenSSL.h"
#include "internal.h"

#include <arpa/inet.h>
#include <limits.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

int rw_ip_literal_length(const char *text) {
    unsigned char addr[16];
    if (inet_pton(AF_INET, text, addr) == 1) return 4;
    if (inet_pton(AF_INET6, text, addr) == 1) return 16;
    return 0;
}

static BIO *new_input_bio(int input_ended) {
    BIO *bio = BIO_new(BIO_s_mem());
    // An empty input BIO means "retry later" until the transport has ended, then "EOF".
    if (bio != NULL) BIO_set_mem_eof_return(bio, input_ended ? 0 : -1);
    return bio;
}

struct rw_tls_conn *rw_tls_conn_new(struct rw_tls_ctx *ctx, const char *server_name, int check_host) {
    ERR_clear_error();
    struct rw_tls_conn *conn = OPENSSL_zalloc(sizeof *conn);
    if (conn == NULL) return NULL;
    conn->ssl = SSL_new(ctx->ssl_ctx);
    if (conn->ssl == NULL) goto fail;
    conn->in = new_input_bio(0);
    conn->out = BIO_new(BIO_s_mem());
    if (conn->in == NULL || conn->out == NULL) {
        BIO_free(conn->in);
        BIO_free(conn->out);
        goto fail;
    }
    SSL_set_bio(conn->ssl, conn->in, conn->out);
    if (ctx->is_server) {
        SSL_set_accept_state(conn->ssl);
        return conn;
    }
    SSL_set_connect_state(conn->ssl);
    if (server_name != NULL && server_name[0] != '\0') {
        int is_ip = rw_ip_literal_length(server_name) != 0;
        // RFC 6066 §3: SNI carries host names only, never address literals.
        if (!is_ip && !SSL_set_tlsext_host_name(conn->ssl, server_name)) goto fail;
        if (check_host) {
            if (is_ip) {
                if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(conn->ssl), server_name)) goto fail;
            } else {
                SSL_set_hostflags(conn->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                if (!SSL_set1_host(conn->ssl, server_name)) goto fail;
            }
        }
    }
    return conn;
fail:
    rw_tls_conn_free(conn);
    return NULL;
}

void rw_tls_conn_free(struct rw_tls_conn *conn) {
    if (conn == NULL) return;
    SSL_free(conn->ssl);
    OPENSSL_free(conn);
}

int rw_tls_conn_feed(struct rw_tls_conn *conn, const void *bytes, size_t len) {
    ERR_clear_error();
    if (len == 0) return 1;
    size_t written = 0;
    return BIO_write_ex(conn->in, bytes, len, &written) == 1 && written == len;
}

void rw_tls_conn_feed_eof(struct rw_tls_conn *conn) {
    conn->input_ended = 1;
    BIO_set_mem_eof_return(conn->in, 0);
}

size_t rw_tls_conn_buffered_input(const struct rw_tls_conn *conn) {
    return BIO_ctrl_pending(conn->in);
}

size_t rw_tls_conn_pending_output(const struct rw_tls_conn *conn) {
    return BIO_ctrl_pending(conn->out);
}

size_t rw_tls_conn_drain(struct rw_tls_conn *conn, void *out, size_t cap) {
    size_t read = 0;
    if (cap == 0 || BIO_read_ex(conn->out, out, cap, &read) != 1) return 0;
    return read;
}

// Maps an SSL_* failure to a status; the error queue keeps the details for the caller.
static int classify(struct rw_tls_conn *conn, int ret) {
    switch (SSL_get_error(conn->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        return RW_TLS_WANT_READ;
    case SSL_ERROR_ZERO_RETURN:
        return RW_TLS_CLOSED;
    case SSL_ERROR_SYSCALL:
        // With memory BIOs there is no syscall: an empty queue means the input ended.
        return ERR_peek_error() == 0 ? RW_TLS_EOF : RW_TLS_ERROR;
    case SSL_ERROR_SSL: {
        unsigned long last = ERR_peek_last_error();
        if (ERR_GET_LIB(last) == ERR_LIB_SSL &&
            ERR_GET_REASON(last) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
            return RW_TLS_EOF;
        return RW_TLS_ERROR;
    }
    default:
        // WANT_WRITE cannot happen with a memory BIO; anything else is a failure.
        return RW_TLS_ERROR;
    }
}

int rw_tls_conn_handshake(struct rw_tls_conn *conn) {
    ERR_clear_error();
    int ret = SSL_do_handshake(conn->ssl);
    return ret == 1 ? RW_TLS_OK : classify(conn, ret);
}

int rw_tls_conn_read(struct rw_tls_conn *conn, void *out, size_t cap, size_t *total) {
    ERR_clear_error();
    size_t filled = 0;
    int status = RW_TLS_OK;
    // SSL_read_ex returns at most one record per call: loop to fill the caller's buffer.
    while (filled < cap) {
        size_t n = 0;
        int ret = SSL_read_ex(conn->ssl, (unsigned char *)out + filled, cap - filled, &n);
        if (ret != 1) {
            status = classify(conn, ret);
            break;
        }
        filled += n;
    }
    *total = filled;
    return status;
}

size_t rw_tls_conn_pending_plaintext(const struct rw_tls_conn *conn) {
    int pending = SSL_pending(conn->ssl);
    return pending > 0 ? (size_t)pending : 0;
}

int rw_tls_conn_write(struct rw_tls_conn *conn, const void *bytes, size_t len) {
    ERR_clear_error();
    if (len == 0) return RW_TLS_OK;
    size_t written = 0;
    int ret = SSL_write_ex(conn->ssl, bytes, len, &written);
    if (ret == 1 && written == len) return RW_TLS_OK;
    return ret == 1 ? RW_TLS_ERROR : classify(conn, ret);
}

int rw_tls_conn_shutdown(struct rw_tls_conn *conn) {
    ERR_clear_error();
    int ret = SSL_shutdown(conn->ssl);
    // 0 = our close_notify is queued, 1 = the peer's one had arrived too.
    return ret >= 0 ? RW_TLS_OK : RW_TLS_ERROR;
}

int rw_tls_conn_shutdown_state(const struct rw_tls_conn *conn) {
    int flags = SSL_get_shutdown(conn->ssl);
    return ((flags & SSL_SENT_SHUTDOWN) ? RW_TLS_SENT_SHUTDOWN : 0) |
           ((flags & SSL_RECEIVED_SHUTDOWN) ? RW_TLS_RECEIVED_SHUTDOWN : 0);
}

static size_t bio_capacity(BIO *bio) {
    BUF_MEM *mem = NULL;
    BIO_get_mem_ptr(bio, &mem);
    return mem != NULL ? mem->max : 0;
}

void rw_tls_conn_trim(struct rw_tls_conn *conn, size_t threshold) {
    // A memory BIO never shrinks; after a burst, swap an empty one for a fresh BIO.
    if (BIO_ctrl_pending(conn->in) == 0 && bio_capacity(conn->in) > threshold) {
        BIO *fresh = new_input_bio(conn->input_ended);
        if (fresh != NULL) {
            SSL_set0_rbio(conn->ssl, fresh);
            conn->in = fresh;
        }
    }
    if (BIO_ctrl_pending(conn->out) == 0 && bio_capacity(conn->out) > threshold) {
        BIO *fresh = BIO_new(BIO_s_mem());
        if (fresh != NULL) {
            SSL_set0_wbio(conn->ssl, fresh);
            conn->out = fresh;
        }
    }
}

int rw_tls_conn_version(const struct rw_tls_conn *conn) {
    if (!SSL_is_init_finished(conn->ssl)) return 0;
    return SSL_version(conn->ssl);
}

void rw_tls_conn_alpn(const struct rw_tls_conn *conn, const uint8_t **data, unsigned *len) {
    SSL_get0_alpn_selected(conn->ssl, data, len);
}

const char *rw_tls_conn_cipher(const struct rw_tls_conn *conn) {
    const SSL_CIPHER *cipher = SSL_get_current_cipher(conn->ssl);
    return cipher != NULL ? SSL_CIPHER_get_name(cipher) : NULL;
}

const char *rw_tls_conn_group(const struct rw_tls_conn *conn) {
    int nid = (int)SSL_get_negotiated_group(conn->ssl);
    if (nid == 0) return NULL;
    return SSL_group_to_name(conn->ssl, nid);
}

const char *rw_tls_conn_server_name(const struct rw_tls_conn *conn) {
    return SSL_get_servername(conn->ssl, TLSEXT_NAMETYPE_host_name);
}

const char *rw_tls_conn_verify_result(const struct rw_tls_conn *conn) {
    return X509_verify_cert_error_string(SSL_get_verify_result(conn->ssl));
}

int rw_tls_conn_verify_failed(const struct rw_tls_conn *conn) {
    return SSL_get_verify_result(conn->ssl) != X509_V_OK;
}
