/*
 * builtins.c -- the custom validators of Kong's typedefs (tag, name,
 * utf8_name, path, router_path, header_name, cookie_name) written in C, and
 * the table that hands any built-in out as a daoc__callable
 * (daoc__builtin_validator).  Network-shaped ones (ip, cidr, host, sni, url)
 * live in builtins_net.c.
 *
 * Each validator reproduces the Lua original byte for byte, quirks included
 * (Kong's UTF-8 check accepts a second byte from 0x7B in two-byte
 * sequences).  router_path does not compile regex paths: daoc has no PCRE,
 * so a `~` path is accepted as long as its percent-escapes are valid.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "schema/compile_internal.h"

int daoc__bmsg(char **msg, const char *pre, const char *s, size_t n, const char *post)
{
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_puts(&b, pre);
    daoc__buf_append(&b, s, n);
    daoc__buf_puts(&b, post);
    *msg = daoc__buf_take(&b, NULL);
    return *msg ? 0 : DAOC_ENOMEM;
}

static int static_msg(char **msg, const char *text)
{
    *msg = daoc__strdup(text);
    return *msg ? 0 : DAOC_ENOMEM;
}

/* ---- UTF-8 as kong.tools.string.validate_utf8 sees it ------------------ */

static bool in(unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; }

/* 0 when valid, else the 1-based position of the first bad sequence. */
static size_t utf8_bad_at(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t left = n - i;
        if (c <= 127) {
            i += 1;
        } else if (in(c, 194, 223) && left >= 2 && in(s[i + 1], 123, 191)) {
            i += 2; /* sic: Kong's range starts at \123 */
        } else if (left >= 3 && in(s[i + 2], 128, 191) &&
                   ((c == 224 && in(s[i + 1], 160, 191)) ||
                    (in(c, 225, 236) && in(s[i + 1], 128, 191)) ||
                    (c == 237 && in(s[i + 1], 128, 159)) ||
                    (in(c, 238, 239) && in(s[i + 1], 128, 191)))) {
            i += 3;
        } else if (left >= 4 && in(s[i + 2], 128, 191) && in(s[i + 3], 128, 191) &&
                   ((c == 240 && in(s[i + 1], 144, 191)) ||
                    (in(c, 241, 243) && in(s[i + 1], 128, 191)) ||
                    (c == 244 && in(s[i + 1], 128, 143)))) {
            i += 4;
        } else {
            return i + 1;
        }
    }
    return 0;
}

static int utf8_check(const char *s, size_t n, char **msg)
{
    size_t bad = utf8_bad_at((const unsigned char *)s, n);
    if (bad) {
        *msg = daoc__asprintf("invalid utf-8 character sequence detected at position %zu", bad);
        return *msg ? 0 : DAOC_ENOMEM;
    }
    return 1;
}

/* ---- simple character-class validators --------------------------------- */

/* Lua %w in the C locale. */
static bool is_w(unsigned char c) { return isalnum(c) != 0 && c < 128; }

static bool name_char(unsigned char c)
{
    return is_w(c) || c == '.' || c == '-' || c == '_' || c == '~';
}

static int b_name(const char *s, size_t n, char **msg)
{
    bool ok = n > 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = name_char((unsigned char)s[i]);
    if (ok)
        return 1;
    return daoc__bmsg(msg, "invalid value '", s, n,
                      "': it must only contain alphanumeric and '., -, _, ~' characters");
}

static int b_utf8_name(const char *s, size_t n, char **msg)
{
    int rc = utf8_check(s, n, msg);
    bool ok = n > 0;
    if (rc != 1)
        return rc;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        ok = name_char(c) || in(c, 128, 244);
    }
    if (ok)
        return 1;
    return daoc__bmsg(msg, "invalid value '", s, n,
                      "': the only accepted ascii characters are alphanumerics or ., -, _, and ~");
}

static int b_tag(const char *s, size_t n, char **msg)
{
    int rc = utf8_check(s, n, msg);
    bool ok = n > 0;
    if (rc != 1)
        return rc;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        ok = c == ' ' || in(c, 33, 43) || c == 45 || c == 46 || in(c, 48, 126) ||
             in(c, 128, 244);
    }
    if (ok)
        return 1;
    return daoc__bmsg(msg, "invalid tag '", s, n,
                      "': expected printable ascii (except `,` and `/`) or valid utf-8 "
                      "sequences");
}

static int b_header_name(const char *s, size_t n, char **msg)
{
    bool ok = true;
    if (n == 0)
        return static_msg(msg, "no header name provided");
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        ok = is_w(c) || c == '-' || c == '_';
    }
    if (ok)
        return 1;
    return daoc__bmsg(msg, "bad header name '", s, n,
                      "', allowed characters are A-Z, a-z, 0-9, '_', and '-'");
}

static int b_cookie_name(const char *s, size_t n, char **msg)
{
    if (n == 0)
        return static_msg(msg, "no token provided");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 32 || c >= 127 || strchr(" \t()<>@,;:\\\"/?={}[]", c))
            return static_msg(msg, "contains one or more invalid characters. ASCII control "
                                   "characters (0-31;127), space, tab and the characters "
                                   "()<>@,;:\\\"/?={}[] are not allowed.");
    }
    return 1;
}

/* ---- paths ---------------------------------------------------------------- */

static bool is_xdigit_c(unsigned char c) { return isxdigit(c) != 0 && c < 128; }

/* typedefs.path's custom validator.  *percent tells router_path which of the
 * two checks failed. */
static int path_check(const char *s, size_t n, char **msg, bool *percent)
{
    size_t i;
    *percent = false;
    for (i = 1; n > 0 && s[0] == '/' && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_w(c) && !strchr(".-_~/%:@!$&'()*+,;=", c))
            break;
        if (c == 0)
            break;
    }
    if (n == 0 || s[0] != '/' || i < n)
        return daoc__bmsg(msg, "invalid path: '", s, n,
                          "' (characters outside of the reserved list of RFC 3986 found)");
    /* every '%' must start a %XX escape.  Like Kong, the escapes are first
     * replaced by "___" (left to right), then the first '%' left is
     * reported with up to two characters of that rewritten string. */
    for (i = 0; i < n; i++) {
        char *raw;
        size_t len;
        if (s[i] != '%')
            continue;
        if (i + 2 < n && is_xdigit_c((unsigned char)s[i + 1]) &&
            is_xdigit_c((unsigned char)s[i + 2])) {
            i += 2;
            continue;
        }
        raw = daoc__strndup(s, n);
        if (!raw)
            return DAOC_ENOMEM;
        for (size_t j = i + 1; j + 2 < n; j++)
            if (raw[j] == '%' && is_xdigit_c((unsigned char)raw[j + 1]) &&
                is_xdigit_c((unsigned char)raw[j + 2])) {
                memset(raw + j, '_', 3);
                j += 2;
            }
        len = n - i < 3 ? n - i : 3;
        *percent = true;
        i = (size_t)daoc__bmsg(msg, "invalid url-encoded value: '", raw + i, len, "'");
        daoc__free(raw);
        return (int)i;
    }
    return 1;
}

static int b_path(const char *s, size_t n, char **msg)
{
    bool percent;
    return path_check(s, n, msg, &percent);
}

static bool reserved_char(unsigned c) { return c && strchr("!*'();:@&=+$,/?%#[]", (int)c); }

static int hexval(unsigned char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

typedef struct seg {
    const char *p;
    size_t n;
} seg;

/* kong.tools.uri.normalize(uri, true): percent-decoding of unreserved
 * characters, dot-segment removal and slash merging.  Returns a new buffer
 * (caller frees) or NULL on ENOMEM. */
static char *normalize_path(const char *in_, size_t n, size_t *outlen)
{
    char *dec = NULL, *out = NULL;
    seg *segs = NULL;
    size_t dn = 0, nseg = 0;
    const char *u;
    size_t un;

    dec = daoc__malloc(n + 1);
    segs = daoc__calloc(n + 2, sizeof *segs);
    if (!dec || !segs)
        goto done;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in_[i];
        if (c == '%' && i + 2 < n + 0 && is_xdigit_c((unsigned char)in_[i + 1]) &&
            is_xdigit_c((unsigned char)in_[i + 2])) {
            unsigned v = (unsigned)(hexval((unsigned char)in_[i + 1]) * 16 +
                                    hexval((unsigned char)in_[i + 2]));
            if (reserved_char(v)) {
                dec[dn++] = '%';
                dec[dn++] = (char)toupper((unsigned char)in_[i + 1]);
                dec[dn++] = (char)toupper((unsigned char)in_[i + 2]);
            } else {
                dec[dn++] = (char)v;
            }
            i += 2;
        } else {
            dec[dn++] = (char)c;
        }
    }
    u = dec;
    un = dn;
    if (!(dn == 0 || (dn == 1 && dec[0] == '/')) &&
        (memchr(dec, '.', dn) || memmem(dec, dn, "//", 2))) {
        while (un > 0) {
            char a = u[0], b = un > 1 ? u[1] : 0, c = un > 2 ? u[2] : 0, d = un > 3 ? u[3] : 0;
            if (un == 2 && a == '/' && b == '.') {
                u = "/";
                un = 1;
            } else if (un == 3 && a == '/' && b == '.' && c == '.') {
                u = "/";
                un = 1;
                if (nseg > 0)
                    nseg--;
            } else if ((un == 1 && a == '.') || (un == 2 && a == '.' && b == '.')) {
                un = 0;
            } else if (a == '.' && b == '.' && c == '/') {
                u += 3, un -= 3;
            } else if (a == '.' && b == '/') {
                u += 2, un -= 2;
            } else if (a == '/' && b == '.' && c == '/') {
                u += 2, un -= 2;
            } else if (a == '/' && b == '.' && c == '.' && d == '/') {
                u += 3, un -= 3;
                if (nseg > 0)
                    nseg--;
            } else if (a == '/' && b == '/') {
                u += 1, un -= 1;
            } else {
                const char *sl = un > 1 ? memchr(u + 1, '/', un - 1) : NULL;
                size_t len = sl ? (size_t)(sl - u) : un;
                segs[nseg].p = u;
                segs[nseg].n = len;
                nseg++;
                u += len, un -= len;
            }
        }
        out = daoc__malloc(dn + 2);
        if (!out)
            goto done;
        *outlen = 0;
        for (size_t i = 0; i < nseg; i++) {
            memcpy(out + *outlen, segs[i].p, segs[i].n);
            *outlen += segs[i].n;
        }
    } else {
        out = dec;
        dec = NULL;
        *outlen = dn;
    }
done:
    daoc__free(dec);
    daoc__free(segs);
    return out;
}

static int b_router_path(const char *s, size_t n, char **msg)
{
    bool percent;
    char *norm;
    size_t nn = 0;
    int rc = path_check(s, n, msg, &percent);

    if (rc != 1) {
        if (rc < 0 || percent)
            return rc;
        daoc__free(*msg); /* RFC 3986 complaints are not router_path's */
        *msg = NULL;
    }
    if (n > 0 && s[0] == '~')
        return 1; /* regex path: no PCRE here */
    norm = normalize_path(s, n, &nn);
    if (!norm)
        return DAOC_ENOMEM;
    rc = nn == n && memcmp(norm, s, n) == 0
             ? 1
             : daoc__bmsg(msg, "non-normalized path, consider use '", norm, nn, "' instead");
    daoc__free(norm);
    return rc;
}

/* ---- the table and the callable ------------------------------------------ */

static const struct builtin {
    const char *name;
    daoc__bfn fn;
} BUILTINS[] = {
    {"tag", b_tag},
    {"name", b_name},
    {"utf8_name", b_utf8_name},
    {"ip", daoc__b_ip},
    {"ip_or_cidr", daoc__b_ip_or_cidr},
    {"cidr_v4", daoc__b_cidr_v4},
    {"cidr", daoc__b_cidr_v4},
    {"host", daoc__b_host},
    {"redis_host", daoc__b_host},
    {"host_with_optional_port", daoc__b_host_with_optional_port},
    {"wildcard_host", daoc__b_wildcard_host},
    {"sni", daoc__b_sni},
    {"redis_server_name", daoc__b_sni},
    {"path", b_path},
    {"header_name", b_header_name},
    {"cookie_name", b_cookie_name},
    {"url", daoc__b_url},
    {"router_path", b_router_path},
    {"certificate", daoc__b_certificate},
    {"key", daoc__b_key},
};

/* A validator's answer as a callable's: 1 with true in *ret, 0 with the
 * message in *msg, or a negative status; m is taken. */
static int callable_result(int rc, char *m, daoc_value **ret, char **msg)
{
    if (rc == 1 && ret && !(*ret = daoc_bool(true)))
        rc = DAOC_ENOMEM;
    if (rc == 0 && msg)
        *msg = m;
    else
        daoc__free(m);
    return rc;
}

/* A string validator: a value that is not a string fails "expected a string". */
static int builtin_call(daoc__callable *self, const daoc_value *const *args, size_t nargs,
                        daoc_value **ret, char **msg)
{
    const struct builtin *b = self->ud;
    char *m = NULL;

    if (ret)
        *ret = NULL;
    if (msg)
        *msg = NULL;
    if (nargs < 1 || !args[0] || args[0]->type != DAOC_TSTR) {
        if (msg && !(*msg = daoc__strdup("expected a string")))
            return DAOC_ENOMEM;
        return 0;
    }
    int rc = b->fn(args[0]->u.s, args[0]->len, &m);
    return callable_result(rc, m, ret, msg);
}

/* A value validator: absent and null are valid without a call. */
static int value_call(daoc__callable *self, const daoc_value *const *args, size_t nargs,
                      daoc_value **ret, char **msg)
{
    const daoc__vbuiltin *b = self->ud;
    char *m = NULL;
    if (ret)
        *ret = NULL;
    if (msg)
        *msg = NULL;
    if (nargs < 1 || !args[0] || daoc__is_null(args[0]))
        return 1;
    int rc = b->fn(args[0], &m);
    return callable_result(rc, m, ret, msg);
}

static void builtin_release(daoc__callable *self) { daoc__free(self); }

static daoc__callable *builtin_callable(const char *name,
                                        int (*call)(daoc__callable *, const daoc_value *const *,
                                                    size_t, daoc_value **, char **),
                                        const void *ud)
{
    daoc__callable *c = daoc__calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->refs = 1;
    c->call = call;
    c->release = builtin_release;
    c->builtin = name;
    c->ud = (void *)(uintptr_t)ud;
    return c;
}

bool daoc__builtin_known(const char *name)
{
    for (size_t i = 0; name && i < sizeof BUILTINS / sizeof BUILTINS[0]; i++)
        if (strcmp(BUILTINS[i].name, name) == 0)
            return true;
    return daoc__crypto_validator(name) != NULL;
}

daoc__callable *daoc__builtin_validator(const char *name)
{
    for (size_t i = 0; name && i < sizeof BUILTINS / sizeof BUILTINS[0]; i++)
        if (strcmp(BUILTINS[i].name, name) == 0)
            return builtin_callable(BUILTINS[i].name, builtin_call, &BUILTINS[i]);
    const daoc__vbuiltin *v = daoc__crypto_validator(name);
    return v ? builtin_callable(v->name, value_call, v) : NULL;
}
