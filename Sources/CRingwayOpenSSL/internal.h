// Private definitions shared by the .c files of this module (not part of the public header).
#ifndef CRINGWAY_OPENSSL_INTERNAL_H
#define CRINGWAY_OPENSSL_INTERNAL_H

#include <stddef.h>
#include <openssl/ssl.h>

struct rw_tls_ctx {
    SSL_CTX *ssl_ctx;
    int is_server;
    // Server ALPN preference list in wire format; the select callback reads it.
    unsigned char *alpn;
    size_t alpn_len;
};

struct rw_tls_conn {
    SSL *ssl;
    // Both BIOs are owned by `ssl`; kept here to avoid SSL_get_rbio lookups.
    BIO *in;
    BIO *out;
    int input_ended;
};

/// Passphrase callback that refuses (no prompt on a terminal).
int rw_no_passphrase(char *buf, int size, int rwflag, void *userdata);

#endif
