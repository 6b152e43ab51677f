#ifndef CRINGWAY_SODIUM_H
#define CRINGWAY_SODIUM_H

/* Only plain integer types cross this header: libsodium's own header stays in the .c file so that
   importing this module never pulls glibc system headers into Swift. */
#include <stddef.h>
#include <stdint.h>

#define RINGWAY_ED25519_SEED_BYTES 32
#define RINGWAY_ED25519_PUBLIC_KEY_BYTES 32
#define RINGWAY_ED25519_SECRET_KEY_BYTES 64
#define RINGWAY_ED25519_SIGNATURE_BYTES 64
#define RINGWAY_SHA256_BYTES 32

/// Initialises libsodium. Returns 0 on success (also when already initialised), -1 on failure.
int ringway_sodium_init(void);

/// Derives an Ed25519 key pair from a 32-byte seed. Returns 0 on success.
int ringway_ed25519_seed_keypair(uint8_t *public_key, uint8_t *secret_key, const uint8_t *seed);

/// Creates an Ed25519 key pair from fresh randomness. Returns 0 on success.
int ringway_ed25519_keypair(uint8_t *public_key, uint8_t *secret_key);

/// Writes the 64-byte detached Ed25519 signature of `message`. Returns 0 on success.
int ringway_ed25519_sign(uint8_t *signature, const uint8_t *message, size_t message_length,
                         const uint8_t *secret_key);

/// Returns 0 when `signature` is a valid Ed25519 signature of `message` by `public_key`, -1 otherwise.
int ringway_ed25519_verify(const uint8_t *signature, const uint8_t *message, size_t message_length,
                           const uint8_t *public_key);

/// Writes the 32-byte SHA-256 digest of `message`.
void ringway_sha256(uint8_t *digest, const uint8_t *message, size_t message_length);

/// Fills `buffer` with cryptographically secure random bytes.
void ringway_random_bytes(uint8_t *buffer, size_t length);

/// Compares two buffers in constant time. Returns 0 when equal, -1 otherwise.
int ringway_constant_time_compare(const uint8_t *a, const uint8_t *b, size_t length);

/// Overwrites `buffer` with zeros in a way the compiler cannot elide.
void ringway_secure_zero(uint8_t *buffer, size_t length);

#endif
