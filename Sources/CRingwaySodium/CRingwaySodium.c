#include "CRingwaySodium.h"

#include <sodium.h>

int ringway_sodium_init(void) {
    /* sodium_init returns 1 when it had already run, which is success for our callers. */
    return sodium_init() < 0 ? -1 : 0;
}

int ringway_ed25519_seed_keypair(uint8_t *public_key, uint8_t *secret_key, const uint8_t *seed) {
    return crypto_sign_ed25519_seed_keypair(public_key, secret_key, seed);
}

int ringway_ed25519_keypair(uint8_t *public_key, uint8_t *secret_key) {
    return crypto_sign_ed25519_keypair(public_key, secret_key);
}

int ringway_ed25519_sign(uint8_t *signature, const uint8_t *message, size_t message_length,
                         const uint8_t *secret_key) {
    return crypto_sign_ed25519_detached(signature, NULL, message, (unsigned long long)message_length,
                                        secret_key);
}

int ringway_ed25519_verify(const uint8_t *signature, const uint8_t *message, size_t message_length,
                           const uint8_t *public_key) {
    return crypto_sign_ed25519_verify_detached(signature, message, (unsigned long long)message_length,
                                               public_key) == 0 ? 0 : -1;
}

void ringway_sha256(uint8_t *digest, const uint8_t *message, size_t message_length) {
    crypto_hash_sha256(digest, message, (unsigned long long)message_length);
}

void ringway_random_bytes(uint8_t *buffer, size_t length) {
    randombytes_buf(buffer, length);
}

int ringway_constant_time_compare(const uint8_t *a, const uint8_t *b, size_t length) {
    return sodium_memcmp(a, b, length) == 0 ? 0 : -1;
}

void ringway_secure_zero(uint8_t *buffer, size_t length) {
    sodium_memzero(buffer, length);
}
