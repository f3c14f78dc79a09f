/*
 * json_schema_ref.c -- local `$ref` in an inline JSON schema, resolved the
 * way lua-resty-ljsonschema's store does for a schema without an external
 * resolver (Kong passes none).
 *
 * A reference is local when the part before '#' is empty or is the root's
 * own `id` (with or without its trailing '#'); anything else names another
 * document, which ljsonschema could only fetch through a resolver, and is
 * refused when the definition loads.  The fragment is walked as
 * ljsonschema walks it: split on '/', empty parts skipped (so "#" is the
 * root and "#definitions/a" works as "#/definitions/a"), each part
 * percent-decoded and then unescaped (~1 is '/', ~0 is '~'); a part that
 * reads as a number indexes an array (0-based in the pointer) and is not
 * looked up as an object key, because ljsonschema turns it into a Lua
 * index first.  The target must be a table.  A $ref's sibling keywords are
 * ignored (draft 4; ljsonschema builds the target's validator alone).
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "schema/compile_internal.h"
#include "schema/json_schema_internal.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One fragment part, decoded into out (NUL-terminated; out holds n+1):
 * percent escapes first, then ~0 and ~1, in place. */
static size_t decode_part(const char *p, size_t n, char *out)
{
    size_t k = 0, o = 0;
    for (size_t i = 0; i < n; i++) {
        int h = i + 2 < n ? hexval(p[i + 1]) : -1, l = i + 2 < n ? hexval(p[i + 2]) : -1;
        if (p[i] == '%' && h >= 0 && l >= 0) {
            out[k++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[k++] = p[i];
        }
    }
    for (size_t i = 0; i < k; i++) {
        if (out[i] == '~' && i + 1 < k && (out[i + 1] == '0' || out[i + 1] == '1')) {
            out[o++] = out[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            out[o++] = out[i];
        }
    }
    out[o] = '\0';
    return o;
}

/* tonumber(part) succeeds, *d its value. */
static bool numeric(const char *s, double *d)
{
    char *end;
    if (!*s || !strchr("0123456789.+-", *s))
        return false;
    *d = strtod(s, &end);
    return *end == '\0';
}

static const daoc_value *walk(const daoc_value *node, const char *frag, size_t n, const char **why)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && frag[j] != '/')
            j++;
        if (j > i) {
            char small[256], *part = j - i < sizeof small ? small : daoc__malloc(j - i + 1);
            if (!part) {
                *why = "out of memory";
                return NULL;
            }
            size_t plen = decode_part(frag + i, j - i, part);
            double d;
            const daoc_value *next = NULL;
            if (numeric(part, &d)) {
                if (node->type == DAOC_TARR && d >= 0 && d < (double)node->len &&
                    (double)(size_t)d == d)
                    next = node->u.a[(size_t)d];
            } else if (node->type == DAOC_TOBJ) {
                next = daoc__obj_getn(node, part, plen);
            }
            if (part != small)
                daoc__free(part);
            if (!next) {
                *why = "not found";
                return NULL;
            }
            node = next;
        }
        i = j + 1;
    }
    return node;
}

const daoc_value *daoc__js_ref_target(const daoc_value *root, const daoc_value *ref,
                                      const char **why)
{
    if (!ref || ref->type != DAOC_TSTR) {
        *why = "not a string";
        return NULL;
    }
    const char *s = ref->u.s, *hash = memchr(s, '#', ref->len);
    size_t plen = hash ? (size_t)(hash - s) : ref->len;
    if (plen) {
        const daoc_value *id = daoc_obj_get(root, "id");
        size_t idlen = id && id->type == DAOC_TSTR ? id->len : 0;
        if (idlen && id->u.s[idlen - 1] == '#')
            idlen--;
        if (!idlen || idlen != plen || memcmp(id->u.s, s, plen) != 0) {
            *why = "remote";
            return NULL;
        }
    }
    const daoc_value *t = root;
    if (hash && !(t = walk(root, hash + 1, ref->len - plen - 1, why)))
        return NULL;
    if (!daoc__c_is_map(t)) {
        *why = "not a schema";
        return NULL;
    }
    return t;
}

const daoc_value *daoc__js_deref(const daoc_value *root, const daoc_value *s)
{
    const char *why;
    for (int hops = 0; s && s->type == DAOC_TOBJ; hops++) {
        const daoc_value *ref = daoc_obj_get(s, "$ref");
        if (!ref)
            return s;
        if (hops >= DAOC__JS_REF_HOPS)
            return NULL;
        s = daoc__js_ref_target(root, ref, &why);
    }
    return s;
}

void daoc__js_ptr_push(daoc__buf *b, const char *key, size_t len)
{
    daoc__buf_putc(b, '/');
    for (size_t i = 0; i < len; i++) {
        if (key[i] == '~')
            daoc__buf_puts(b, "~0");
        else if (key[i] == '/')
            daoc__buf_puts(b, "~1");
        else
            daoc__buf_putc(b, key[i]);
    }
}
