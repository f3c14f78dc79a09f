/*
 * multipart.c -- decoding multipart/form-data bodies (RFC 7578) into the
 * argument list: the boundary from the Content-Type parameter, then each
 * part between "--boundary" delimiter lines, its headers up to the first
 * blank line (Content-Disposition for the name, Content-Type for the json
 * flag), its content up to the CRLF before the next delimiter.  A bare LF
 * is accepted where CRLF is expected, as lenient parsers do.  Every scan is
 * bounded by the body's length.
 */
#include "admin/multipart.h"

#include <string.h>
#include <strings.h>

#include "core/alloc.h"

#define MAX_BOUNDARY 200

static bool ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Offset of needle[0..nn) in h[0..hn) at or after `from`, or hn. */
static size_t find(const char *h, size_t hn, size_t from, const char *needle, size_t nn)
{
    if (nn == 0 || hn < nn)
        return hn;
    for (size_t i = from; i + nn <= hn; i++) {
        const char *p = memchr(h + i, needle[0], hn - nn + 1 - i);
        if (!p)
            return hn;
        i = (size_t)(p - h);
        if (memcmp(p, needle, nn) == 0)
            return i;
    }
    return hn;
}

/* Parameter `name` of a header value s[0..n) ("a; name=x; b="y""): its
 * value into *val and *vn (quotes removed, \-escapes kept as they are inside
 * the quotes' span).  false when absent. */
static bool header_param(const char *s, size_t n, const char *name, const char **val, size_t *vn)
{
    size_t nl = strlen(name), i = 0;
    /* skip the first token (the media type or "form-data") */
    while (i < n && s[i] != ';')
        i++;
    while (i < n) {
        i++; /* past ';' */
        while (i < n && ows(s[i]))
            i++;
        size_t k = i;
        while (i < n && s[i] != '=' && s[i] != ';')
            i++;
        size_t ke = i;
        while (ke > k && ows(s[ke - 1]))
            ke--;
        if (i >= n || s[i] == ';')
            continue;
        i++; /* past '=' */
        while (i < n && ows(s[i]))
            i++;
        const char *v;
        size_t len;
        if (i < n && s[i] == '"') {
            size_t j = ++i;
            while (j < n && s[j] != '"')
                j += (s[j] == '\\' && j + 1 < n) ? 2 : 1;
            v = s + i;
            len = (j < n ? j : n) - i;
            i = j < n ? j + 1 : n;
            while (i < n && s[i] != ';')
                i++;
        } else {
            size_t j = i;
            while (j < n && s[j] != ';')
                j++;
            size_t e = j;
            while (e > i && ows(s[e - 1]))
                e--;
            v = s + i;
            len = e - i;
            i = j;
        }
        if (ke - k == nl && strncasecmp(s + k, name, nl) == 0) {
            *val = v;
            *vn = len;
            return true;
        }
    }
    return false;
}

/* Is s[0..n) the media type `type` (case-insensitive, parameters after)? */
static bool media_is(const char *s, size_t n, const char *type)
{
    size_t tl = strlen(type);
    while (n > 0 && ows(*s)) {
        s++;
        n--;
    }
    if (n < tl || strncasecmp(s, type, tl) != 0)
        return false;
    return n == tl || s[tl] == ';' || ows(s[tl]);
}

/* Past the end of the line starting at i (CRLF or LF), or len when the line
 * does not end; *eol receives where its text ends. */
static size_t line_end(const char *b, size_t len, size_t i, size_t *eol)
{
    const char *nl = memchr(b + i, '\n', len - i);
    if (!nl) {
        *eol = len;
        return len;
    }
    size_t e = (size_t)(nl - b);
    *eol = (e > i && b[e - 1] == '\r') ? e - 1 : e;
    return e + 1;
}

/* Does a delimiter end at i: "--" (the close) or blanks up to a line end? */
static bool delim_ends(const char *b, size_t len, size_t i)
{
    if (i + 2 <= len && b[i] == '-' && b[i + 1] == '-')
        return true;
    while (i < len && ows(b[i]))
        i++;
    return i < len && (b[i] == '\n' || (b[i] == '\r' && i + 1 < len && b[i + 1] == '\n'));
}

/* The next delimiter at or after `from` that is one (content may hold the
 * delimiter's text followed by something else), or len. */
static size_t next_delim(const char *b, size_t len, size_t from, const char *d, size_t dn)
{
    for (;;) {
        size_t at = find(b, len, from, d, dn);
        if (at == len || delim_ends(b, len, at + dn))
            return at;
        from = at + 1;
    }
}

/* Reads one part's headers starting at *pos; sets name (NULL when none) and
 * json.  DAOC_EINVAL when the headers do not end with a blank line. */
static int read_headers(const char *b, size_t len, size_t *pos, const char **name, size_t *nn,
                        bool *json)
{
    size_t i = *pos;
    *name = NULL;
    *nn = 0;
    *json = false;
    for (;;) {
        if (i >= len)
            return DAOC_EINVAL;
        size_t eol, next = line_end(b, len, i, &eol);
        if (next == len && eol == len)
            return DAOC_EINVAL; /* a header line with no end */
        if (eol == i) {         /* the blank line */
            *pos = next;
            return DAOC_OK;
        }
        const char *colon = memchr(b + i, ':', eol - i);
        if (colon) {
            size_t hn = (size_t)(colon - (b + i));
            const char *v = colon + 1;
            size_t vn = (size_t)(b + eol - v);
            while (vn > 0 && ows(*v)) {
                v++;
                vn--;
            }
            if (hn == 19 && strncasecmp(b + i, "Content-Disposition", 19) == 0) {
                const char *pv;
                size_t pn;
                if (header_param(v, vn, "name", &pv, &pn)) {
                    *name = pv;
                    *nn = pn;
                }
            } else if (hn == 12 && strncasecmp(b + i, "Content-Type", 12) == 0) {
                *json = media_is(v, vn, "application/json");
            }
        }
        i = next;
    }
}

int daoc__args_parse_multipart(const char *body, size_t len, const char *content_type, size_t max,
                               daoc__args *out)
{
    if (!out || !content_type || (!body && len))
        return DAOC_EINVAL;
    const char *bv;
    size_t bn;
    if (!header_param(content_type, strlen(content_type), "boundary", &bv, &bn) || bn == 0 ||
        bn > MAX_BOUNDARY || memchr(bv, '\r', bn) || memchr(bv, '\n', bn))
        return DAOC_EINVAL;       /* (a line break in it would also make scans quadratic) */
    char delim[MAX_BOUNDARY + 3]; /* "\n--" + boundary, without the NUL */
    delim[0] = '\n';
    delim[1] = '-';
    delim[2] = '-';
    memcpy(delim + 3, bv, bn);
    size_t dn = bn + 3;

    /* the first delimiter: at the very start, or after a preamble line */
    size_t i;
    if (len >= dn - 1 && memcmp(body, delim + 1, dn - 1) == 0) {
        i = dn - 1;
    } else {
        size_t at = find(body, len, 0, delim, dn);
        if (at == len)
            return DAOC_EINVAL;
        i = at + dn;
    }
    for (;;) {
        /* after a delimiter: "--" closes, else the rest of the line is padding */
        if (i + 2 <= len && body[i] == '-' && body[i + 1] == '-')
            return DAOC_OK;
        size_t eol, next = line_end(body, len, i, &eol);
        if (next == len && eol == len)
            return DAOC_EINVAL; /* the delimiter line has no end */
        for (size_t k = i; k < eol; k++)
            if (!ows(body[k]))
                return DAOC_EINVAL;
        i = next;
        const char *name;
        size_t nn;
        bool json;
        int rc = read_headers(body, len, &i, &name, &nn, &json);
        if (rc != DAOC_OK)
            return rc;
        size_t at = next_delim(body, len, i > 0 ? i - 1 : 0, delim, dn);
        if (at == len)
            return DAOC_EINVAL; /* truncated: no delimiter after the content */
        /* the content ends before the line break of the delimiter */
        size_t cend = at;
        if (cend < i) /* the blank line's LF doubles as the delimiter's: empty content */
            cend = i;
        else if (cend > i && body[cend - 1] == '\r')
            cend--;
        if (name) {
            if (out->n >= max)
                return DAOC__ARGS_ETOOMANY;
            rc = daoc__args_push(out, name, nn, body + i, cend - i, true, json);
            if (rc != DAOC_OK)
                return rc;
        }
        i = at + dn;
    }
}
