#include "CRingwayOpenSSL.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

void rw_ossl_error_clear(void) {
    ERR_clear_error();
}

static void append(char *buf, size_t cap, size_t *used, const char *text) {
    if (cap == 0 || *used + 1 >= cap) return;
    size_t room = cap - 1 - *used;
    size_t n = strlen(text);
    if (n > room) n = room;
    memcpy(buf + *used, text, n);
    *used += n;
    buf[*used] = '\0';
}

size_t rw_ossl_error_drain(char *buf, size_t cap) {
    size_t used = 0;
    size_t count = 0;
    if (cap > 0) buf[0] = '\0';
    const char *data = NULL;
    int flags = 0;
    unsigned long code;
    while ((code = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        char line[256];
        ERR_error_string_n(code, line, sizeof line);
        if (count > 0) append(buf, cap, &used, "; ");
        append(buf, cap, &used, line);
        // Some reasons carry detail only in the data string (e.g. the file that failed to open).
        if ((flags & ERR_TXT_STRING) && data != NULL && data[0] != '\0') {
            append(buf, cap, &used, " (");
            append(buf, cap, &used, data);
            append(buf, cap, &used, ")");
        }
        count++;
    }
    return count;
}

void rw_ossl_free(void *ptr) {
    OPENSSL_free(ptr);
}
