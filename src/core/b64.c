/*
 * b64.c -- base64 encode/decode (standard alphabet).  Strict decoder:
 * characters outside the alphabet, misplaced padding and non-zero trailing
 * bits are errors, so every offset token has exactly one spelling.
 */
#include "core/b64.h"

#include "core/alloc.h"

static const char ALPHA[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *daoc__b64_encode(const void *data, size_t len, int pad)
{
    const unsigned char *p = data;
    char *out = daoc__malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = ALPHA[v >> 18];
        out[o++] = ALPHA[(v >> 12) & 63];
        out[o++] = ALPHA[(v >> 6) & 63];
        out[o++] = ALPHA[v & 63];
    }
    if (len - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        out[o++] = ALPHA[v >> 18];
        out[o++] = ALPHA[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (len - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        out[o++] = ALPHA[v >> 18];
        out[o++] = ALPHA[(v >> 12) & 63];
        out[o++] = ALPHA[(v >> 6) & 63];
        if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

static int dec(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int daoc__b64_decode(const char *s, size_t len, char **out, size_t *outlen)
{
    /* strip padding: at most two '=' at the very end, only where needed */
    size_t n = len;
    size_t padn = 0;
    while (n > 0 && s[n - 1] == '=' && padn < 2) {
        n--;
        padn++;
    }
    if (n % 4 == 1)
        return -1;
    if (padn && (n + padn) % 4 != 0)
        return -1;
    char *buf = daoc__malloc(n / 4 * 3 + 3 + 1);
    if (!buf)
        return -2;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int d = dec(s[i]);
        if (d < 0) {
            daoc__free(buf);
            return -1;
        }
        acc = (acc << 6) | (unsigned)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (bits && (acc & ((1u << bits) - 1))) {
        daoc__free(buf);
        return -1;
    }
    buf[o] = '\0';
    *out = buf;
    *outlen = o;
    return 0;
}
