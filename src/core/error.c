/*
 * error.c -- Kong's error object: constructors, accessors and the message
 * assembly rules of kong/db/errors.lua.  It also holds the status-code table
 * (daoc_strerror).
 *
 * It does not decide *which* error a situation deserves; the DAO does.
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/value.h"

const char *daoc_strerror(int status)
{
    switch (status) {
#define GEN(name, value, msg)                                                                      \
    case DAOC_##name:                                                                              \
        return msg;
        DAOC_STATUS_MAP(GEN)
#undef GEN
    default:
        return "unknown status";
    }
}

const char *daoc_status_name(int status)
{
    switch (status) {
#define GEN(name, value, msg)                                                                      \
    case DAOC_##name:                                                                              \
        return #name;
        DAOC_STATUS_MAP(GEN)
#undef GEN
    default:
        return "EUNKNOWN";
    }
}

const char *daoc__err_code_name(int code)
{
    switch (code) {
#define GEN(name, c, text)                                                                         \
    case c:                                                                                        \
        return text;
        DAOC_ERR_MAP(GEN)
#undef GEN
    default:
        return "unknown error";
    }
}

static int build_string(daoc_error *e)
{
    daoc__free(e->string);
    const char *body = e->message ? e->message : e->name;
    if (e->code == 0) /* not a DB error: no strategy prefix */
        e->string = daoc__strdup(body ? body : "");
    else
        e->string = daoc__asprintf("[%s] %s", e->strategy, body ? body : "");
    return e->string ? DAOC_OK : DAOC_ENOMEM;
}

daoc_error *daoc__err_new(int code, const char *strategy, char *message, daoc_value *payload,
                          bool options_payload)
{
    daoc_error *e = daoc__calloc(1, sizeof *e);
    if (!e)
        goto fail;
    e->code = code;
    e->strategy = strategy ? strategy : "sqlite";
    e->name = daoc__strdup(daoc__err_code_name(code));
    if (!e->name)
        goto fail;
    e->message = message;
    message = NULL;
    if (options_payload)
        e->options = payload;
    else
        e->fields = payload;
    payload = NULL;
    if (build_string(e) != DAOC_OK)
        goto fail;
    return e;
fail:
    daoc__free(message);
    daoc_value_free(payload);
    daoc_error_free(e);
    return NULL;
}

daoc_error *daoc__err_plain(const char *name, char *message)
{
    daoc_error *e = daoc__err_new(0, "daoc", message, NULL, false);
    if (e && daoc__err_set_name(e, name) != DAOC_OK) {
        daoc_error_free(e);
        return NULL;
    }
    return e;
}

/* The name of a code-0 error reporting status rc. */
static const char *status_error_name(int rc)
{
    switch (rc) {
    case DAOC_EINVAL:
        return "invalid argument";
    case DAOC_ECONFIG:
        return "configuration error";
    case DAOC_ESCHEMA:
        return "schema error";
    case DAOC_ELUA:
        return "lua error";
    case DAOC_EIO:
        return "io error";
    case DAOC_ENOTFOUND:
        return "not found";
    case DAOC_ECONSTRAINT:
        return "constraint violation";
    default:
        return "store error";
    }
}

void daoc__err_reset(daoc_error **err)
{
    if (err)
        *err = NULL;
}

int daoc__err_fail(daoc_error **err, int rc, const char *fmt, ...)
{
    if (rc >= 0 || rc == DAOC_ENOMEM || !err || *err)
        return rc;
    va_list ap;
    va_start(ap, fmt);
    char *msg = daoc__vasprintf(fmt, ap);
    va_end(ap);
    if (!msg)
        return DAOC_ENOMEM;
    *err = daoc__err_plain(status_error_name(rc), msg);
    return *err ? rc : DAOC_ENOMEM;
}

int daoc__err_fill(daoc_error **err, int rc)
{
    return daoc__err_fail(err, rc, "%s", daoc_strerror(rc));
}

int daoc__err_set_name(daoc_error *e, const char *name)
{
    char *n = daoc__strdup(name);
    if (!n)
        return DAOC_ENOMEM;
    daoc__free(e->name);
    e->name = n;
    return build_string(e);
}

/* ---- message assembly ---------------------------------------------- */

static int cmp_keys(const void *a, const void *b, bool intkeys)
{
    const daoc__kv *x = *(const daoc__kv *const *)a, *y = *(const daoc__kv *const *)b;
    if (intkeys) {
        long xi = strtol(x->key, NULL, 10), yi = strtol(y->key, NULL, 10);
        return (xi > yi) - (xi < yi);
    }
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}
static int cmp_str_keys(const void *a, const void *b) { return cmp_keys(a, b, false); }
static int cmp_int_keys(const void *a, const void *b) { return cmp_keys(a, b, true); }

static const daoc__kv **sorted_entries(const daoc_value *o)
{
    const daoc__kv **s = daoc__malloc((o->len ? o->len : 1) * sizeof *s);
    if (!s)
        return NULL;
    for (size_t i = 0; i < o->len; i++)
        s[i] = &o->u.o[i];
    qsort(s, o->len, sizeof *s, (o->flags & DAOC__VF_INTKEYS) ? cmp_int_keys : cmp_str_keys);
    return s;
}

static void item_sep(daoc__buf *b, size_t *count)
{
    if ((*count)++)
        daoc__buf_puts(b, "; ");
}

/* ---- Penlight pretty.write(t) with its default two-space indent -------
 * kong/db/errors.lua renders a table nested two levels deep in a schema
 * violation with pl.pretty.write(value): one item per line, `key = value`,
 * the array part first without keys, a comma after every item but the last
 * of each table.  Keys are sorted (numerically for Kong's sparse error
 * arrays), as in the one-line rendering. */

static bool lua_keyword(const char *k, size_t n)
{
    static const char *const kw[] = {"and",   "break", "do",       "else", "elseif", "end",
                                     "false", "for",   "function", "goto", "if",     "in",
                                     "local", "nil",   "not",      "or",   "repeat", "return",
                                     "then",  "true",  "until",    "while"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strlen(kw[i]) == n && memcmp(kw[i], k, n) == 0)
            return true;
    return false;
}

static bool lua_identifier(const char *k, size_t n)
{
    if (n == 0 || !((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z') || k[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return !lua_keyword(k, n);
}

static void pl_indent(daoc__buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        daoc__buf_putc(b, ' ');
}

/* Removes the comma ending the last complete line (eat_last_comma). */
static void pl_eat_comma(daoc__buf *b)
{
    if (b->len >= 2 && b->data[b->len - 1] == '\n' && b->data[b->len - 2] == ',') {
        b->data[b->len - 2] = '\n';
        b->len--;
    }
}

static void pl_quoted(daoc__buf *b, const daoc_value *s)
{
    char *p = daoc__value_pretty(s, NULL); /* a string renders as "..." */
    if (!p) {
        b->failed = true;
        return;
    }
    daoc__buf_puts(b, p);
    daoc__free(p);
}

static void pl_write(daoc__buf *b, const daoc_value *v, size_t oldindent, size_t indent, int depth)
{
    if (depth > 32) {
        daoc__buf_puts(b, "<cycle>,\n");
        return;
    }
    if (v->type == DAOC_TSTR) {
        pl_quoted(b, v);
        daoc__buf_puts(b, ",\n");
        return;
    }
    if (v->type == DAOC_TNULL) { /* tostring(ngx.null) has a space: quoted */
        daoc__buf_puts(b, "\"userdata: NULL\",\n");
        return;
    }
    if (v->type != DAOC_TOBJ && v->type != DAOC_TARR) {
        daoc__value_tostring(b, v);
        daoc__buf_puts(b, ",\n");
        return;
    }
    daoc__buf_puts(b, "{\n");
    if (v->type == DAOC_TARR) {
        for (size_t i = 0; i < v->len; i++) {
            pl_indent(b, indent);
            pl_write(b, v->u.a[i], indent, indent + 2, depth + 1);
        }
    } else {
        const daoc__kv **s = sorted_entries(v);
        if (!s) {
            b->failed = true;
            return;
        }
        bool ints = (v->flags & DAOC__VF_INTKEYS) != 0;
        long next = 1; /* ipairs: the array part is written without keys */
        for (size_t i = 0; i < v->len; i++) {
            const daoc__kv *kv = s[i];
            pl_indent(b, indent);
            if (ints && strtol(kv->key, NULL, 10) == next) {
                next++;
            } else if (ints) {
                daoc__buf_putc(b, '[');
                daoc__buf_append(b, kv->key, kv->klen);
                daoc__buf_puts(b, "] = ");
            } else if (lua_identifier(kv->key, kv->klen)) {
                daoc__buf_append(b, kv->key, kv->klen);
                daoc__buf_puts(b, " = ");
            } else {
                daoc_value k;
                memset(&k, 0, sizeof k);
                k.type = DAOC_TSTR;
                k.u.s = (char *)(uintptr_t)kv->key;
                k.len = kv->klen;
                daoc__buf_putc(b, '[');
                pl_quoted(b, &k);
                daoc__buf_puts(b, "] = ");
            }
            pl_write(b, kv->val, indent, indent + 2, depth + 1);
        }
        daoc__free(s);
    }
    pl_eat_comma(b);
    pl_indent(b, oldindent);
    daoc__buf_puts(b, "},\n");
}

static void put_leaf(daoc__buf *b, const daoc_value *v)
{
    if (v->type == DAOC_TOBJ || v->type == DAOC_TARR) {
        daoc__buf t = DAOC__BUF_INIT;
        pl_write(&t, v, 0, 2, 0);
        pl_eat_comma(&t);
        if (t.len && t.data[t.len - 1] == '\n')
            t.len--;
        if (t.failed)
            b->failed = true;
        else
            daoc__buf_append(b, t.data, t.len);
        daoc__buf_free(&t);
    } else {
        daoc__value_tostring(b, v);
    }
}

char *daoc__err_tree_summary(const daoc_value *errors, size_t *count)
{
    daoc__buf b = DAOC__BUF_INIT;
    size_t n = 0;
    daoc__buf_puts(&b, "");
    if (errors && errors->type == DAOC_TOBJ) {
        const daoc_value *ent = daoc__obj_getn(errors, "@entity", 7);
        if (ent && ent->type == DAOC_TARR) {
            for (size_t i = 0; i < ent->len; i++) {
                item_sep(&b, &n);
                put_leaf(&b, ent->u.a[i]);
            }
        } else if (ent) {
            item_sep(&b, &n);
            put_leaf(&b, ent);
        }
        const daoc__kv **s = sorted_entries(errors);
        if (!s) {
            daoc__buf_free(&b);
            return NULL;
        }
        for (size_t i = 0; i < errors->len; i++) {
            const daoc__kv *kv = s[i];
            if (kv->klen == 7 && memcmp(kv->key, "@entity", 7) == 0)
                continue;
            const daoc_value *v = kv->val;
            if (v->type == DAOC_TOBJ) {
                const daoc__kv **sub = sorted_entries(v);
                if (!sub) {
                    b.failed = true;
                    break;
                }
                for (size_t j = 0; j < v->len; j++) {
                    item_sep(&b, &n);
                    daoc__buf_append(&b, kv->key, kv->klen);
                    daoc__buf_putc(&b, '.');
                    daoc__buf_append(&b, sub[j]->key, sub[j]->klen);
                    daoc__buf_puts(&b, ": ");
                    put_leaf(&b, sub[j]->val);
                }
                daoc__free(sub);
            } else if (v->type == DAOC_TARR) {
                for (size_t j = 0; j < v->len; j++) {
                    if (v->u.a[j]->type == DAOC_TNULL)
                        continue;
                    item_sep(&b, &n);
                    daoc__buf_append(&b, kv->key, kv->klen);
                    daoc__buf_printf(&b, ".%zu: ", j + 1);
                    put_leaf(&b, v->u.a[j]);
                }
            } else {
                item_sep(&b, &n);
                daoc__buf_append(&b, kv->key, kv->klen);
                daoc__buf_puts(&b, ": ");
                put_leaf(&b, v);
            }
        }
        daoc__free(s);
    }
    if (count)
        *count = n;
    return daoc__buf_take(&b, NULL);
}

static daoc_error *tree_error(int code, const char *strategy, daoc_value *errors,
                              const char *singular, const char *plural, bool options)
{
    size_t n = 0;
    char *sum = daoc__err_tree_summary(errors, &n);
    if (!sum) {
        daoc_value_free(errors);
        return NULL;
    }
    char *msg = n == 1 ? daoc__asprintf("%s (%s)", singular, sum)
                       : daoc__asprintf("%zu %s (%s)", n, plural, sum);
    daoc__free(sum);
    if (!msg) {
        daoc_value_free(errors);
        return NULL;
    }
    return daoc__err_new(code, strategy, msg, errors, options);
}

daoc_error *daoc__err_schema_violation(const char *strategy, daoc_value *errors)
{
    return tree_error(DAOC_ERR_SCHEMA_VIOLATION, strategy, errors, "schema violation",
                      "schema violations", false);
}

daoc_error *daoc__err_invalid_options(const char *strategy, daoc_value *errors)
{
    return tree_error(DAOC_ERR_INVALID_OPTIONS, strategy, errors, "invalid option",
                      "option violations", true);
}

daoc_error *daoc__err_foreign_keys_unresolved(const char *strategy, daoc_value *errors)
{
    return tree_error(DAOC_ERR_FOREIGN_KEYS_UNRESOLVED, strategy, errors,
                      "foreign key unresolved", "foreign keys unresolved", false);
}

/* ---- public accessors ---------------------------------------------- */

int daoc_error_code(const daoc_error *e) { return e->code; }
const char *daoc_error_name(const daoc_error *e) { return e->name; }
const char *daoc_error_message(const daoc_error *e) { return e->message; }
const char *daoc_error_string(const daoc_error *e) { return e->string; }
const char *daoc_error_strategy(const daoc_error *e) { return e->strategy; }
const daoc_value *daoc_error_fields(const daoc_error *e) { return e->fields; }
const daoc_value *daoc_error_options(const daoc_error *e) { return e->options; }

daoc_value *daoc_error_to_value(const daoc_error *e)
{
    daoc_value *o = daoc_obj();
    if (!o)
        return NULL;
    int rc = daoc_obj_set(o, "code", daoc_int(e->code));
    if (rc == DAOC_OK)
        rc = daoc_obj_set(o, "name", daoc_str(e->name));
    if (rc == DAOC_OK)
        rc = daoc_obj_set(o, "message", e->message ? daoc_str(e->message) : daoc_null());
    if (rc == DAOC_OK)
        rc = daoc_obj_set(o, "strategy", daoc_str(e->strategy));
    if (rc == DAOC_OK && e->fields)
        rc = daoc_obj_set(o, "fields", daoc_value_copy(e->fields));
    if (rc == DAOC_OK && e->options)
        rc = daoc_obj_set(o, "options", daoc_value_copy(e->options));
    if (rc != DAOC_OK) {
        daoc_value_free(o);
        return NULL;
    }
    return o;
}

void daoc_error_free(daoc_error *e)
{
    if (!e)
        return;
    daoc__free(e->name);
    daoc__free(e->message);
    daoc__free(e->string);
    daoc_value_free(e->fields);
    daoc_value_free(e->options);
    daoc__free(e);
}

void daoc_free(void *p) { daoc__free(p); }
