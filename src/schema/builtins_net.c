/*
 * builtins_net.c -- the network-shaped built-in validators of Kong's
 * typedefs: ip, ip_or_cidr, cidr_v4, host, host_with_optional_port,
 * wildcard_host, sni and url.
 *
 * IP syntax follows lua-resty-ipmatcher (inet_pton, IPv6 optionally in
 * brackets); host names follow kong.tools.ip.normalize_ip, whose looser
 * hand-written grammar (ipv4[:port], [ipv6]:port, name[:port]) decides the
 * messages; url follows LuaSocket's url.parse.  Nothing here resolves names
 * or touches the network.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "core/alloc.h"
#include "schema/compile_internal.h"

/* ---- inet_pton-based checks (resty.ipmatcher) -------------------------- */

static bool pton(int af, const char *s, size_t n)
{
    char buf[64];
    unsigned char out[16];
    if (n == 0 || n >= sizeof buf || memchr(s, 0, n))
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    return inet_pton(af, buf, out) == 1;
}

static bool parse_ipv4(const char *s, size_t n) { return pton(AF_INET, s, n); }

static bool parse_ipv6(const char *s, size_t n)
{
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    return pton(AF_INET6, s, n);
}

/* "<ip>/<prefix>" with the prefix written exactly as tostring(0..max). */
static bool valid_cidr(const char *s, size_t n, unsigned max, bool v6)
{
    const char *slash = memchr(s, '/', n);
    size_t ipn, pn;
    unsigned p = 0;
    if (!slash)
        return false;
    ipn = (size_t)(slash - s);
    pn = n - ipn - 1;
    if (pn == 0 || pn > 3 || (pn > 1 && slash[1] == '0'))
        return false;
    for (size_t i = 1; i <= pn; i++) {
        if (!isdigit((unsigned char)slash[i]))
            return false;
        p = p * 10 + (unsigned)(slash[i] - '0');
    }
    if (p > max)
        return false;
    return v6 ? parse_ipv6(s, ipn) : parse_ipv4(s, ipn);
}

int daoc__b_ip(const char *s, size_t n, char **msg)
{
    if (parse_ipv4(s, n) || parse_ipv6(s, n))
        return 1;
    return daoc__bmsg(msg, "not an ip address: ", s, n, "");
}

int daoc__b_ip_or_cidr(const char *s, size_t n, char **msg)
{
    if (parse_ipv4(s, n) || parse_ipv6(s, n) || valid_cidr(s, n, 32, false) ||
        valid_cidr(s, n, 128, true))
        return 1;
    return daoc__bmsg(msg, "invalid ip or cidr range: '", s, n, "'");
}

int daoc__b_cidr_v4(const char *s, size_t n, char **msg)
{
    if (parse_ipv4(s, n) || valid_cidr(s, n, 32, false))
        return 1;
    return daoc__bmsg(msg, "invalid ipv4 cidr range: '", s, n, "'");
}

/* ---- kong.tools.ip.normalize_ip ------------------------------------------ */

enum htype { H_IPV4, H_IPV6, H_NAME };
enum herr { E_NONE, E_IPV4, E_IPV6, E_IPV6_BARE, E_PORT, E_HOSTNAME };

typedef struct hres {
    enum htype type;
    bool has_port;
} hres;

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* tonumber(digits) > 65535, without overflow. */
static bool port_too_big(const char *s, size_t n)
{
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > 65535)
            return true;
    }
    return false;
}

static enum htype hostname_type(const char *s, size_t n)
{
    size_t colons = 0;
    bool dotdigits = false, other = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ':')
            colons++;
        else if (isdigit((unsigned char)s[i]) || s[i] == '.')
            dotdigits = true;
        else
            other = true;
    }
    if (colons > 1)
        return H_IPV6;
    return dotdigits && !other ? H_IPV4 : H_NAME;
}

static enum herr normalize_ipv4(const char *s, size_t n, hres *r)
{
    size_t i = 0;
    const char *colon = memchr(s, ':', n);
    size_t end = colon ? (size_t)(colon - s) : n;
    for (int part = 0; part < 4; part++) {
        size_t start = i;
        unsigned v = 0;
        while (i < end && isdigit((unsigned char)s[i]) && i - start < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        if (i == start || v > 255)
            return E_IPV4;
        if (part < 3) {
            if (i >= end || s[i] != '.')
                return E_IPV4;
            i++;
        }
    }
    if (i != end)
        return E_IPV4;
    if (colon) {
        size_t pn = n - end - 1;
        if (pn == 0 || !all_digits(colon + 1, pn))
            return E_IPV4;
        if (port_too_big(colon + 1, pn))
            return E_PORT;
        r->has_port = true;
    }
    return E_NONE;
}

/* Eight groups of 1-4 hex digits joined by ':'. */
static bool eight_groups(const char *s, size_t n)
{
    size_t i = 0;
    for (int g = 0; g < 8; g++) {
        size_t start = i;
        while (i < n && isxdigit((unsigned char)s[i]) && i - start < 4)
            i++;
        if (i == start)
            return false;
        if (g < 7) {
            if (i >= n || s[i] != ':')
                return false;
            i++;
        }
    }
    return i == n;
}

static enum herr normalize_ipv6(const char *s, size_t n, hres *r)
{
    const char *check = s;
    size_t cn = n;
    char buf[96], *dc;
    size_t bn = 0, colons = 0;

    if (n > 0 && s[0] == '[') { /* Lua's %b[] */
        size_t depth = 0, j;
        for (j = 0; j < n; j++) {
            if (s[j] == '[')
                depth++;
            else if (s[j] == ']' && --depth == 0)
                break;
        }
        if (j < n) {
            const char *rest = s + j + 1;
            size_t rn = n - j - 1;
            check = s + 1;
            cn = j - 1;
            if (rn > 0) {
                if (rest[0] != ':' || rn == 1 || !all_digits(rest + 1, rn - 1))
                    return E_IPV6_BARE;
                if (port_too_big(rest + 1, rn - 1))
                    return E_PORT;
                r->has_port = true;
            }
        }
    }
    /* "0" before a leading ':', "0" after a trailing one, "::" expanded.  A
     * valid result has at most 39 characters, so longer input is refused
     * before any copying. */
    if (cn > 64)
        return E_IPV6;
    if (cn > 0 && check[0] == ':')
        buf[bn++] = '0';
    memcpy(buf + bn, check, cn);
    bn += cn;
    if (cn > 0 && check[cn - 1] == ':')
        buf[bn++] = '0';
    for (size_t i = 0; i < bn; i++)
        colons += buf[i] == ':';
    dc = memmem(buf, bn, "::", 2);
    if (dc) {
        size_t zeros = colons < 8 ? 8 - colons : 0;
        size_t ins = 1 + 2 * zeros, at = (size_t)(dc - buf);
        char nb[96];
        memcpy(nb, buf, at);
        nb[at] = ':';
        for (size_t z = 0; z < zeros; z++)
            memcpy(nb + at + 1 + 2 * z, "0:", 2);
        memcpy(nb + at + ins, dc + 2, bn - at - 2);
        bn = bn - 2 + ins;
        memcpy(buf, nb, bn);
    }
    return eight_groups(buf, bn) ? E_NONE : E_IPV6;
}

static enum herr check_hostname(const char *s, size_t n, hres *r)
{
    const char *colon = memchr(s, ':', n);
    size_t nn = n;
    if (colon && colon + 1 < s + n && all_digits(colon + 1, (size_t)(s + n - colon - 1))) {
        nn = (size_t)(colon - s);
        if (port_too_big(colon + 1, n - nn - 1))
            return E_PORT;
        r->has_port = true;
    }
    if (nn == 0)
        return E_HOSTNAME;
    for (size_t i = 0; i < nn; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(c < 128 && isalnum(c)) && c != '-' && c != '.' && c != '_')
            return E_HOSTNAME;
    }
    /* no segment may end in '-', no empty segment but the last */
    for (size_t i = 0, start = 0; i <= nn; i++) {
        if (i < nn && s[i] != '.')
            continue;
        if ((i > start && s[i - 1] == '-') || (i == start && i != nn))
            return E_HOSTNAME;
        start = i + 1;
    }
    return E_NONE;
}

static enum herr normalize_ip(const char *s, size_t n, hres *r)
{
    r->has_port = false;
    r->type = hostname_type(s, n);
    switch (r->type) {
    case H_IPV4:
        return normalize_ipv4(s, n, r);
    case H_IPV6:
        return normalize_ipv6(s, n, r);
    default:
        return check_hostname(s, n, r);
    }
}

static int herr_msg(enum herr e, const char *s, size_t n, char **msg)
{
    switch (e) {
    case E_IPV4:
        return daoc__bmsg(msg, "invalid ipv4 address: ", s, n, "");
    case E_IPV6:
        return daoc__bmsg(msg, "invalid ipv6 address: ", s, n, "");
    case E_IPV6_BARE:
        return daoc__bmsg(msg, "invalid ipv6 address", "", 0, "");
    case E_PORT:
        return daoc__bmsg(msg, "invalid port number", "", 0, "");
    case E_HOSTNAME:
        return daoc__bmsg(msg, "invalid hostname: ", s, n, "");
    default:
        return 1;
    }
}

int daoc__b_host(const char *s, size_t n, char **msg)
{
    hres r;
    enum herr e = normalize_ip(s, n, &r);
    if (e != E_NONE && e != E_PORT)
        return daoc__bmsg(msg, "invalid value: ", s, n, "");
    if (e == E_PORT || r.has_port)
        return daoc__bmsg(msg, "must not have a port", "", 0, "");
    return 1;
}

int daoc__b_host_with_optional_port(const char *s, size_t n, char **msg)
{
    hres r;
    return herr_msg(normalize_ip(s, n, &r), s, n, msg);
}

/* validate_sni and the tail of validate_wildcard_host. */
static int sni_like(const char *s, size_t n, char **msg)
{
    hres r;
    enum herr e = normalize_ip(s, n, &r);
    if (e != E_NONE && e != E_PORT)
        return daoc__bmsg(msg, "invalid value: ", s, n, "");
    if (e == E_NONE && r.type != H_NAME)
        return daoc__bmsg(msg, "must not be an IP", "", 0, "");
    if (e == E_PORT || r.has_port)
        return daoc__bmsg(msg, "must not have a port", "", 0, "");
    return 1;
}

int daoc__b_sni(const char *s, size_t n, char **msg) { return sni_like(s, n, msg); }

int daoc__b_wildcard_host(const char *s, size_t n, char **msg)
{
    const char *star = memchr(s, '*', n);
    size_t idx, count = 0;
    char *mock;
    int rc;

    if (!star)
        return sni_like(s, n, msg);
    idx = (size_t)(star - s);
    if (idx != 0 && idx != n - 1)
        return daoc__bmsg(msg, "wildcard must be leftmost or rightmost character", "", 0, "");
    for (size_t i = 0; i < n; i++)
        count += s[i] == '*';
    if (count > 1)
        return daoc__bmsg(msg, "only one wildcard must be specified", "", 0, "");
    /* the host is checked with "wildcard" in place of the star */
    mock = daoc__malloc(n + 8);
    if (!mock)
        return DAOC_ENOMEM;
    memcpy(mock, s, idx);
    memcpy(mock + idx, "wildcard", 8);
    memcpy(mock + idx + 8, s + idx + 1, n - idx - 1);
    rc = sni_like(mock, n + 7, msg);
    daoc__free(mock);
    return rc;
}

/* ---- LuaSocket url.parse, as far as host and scheme go --------------------- */

int daoc__b_url(const char *s, size_t n, char **msg)
{
    size_t i = 0, a0, a1;
    bool scheme = false, host = false;

    if (n == 0)
        return daoc__bmsg(msg, "could not parse url. invalid url", "", 0, "");
    if (isalnum((unsigned char)s[0]) && (unsigned char)s[0] < 128) {
        size_t j = 1;
        while (j < n && (((unsigned char)s[j] < 128 && isalnum((unsigned char)s[j])) ||
                         s[j] == '+' || s[j] == '-' || s[j] == '.'))
            j++;
        if (j < n && s[j] == ':') {
            scheme = true;
            i = j + 1;
        }
    }
    if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        const char *at, *colon = NULL;
        a0 = i + 2;
        a1 = a0;
        while (a1 < n && s[a1] != '/' && s[a1] != '?' && s[a1] != '#')
            a1++;
        at = memchr(s + a0, '@', a1 - a0);
        if (at)
            a0 = (size_t)(at - s) + 1;
        /* ":port" at the end: the last ':' with no ']' after it */
        for (size_t k = a1; k > a0; k--)
            if (s[k - 1] == ':') {
                colon = s + k - 1;
                break;
            }
        if (colon && !memchr(colon, ']', (size_t)(s + a1 - colon)))
            a1 = (size_t)(colon - s);
        host = a1 > a0;
    }
    if (!host)
        return daoc__bmsg(msg, "missing host in url", "", 0, "");
    if (!scheme)
        return daoc__bmsg(msg, "missing scheme in url", "", 0, "");
    return 1;
}
