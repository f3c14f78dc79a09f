/*
 * validate_util.c -- small helpers of the validation engine: building error
 * trees lazily, Kong's dotted-name accessors (get_field, set_field,
 * get_schema_field), quoting of field lists, one-argument Lua formatting,
 * vault-reference detection, the UTF-8 check and a PCRE syntax check for
 * the `is_regex` validator.
 *
 * It knows nothing about validator order or messages of individual fields
 * (validate_field.c) and never walks a whole entity.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "schema/validate_internal.h"

daoc_value *daoc__vmsg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    if ((size_t)n < sizeof tmp)
        return daoc_strn(tmp, (size_t)n);
    char *big = daoc__malloc((size_t)n + 1);
    if (!big)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    daoc_value *v = daoc_strn(big, (size_t)n);
    daoc__free(big);
    return v;
}

static int ensure_obj(daoc_value **o)
{
    if (!*o) {
        *o = daoc_obj();
        if (!*o)
            return DAOC_ENOMEM;
    }
    return DAOC_OK;
}

int daoc__verr_set(daoc_value **errors, const char *key, size_t klen, daoc_value *err)
{
    if (!err)
        return DAOC_ENOMEM;
    if (ensure_obj(errors) != DAOC_OK) {
        daoc_value_free(err);
        return DAOC_ENOMEM;
    }
    return daoc__obj_setn(*errors, key, klen, err);
}

int daoc__verr_set_path(daoc_value **errors, const char *name, daoc_value *err)
{
    if (!err)
        return DAOC_ENOMEM;
    if (ensure_obj(errors) != DAOC_OK) {
        daoc_value_free(err);
        return DAOC_ENOMEM;
    }
    daoc_value *t = *errors;
    const char *dot;
    while ((dot = strchr(name, '.')) != NULL) {
        size_t hl = (size_t)(dot - name);
        daoc_value *sub = daoc__obj_getn(t, name, hl);
        if (!sub) {
            sub = daoc_obj();
            if (!sub || daoc__obj_setn(t, name, hl, sub) != DAOC_OK) {
                daoc_value_free(err);
                return DAOC_ENOMEM;
            }
        } else if (sub->type != DAOC_TOBJ) {
            /* Kong would index a string here; keep the first error. */
            daoc_value_free(err);
            return DAOC_OK;
        }
        t = sub;
        name = dot + 1;
    }
    return daoc__obj_setn(t, name, strlen(name), err);
}

int daoc__verr_entity(daoc_value **errors, char *msg)
{
    if (!msg)
        return DAOC_ENOMEM;
    daoc_value *s = daoc_str(msg);
    daoc__free(msg);
    if (!s || ensure_obj(errors) != DAOC_OK) {
        daoc_value_free(s);
        return DAOC_ENOMEM;
    }
    daoc_value *list = daoc__obj_getn(*errors, "@entity", 7);
    if (!list) {
        list = daoc_arr();
        if (!list || daoc__obj_setn(*errors, "@entity", 7, list) != DAOC_OK) {
            daoc_value_free(s);
            return DAOC_ENOMEM;
        }
    }
    return daoc_arr_push(list, s);
}

const daoc_value *daoc__vget_path(const daoc_value *o, const char *name)
{
    for (;;) {
        if (!o || o->type != DAOC_TOBJ)
            return NULL;
        const char *dot = strchr(name, '.');
        if (!dot)
            return daoc__obj_getn(o, name, strlen(name));
        o = daoc__obj_getn(o, name, (size_t)(dot - name));
        name = dot + 1;
    }
}

const daoc__field *daoc__vfield_path(const daoc__schema *s, const char *name)
{
    for (;;) {
        if (!s)
            return NULL;
        const char *dot = strchr(name, '.');
        if (!dot)
            return daoc__schema_field(s, name, strlen(name));
        const daoc__field *f = daoc__schema_field(s, name, (size_t)(dot - name));
        if (!f || f->type != DAOC__F_RECORD)
            return NULL;
        s = f->record;
        name = dot + 1;
    }
}

bool daoc__is_reference(const char *s, size_t len)
{
    return len > 10 && memcmp(s, "{vault://", 9) == 0 && s[len - 1] == '}';
}

void daoc__quoted_list(daoc__buf *b, char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            daoc__buf_puts(b, ", ");
        daoc__buf_putc(b, '\'');
        daoc__buf_puts(b, names[i]);
        daoc__buf_putc(b, '\'');
    }
}

char *daoc__lua_format1(const char *fmt, const char *arg)
{
    daoc__buf b = DAOC__BUF_INIT;
    bool used = false;
    for (const char *p = fmt; *p; p++) {
        if (p[0] == '%' && p[1] == '%') {
            daoc__buf_putc(&b, '%');
            p++;
        } else if (p[0] == '%' && p[1] == 's' && !used) {
            daoc__buf_puts(&b, arg);
            used = true;
            p++;
        } else {
            daoc__buf_putc(&b, *p);
        }
    }
    return daoc__buf_take(&b, NULL);
}

bool daoc__utf8_valid(const char *str, size_t len, size_t *pos)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        /* ASCII runs eight bytes at a time */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F; /* > U+10FFFF */
        } else {
            goto bad;
        }
        if (i + n > len)
            goto bad;
        if (s[i + 1] < lo || s[i + 1] > hi)
            goto bad;
        for (size_t k = 2; k < n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                goto bad;
        i += n;
    }
    return true;
bad:
    if (pos)
        *pos = i + 1;
    return false;
}

/* ---- PCRE syntax check --------------------------------------------------
 * Enough of PCRE's grammar to reject what pcre_compile rejects in practice:
 * unbalanced parentheses, unterminated classes, a quantifier with nothing to
 * repeat, bad counted repetitions, unknown group constructs and a trailing
 * backslash. */

static bool parse_count(const char *s, size_t len, size_t *i, bool *is_quant)
{
    /* at '{': {n}, {n,}, {n,m}; anything else is a literal brace in PCRE */
    size_t j = *i + 1;
    unsigned long lo = 0, hi = 0;
    size_t nd = 0;
    while (j < len && s[j] >= '0' && s[j] <= '9') {
        lo = lo * 10 + (unsigned long)(s[j] - '0');
        if (lo > 65535)
            return false;
        j++, nd++;
    }
    *is_quant = false;
    if (nd == 0)
        return true;
    if (j < len && s[j] == '}') {
        *is_quant = true;
        *i = j;
        return true;
    }
    if (j >= len || s[j] != ',')
        return true;
    j++;
    size_t nh = 0;
    while (j < len && s[j] >= '0' && s[j] <= '9') {
        hi = hi * 10 + (unsigned long)(s[j] - '0');
        if (hi > 65535)
            return false;
        j++, nh++;
    }
    if (j >= len || s[j] != '}')
        return true;
    if (nh && hi < lo)
        return false; /* numbers out of order in {} quantifier */
    *is_quant = true;
    *i = j;
    return true;
}

bool daoc__regex_valid(const char *s, size_t len)
{
    int depth = 0;
    bool can_repeat = false;  /* an atom precedes */
    bool after_quant = false; /* a quantifier was just read */
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        switch (c) {
        case '\\':
            if (i + 1 >= len)
                return false;
            i++;
            if (s[i] == 'Q') { /* \Q...\E literal */
                const char *e = NULL;
                for (size_t k = i + 1; k + 1 < len; k++)
                    if (s[k] == '\\' && s[k + 1] == 'E') {
                        e = s + k;
                        break;
                    }
                i = e ? (size_t)(e - s) + 1 : len;
            }
            can_repeat = true;
            after_quant = false;
            break;
        case '[': {
            size_t k = i + 1;
            if (k < len && s[k] == '^')
                k++;
            if (k < len && s[k] == ']')
                k++; /* leading ] is literal */
            bool closed = false;
            for (; k < len; k++) {
                if (s[k] == '\\') {
                    k++;
                    continue;
                }
                if (s[k] == '[' && k + 1 < len && s[k + 1] == ':') {
                    size_t e = k + 2;
                    while (e + 1 < len && !(s[e] == ':' && s[e + 1] == ']'))
                        e++;
                    if (e + 1 < len) {
                        k = e + 1;
                        continue;
                    }
                }
                if (s[k] == ']') {
                    closed = true;
                    break;
                }
            }
            if (!closed)
                return false;
            i = k;
            can_repeat = true;
            after_quant = false;
            break;
        }
        case '(':
            if (i + 1 < len && s[i + 1] == '?') {
                if (i + 2 >= len)
                    return false;
                char g = s[i + 2];
                if (g == '#') { /* comment */
                    const char *e = memchr(s + i, ')', len - i);
                    if (!e)
                        return false;
                    i = (size_t)(e - s);
                    can_repeat = false;
                    after_quant = false;
                    break;
                }
                if (!strchr(":=!<>|P'&-+0123456789()iJmsUxR^", g))
                    return false;
            } else if (i + 1 < len && s[i + 1] == '*') {
                /* (*VERB) */
                const char *e = memchr(s + i, ')', len - i);
                if (!e)
                    return false;
                i = (size_t)(e - s);
                can_repeat = false;
                after_quant = false;
                break;
            }
            depth++;
            can_repeat = false;
            after_quant = false;
            break;
        case ')':
            if (depth == 0)
                return false;
            depth--;
            can_repeat = true;
            after_quant = false;
            break;
        case '|':
            can_repeat = false;
            after_quant = false;
            break;
        case '*':
        case '+':
        case '?':
            if (after_quant && (c == '?' || c == '+')) {
                after_quant = false; /* lazy / possessive modifier */
                can_repeat = false;
                break;
            }
            if (!can_repeat)
                return false;
            can_repeat = false;
            after_quant = true;
            break;
        case '{': {
            bool q;
            if (!parse_count(s, len, &i, &q))
                return false;
            if (q) {
                if (!can_repeat)
                    return false;
                can_repeat = false;
                after_quant = true;
            } else {
                can_repeat = true;
                after_quant = false;
            }
            break;
        }
        case '^':
        case '$':
            can_repeat = true; /* PCRE1 accepts a quantified assertion */
            after_quant = false;
            break;
        default:
            can_repeat = true;
            after_quant = false;
            break;
        }
    }
    return depth == 0;
}
