#include "CRingwayOpenSSL.h"
#include "internal.h"

#include <limits.h>
#include <string.h>
#include <time.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static int add_ext(X509 *cert, X509V3_CTX *v3, int nid, const char *value) {
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);
    if (ext == NULL) return 0;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static int add_subject_alt_names(X509 *cert, const char *const *dns, size_t dns_count,
                                 const char *const *ips, size_t ip_count) {
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    if (names == NULL) return 0;
    int ok = 0;
    for (size_t i = 0; i < dns_count; i++) {
        GENERAL_NAME *name = GENERAL_NAME_new();
        ASN1_IA5STRING *text = ASN1_IA5STRING_new();
        if (name == NULL || text == NULL || dns[i] == NULL || !ASN1_STRING_set(text, dns[i], -1)) {
            GENERAL_NAME_free(name);
            ASN1_IA5STRING_free(text);
            goto done;
        }
        GENERAL_NAME_set0_value(name, GEN_DNS, text);
        if (!sk_GENERAL_NAME_push(names, name)) {
            GENERAL_NAME_free(name);
            goto done;
        }
    }
    for (size_t i = 0; i < ip_count; i++) {
        ASN1_OCTET_STRING *addr = ips[i] != NULL ? a2i_IPADDRESS(ips[i]) : NULL;
        GENERAL_NAME *name = addr != NULL ? GENERAL_NAME_new() : NULL;
        if (name == NULL) {
            ASN1_OCTET_STRING_free(addr);
            goto done;
        }
        GENERAL_NAME_set0_value(name, GEN_IPADD, addr);
        if (!sk_GENERAL_NAME_push(names, name)) {
            GENERAL_NAME_free(name);
            goto done;
        }
    }
    ok = X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1;
done:
    GENERAL_NAMES_free(names);
    return ok;
}

static int random_serial(X509 *cert) {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return 0;
    // RFC 5280 §4.1.2.2: positive and at most 20 octets. Clearing the top bit keeps it positive;
    // setting the next one keeps it exactly 16 octets long.
    bytes[0] = (unsigned char)((bytes[0] & 0x7f) | 0x40);
    BIGNUM *bn = BN_bin2bn(bytes, sizeof bytes, NULL);
    if (bn == NULL) return 0;
    int ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
    BN_free(bn);
    return ok;
}

// Copies a memory BIO's contents into a NUL-terminated OPENSSL_malloc'd buffer.
static int take_bio_text(BIO *bio, char **out, size_t *out_len) {
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0 || data == NULL) return 0;
    char *copy = OPENSSL_malloc((size_t)len + 1);
    if (copy == NULL) return 0;
    memcpy(copy, data, (size_t)len);
    copy[len] = '\0';
    *out = copy;
    *out_len = (size_t)len;
    return 1;
}

int rw_x509_self_signed(const char *common_name,
                        const char *const *dns_names, size_t dns_count,
                        const char *const *ip_addresses, size_t ip_count,
                        int64_t not_before, int64_t not_after,
                        char **cert_pem, size_t *cert_len,
                        char **key_pem, size_t *key_len) {
    ERR_clear_error();
    *cert_pem = NULL;
    *key_pem = NULL;
    int ok = 0;
    X509 *cert = NULL;
    BIO *cert_bio = NULL;
    BIO *key_bio = NULL;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (key == NULL) goto done;
    cert = X509_new();
    if (cert == NULL) goto done;
    if (!X509_set_version(cert, X509_VERSION_3)) goto done;
    if (!random_serial(cert)) goto done;
    if (ASN1_TIME_set(X509_getm_notBefore(cert), (time_t)not_before) == NULL) goto done;
    if (ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)not_after) == NULL) goto done;
    X509_NAME *name = X509_get_subject_name(cert);
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                    (const unsigned char *)common_name, -1, -1, 0))
        goto done;
    if (!X509_set_issuer_name(cert, name)) goto done;
    if (!X509_set_pubkey(cert, key)) goto done;

    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    // A leaf that is its own trust anchor: not a CA (browsers refuse CA certificates as leaves).
    if (!add_ext(cert, &v3, NID_basic_constraints, "critical,CA:FALSE")) goto done;
    if (!add_ext(cert, &v3, NID_key_usage, "critical,digitalSignature")) goto done;
    if (!add_ext(cert, &v3, NID_ext_key_usage, "serverAuth")) goto done;
    if (!add_ext(cert, &v3, NID_subject_key_identifier, "hash")) goto done;
    if (!add_ext(cert, &v3, NID_authority_key_identifier, "keyid:always")) goto done;
    if (!add_subject_alt_names(cert, dns_names, dns_count, ip_addresses, ip_count)) goto done;
    if (X509_sign(cert, key, EVP_sha256()) == 0) goto done;

    cert_bio = BIO_new(BIO_s_mem());
    key_bio = BIO_new(BIO_s_mem());
    if (cert_bio == NULL || key_bio == NULL) goto done;
    if (!PEM_write_bio_X509(cert_bio, cert)) goto done;
    if (!PEM_write_bio_PrivateKey(key_bio, key, NULL, NULL, 0, NULL, NULL)) goto done;
    if (!take_bio_text(cert_bio, cert_pem, cert_len)) goto done;
    if (!take_bio_text(key_bio, key_pem, key_len)) {
        OPENSSL_free(*cert_pem);
        *cert_pem = NULL;
        goto done;
    }
    ok = 1;
done:
    BIO_free(cert_bio);
    // The key PEM is a secret: wipe the BIO's copy before it is freed.
    if (key_bio != NULL) {
        char *data = NULL;
        long len = BIO_get_mem_data(key_bio, &data);
        if (len > 0 && data != NULL) OPENSSL_cleanse(data, (size_t)len);
        BIO_free(key_bio);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return ok;
}

int rw_x509_sha256_fingerprint(const uint8_t *pem, size_t len, uint8_t out[32]) {
    ERR_clear_error();
    if (len > INT_MAX) return 0;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) return 0;
    X509 *cert = PEM_read_bio_X509(bio, NULL, rw_no_passphrase, NULL);
    BIO_free(bio);
    if (cert == NULL) return 0;
    unsigned int n = 0;
    int ok = X509_digest(cert, EVP_sha256(), out, &n) == 1 && n == 32;
    X509_free(cert);
    return ok;
}
