/*
 * json_schema_match.c -- the string checks of an inline JSON schema that
 * need more than a comparison: `pattern` and `patternProperties` through
 * PCRE2, `format`, and Lua's %q for the messages that quote a value.
 *
 * Patterns: Kong's ljsonschema matches with ngx.re.find(subject, pattern,
 * "jo"), PCRE without the UTF flag, unanchored.  So here: each pattern is
 * compiled once, when the definition loads, with no options (byte-wise:
 * '.' is one byte, \d \w \s are ASCII), and matched with pcre2_match from
 * offset 0 under match and depth limits; a match error (a limit reached)
 * is no match, as ngx.re.find's `nil, err` was for ljsonschema.  The
 * compiled patterns live in a table sorted by the address of the schema
 * node they came from; a match allocates its own match data, so a schema
 * may be used from several threads.
 *
 * Formats: ljsonschema checks "date", "time" and "date-time" with Lua
 * patterns (RFC 3339 shapes) and ignores every other name (email,
 * hostname, ipv4, ipv6, uri, ...), as the draft allows; so does daoc,
 * leniencies included: day 00 and month 00 pass, seconds are any run of
 * digits and dots Lua's tonumber reads (up to 60), a 'Z' offset only needs
 * the time to end in 'Z' or 'z', a date-time splits at its last 'T'/'t'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/alloc.h"
#include "schema/json_schema_internal.h"

#define MATCH_LIMIT 10000000u
#define DEPTH_LIMIT 100000u

int daoc__js_re_add(struct daoc__json_schema *js, const void *key, const char *pat, size_t len,
                    char **msg)
{
    int errcode;
    PCRE2_SIZE erroff;
    *msg = NULL;
    if (!js->mc) {
        if (!(js->mc = pcre2_match_context_create(NULL)))
            return DAOC_ENOMEM;
        pcre2_set_match_limit(js->mc, MATCH_LIMIT);
        pcre2_set_depth_limit(js->mc, DEPTH_LIMIT);
    }
    if (js->nre == js->cap) {
        size_t cap = js->cap ? js->cap * 2 : 8;
        daoc__jsre *re = daoc__realloc(js->re, cap * sizeof *re);
        if (!re)
            return DAOC_ENOMEM;
        js->re = re;
        js->cap = cap;
    }
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, len, 0, &errcode, &erroff, NULL);
    if (!code) {
        PCRE2_UCHAR text[256];
        if (errcode == PCRE2_ERROR_NOMEMORY)
            return DAOC_ENOMEM;
        pcre2_get_error_message(errcode, text, sizeof text);
        *msg = daoc__asprintf("%s at offset %zu", (const char *)text, (size_t)erroff);
        return *msg ? 1 : DAOC_ENOMEM;
    }
    js->re[js->nre].key = key;
    js->re[js->nre++].code = code;
    return DAOC_OK;
}

static int by_key(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const daoc__jsre *)a)->key,
              y = (uintptr_t)((const daoc__jsre *)b)->key;
    return x < y ? -1 : x > y;
}

void daoc__js_re_sort(struct daoc__json_schema *js)
{
    if (js->nre > 1)
        qsort(js->re, js->nre, sizeof *js->re, by_key);
}

void daoc__js_re_free(struct daoc__json_schema *js)
{
    for (size_t i = 0; i < js->nre; i++)
        pcre2_code_free(js->re[i].code);
    daoc__free(js->re);
    pcre2_match_context_free(js->mc);
    js->re = NULL;
    js->mc = NULL;
    js->nre = js->cap = 0;
}

int daoc__js_re_find(const struct daoc__json_schema *js, const void *key, const char *s, size_t len)
{
    daoc__jsre probe = {.key = key};
    const daoc__jsre *r = js->nre ? bsearch(&probe, js->re, js->nre, sizeof *js->re, by_key) : NULL;
    if (!r)
        return 0; /* not compiled: cannot happen for a schema compile accepted */
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md)
        return DAOC_ENOMEM;
    int rc = pcre2_match(r->code, (PCRE2_SPTR)s, len, 0, 0, md, js->mc);
    pcre2_match_data_free(md);
    if (rc == PCRE2_ERROR_NOMEMORY)
        return DAOC_ENOMEM;
    return rc >= 0;
}

void daoc__js_quote(daoc__buf *b, const char *s, size_t len)
{
    daoc__buf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '\n') {
            daoc__buf_putc(b, '\\');
            daoc__buf_putc(b, (char)c);
        } else if (c < 32 || c == 127) {
            bool digit_next = i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9';
            if (c >= 100 || digit_next)
                daoc__buf_printf(b, "\\%03u", c);
            else
                daoc__buf_printf(b, "\\%u", c);
        } else {
            daoc__buf_putc(b, (char)c);
        }
    }
    daoc__buf_putc(b, '"');
}

/* ---- format ------------------------------------------------------------- */

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* 0 valid, 1 invalid, 2 a 29th of February past a non-leap year's end
 * ("expected valid leap year date"). */
static int check_date(const char *s, size_t n)
{
    if (n != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2))
        return 1;
    int year = num2(s) * 100 + num2(s + 2), month = num2(s + 5), day = num2(s + 8);
    if (day > 31 || month > 12)
        return 1;
    if (month == 2) {
        if (year % 400 == 0 || (year % 100 != 0 && year % 4 == 0))
            return day > 29 ? 2 : 0;
        return day <= 28 ? 0 : 1;
    }
    if (month == 4 || month == 6 || month == 9 || month == 11)
        return day <= 30 ? 0 : 1;
    return 0;
}

static bool check_time(const char *s, size_t n)
{
    if (n < 6 || !digits(s, 2) || s[2] != ':' || s[3] < '0' || s[3] > '5' || !digits(s + 4, 1) ||
        s[5] != ':')
        return false;
    size_t i = 6, j = 6;
    while (j < n && ((s[j] >= '0' && s[j] <= '9') || s[j] == '.'))
        j++;
    if (j == i || j >= n || !strchr("Zz+-", s[j]) || s[j] == '\0')
        return false;
    char sec[64], *end;
    if (j - i >= sizeof sec)
        return false;
    memcpy(sec, s + i, j - i);
    sec[j - i] = '\0';
    double seconds = strtod(sec, &end);
    if (*end != '\0' || end == sec)
        return false;
    int hour = num2(s);
    if (hour > 23 || seconds > 60)
        return false;
    const char *rest = s + j + 1;
    size_t rlen = n - j - 1;
    if (s[j] == '+' || s[j] == '-')
        return rlen == 5 && digits(rest, 2) && rest[2] == ':' && rest[3] >= '0' && rest[3] <= '5' &&
               digits(rest + 4, 1) && num2(rest) <= 23;
    return s[n - 1] == 'Z' || s[n - 1] == 'z';
}

int daoc__js_format(const char *format, const char *s, size_t len, char **msg)
{
    bool date = !strcmp(format, "date"), time = !strcmp(format, "time");
    bool both = !strcmp(format, "date-time");
    int bad = 0;
    *msg = NULL;
    if (date)
        bad = check_date(s, len);
    else if (time)
        bad = !check_time(s, len);
    else if (both) {
        size_t t = len;
        for (size_t i = len >= 2 ? len - 2 : 0; i >= 1 && t == len; i--)
            if (s[i] == 'T' || s[i] == 't')
                t = i;
        if (t == len)
            bad = 1;
        else if (!(bad = check_date(s, t)))
            bad = !check_time(s + t + 1, len - t - 1);
    } else {
        return DAOC_OK;
    }
    if (!bad)
        return DAOC_OK;
    daoc__buf b = DAOC__BUF_INIT;
    if (bad == 2)
        daoc__buf_puts(&b, "expected valid leap year date, got ");
    else
        daoc__buf_printf(&b, "expected valid \"%s\", got ", format);
    daoc__js_quote(&b, s, len);
    *msg = daoc__buf_take(&b, NULL);
    return *msg ? DAOC_OK : DAOC_ENOMEM;
}
