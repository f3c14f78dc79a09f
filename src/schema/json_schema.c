/*
 * json_schema.c -- the `json_schema` attribute of a `json` field compiled
 * (kong-schema-dao.md 2.1; Kong's validate_json_field over
 * lua-resty-ljsonschema, a JSON-schema draft-4 validator).
 *
 * The attribute: the metaschema's rules (namespace, parent_subschema_key:
 * strings; optional: a boolean; inline, default: schemas; at least one of
 * inline / namespace / parent_subschema_key, namespace and
 * parent_subschema_key together, inline apart from the other three).  A
 * namespace (schemas stored by name, a registry daoc does not have) is
 * refused with "... not supported by daoc".
 *
 * The inline schema: every draft-4 keyword ljsonschema enforces is
 * enforced (json_schema_check.c): type, properties, required,
 * additionalProperties, patternProperties, dependencies (both forms),
 * minProperties, maxProperties, items (list and tuple), additionalItems,
 * minItems, maxItems, uniqueItems, minLength, maxLength, pattern, format,
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, enum,
 * allOf, anyOf, oneOf, not, local $ref and definitions.  What Kong's
 * draft-4 metaschema (and ljsonschema when it builds a validator) refuses
 * is refused here, when the definition loads, naming where (a JSON pointer
 * into the inline schema) for the reference and pattern checks: keyword
 * values of the wrong shape (a non-negative integer for the lengths and
 * counts, multipleOf above 0, required / enum / a type list non-empty and
 * without repeats, exclusiveMaximum / exclusiveMinimum only with maximum /
 * minimum), a `pattern` or patternProperties key PCRE2 does not compile
 * (json_schema_match.c), a $ref that names another document (ljsonschema
 * would need an external resolver, Kong gives none), is not found, or is a
 * cycle of references that never reaches a schema (ljsonschema loops
 * forever on it), a root $schema other than draft 4 (Kong's words), an
 * `id` fragment alias ("#foo") on a nested schema (ljsonschema fails on
 * it), and a nested URL `id` in a schema that uses $ref (it would move the
 * base references resolve against).  `format` names other than date, time
 * and date-time are accepted and not checked, as ljsonschema does; so are
 * keywords draft 4 does not define (annotations, newer drafts' words):
 * the draft says to ignore them, and Kong's metaschema allows them.
 *
 * `default` is held to the same rules (Kong runs the metaschema on it
 * too) and then dropped: only a namespace would use it.
 *
 * Every schema node reached (through keywords, then through $ref targets
 * not otherwise reached) is checked once; the schema is copied, and its
 * patterns compiled against the copy's nodes.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "schema/compile_internal.h"
#include "schema/json_schema_internal.h"

#define DRAFT_4 "http://json-schema.org/draft-04/schema"

static const char *const TYPES[] = {"object",  "array",   "string", "number",
                                    "integer", "boolean", "null"};

/* One compile of an inline schema. */
typedef struct jctx {
    daoc__cctx *c;
    const char *path;
    const char *label; /* "json_schema", or "json_schema.default" */
    struct daoc__json_schema *js;
    daoc__buf ptr; /* JSON pointer of the node being checked, "#/..." */
    const daoc_value **seen;
    size_t nseen, capseen;
    const daoc_value **todo; /* $ref targets, walked after the tree */
    char **todo_at;
    size_t ntodo, captodo;
    bool has_ref;
    char *nested_id; /* pointer of the first nested URL id, owned */
} jctx;

static bool is_num(const daoc_value *v)
{
    return v && (v->type == DAOC_TINT || v->type == DAOC_TNUM);
}

static int fail(jctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(jctx *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = daoc__vasprintf(fmt, ap);
    va_end(ap);
    if (!m)
        return DAOC_ENOMEM;
    int rc = daoc__cfail(x->c, x->path, "%s: %s", x->label, m);
    daoc__free(m);
    return rc;
}

/* The current pointer, "#" for the root. */
static const char *here(jctx *x)
{
    return x->ptr.data && !x->ptr.failed ? x->ptr.data : "#";
}

static int check_schema(jctx *x, const daoc_value *s, int depth);

/* The metaschema's uniqueItems (ljsonschema's deepeq). */
static bool distinct(const daoc_value *a)
{
    for (size_t i = 1; a->type == DAOC_TARR && i < a->len; i++)
        for (size_t j = 0; j < i; j++)
            if (daoc__value_equal(a->u.a[i], a->u.a[j]))
                return false;
    return true;
}

/* required, enum: the metaschema's stringArray / non-empty unique array. */
static int check_list(jctx *x, const char *k, const daoc_value *v)
{
    if (!daoc__c_is_list(v))
        return fail(x, "'%s' must be an array", k);
    if (v->type != DAOC_TARR || v->len == 0)
        return fail(x, "'%s' must not be empty", k);
    for (size_t i = 0; k[0] == 'r' && i < v->len; i++)
        if (v->u.a[i]->type != DAOC_TSTR)
            return fail(x, "'required' must hold property names (strings)");
    return distinct(v) ? DAOC_OK : fail(x, "'%s' must not repeat an item", k);
}

/* check_schema on a child reached through `key` (and `sub`, when not NULL:
 * properties/<name>, items/<i>). */
static int child(jctx *x, const daoc_value *s, const char *key, const char *sub, size_t sublen,
                 int depth)
{
    size_t mark = x->ptr.len;
    daoc__js_ptr_push(&x->ptr, key, strlen(key));
    if (sub)
        daoc__js_ptr_push(&x->ptr, sub, sublen);
    if (x->ptr.failed)
        return DAOC_ENOMEM;
    int rc = check_schema(x, s, depth + 1);
    x->ptr.len = mark;
    x->ptr.data[mark] = '\0';
    return rc;
}

static int check_type(jctx *x, const daoc_value *t)
{
    const daoc_value *const *list = &t;
    size_t n = 1;
    if (t->type != DAOC_TSTR && t->type != DAOC_TARR)
        return fail(x, "'type' must be a string or an array");
    if (t->type == DAOC_TARR) {
        list = (const daoc_value *const *)t->u.a;
        n = t->len;
        if (!n || !distinct(t))
            return fail(x, "'type' must be a type or a non-empty array of distinct types");
    }
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (size_t k = 0; list[i]->type == DAOC_TSTR && k < sizeof TYPES / sizeof TYPES[0]; k++)
            known = known || strcmp(list[i]->u.s, TYPES[k]) == 0;
        if (!known)
            return fail(x, "invalid JSON type in 'type'");
    }
    return DAOC_OK;
}

/* A map of schemas (properties, patternProperties, definitions); patterns
 * compiles each key. */
static int check_schema_map(jctx *x, const char *kw, const daoc_value *v, bool patterns, int depth)
{
    if (!daoc__c_is_map(v))
        return fail(x, "'%s' must be an object of schemas", kw);
    for (size_t j = 0; v->type == DAOC_TOBJ && j < v->len; j++) {
        daoc__kv *kv = &v->u.o[j];
        if (patterns) {
            char *msg;
            int rc = daoc__js_re_add(x->js, kv, kv->key, kv->klen, &msg);
            if (rc == 1) {
                rc = fail(x,
                          "%s/patternProperties: pattern '%s' is not a valid regular expression: "
                          "%s",
                          here(x), kv->key, msg);
                daoc__free(msg);
            }
            if (rc != DAOC_OK)
                return rc;
        }
        int rc = child(x, kv->val, kw, kv->key, kv->klen, depth);
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

/* allOf / anyOf / oneOf: the metaschema's schemaArray. */
static int check_schema_array(jctx *x, const char *kw, const daoc_value *v, int depth)
{
    if (v->type != DAOC_TARR || v->len == 0)
        return fail(x, "'%s' must be a non-empty array of schemas", kw);
    for (size_t j = 0; j < v->len; j++) {
        char idx[32];
        int n = snprintf(idx, sizeof idx, "%zu", j);
        int rc = child(x, v->u.a[j], kw, idx, (size_t)n, depth);
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

static int check_dependencies(jctx *x, const daoc_value *v, int depth)
{
    if (!daoc__c_is_map(v))
        return fail(x, "'dependencies' must be an object");
    for (size_t j = 0; v->type == DAOC_TOBJ && j < v->len; j++) {
        const daoc__kv *kv = &v->u.o[j];
        const daoc_value *d = kv->val;
        bool names = d->type == DAOC_TARR && d->len > 0;
        for (size_t k = 0; names && k < d->len; k++)
            if (d->u.a[k]->type != DAOC_TSTR)
                return fail(x,
                            "dependencies of '%s' must be a schema or an array of property names",
                            kv->key);
        if (names)
            continue;
        if (!daoc__c_is_map(d))
            return fail(x, "dependencies of '%s' must be a schema or an array of property names",
                        kv->key);
        int rc = child(x, d, "dependencies", kv->key, kv->klen, depth);
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

static int push_todo(jctx *x, const daoc_value *t, const char *at)
{
    if (x->ntodo == x->captodo) {
        size_t cap = x->captodo ? x->captodo * 2 : 8;
        const daoc_value **todo = daoc__realloc(x->todo, cap * sizeof *todo);
        if (!todo)
            return DAOC_ENOMEM;
        x->todo = todo;
        char **at2 = daoc__realloc(x->todo_at, cap * sizeof *at2);
        if (!at2)
            return DAOC_ENOMEM;
        x->todo_at = at2;
        x->captodo = cap;
    }
    if (!(x->todo_at[x->ntodo] = daoc__strdup(at)))
        return DAOC_ENOMEM;
    x->todo[x->ntodo++] = t;
    return DAOC_OK;
}

static int check_ref(jctx *x, const daoc_value *ref)
{
    const char *why = NULL;
    if (ref->type != DAOC_TSTR)
        return fail(x, "'$ref' must be a string");
    x->has_ref = true;
    const daoc_value *t = daoc__js_ref_target(x->js->root, ref, &why);
    if (!t && !strcmp(why, "remote"))
        return fail(x,
                    "%s: $ref '%s' names another document: daoc resolves only references "
                    "inside the schema ('#...')",
                    here(x), ref->u.s);
    if (!t && !strcmp(why, "out of memory"))
        return DAOC_ENOMEM;
    if (!t)
        return fail(x, "%s: $ref '%s' %s", here(x), ref->u.s,
                    !strcmp(why, "not found") ? "not found" : "does not point to a schema");
    return push_todo(x, t, ref->u.s);
}

static int check_keyword(jctx *x, const daoc__kv *kv, int depth)
{
    const char *k = kv->key;
    const daoc_value *v = kv->val;
    if (!strcmp(k, "type"))
        return check_type(x, v);
    if (!strcmp(k, "properties") || !strcmp(k, "definitions"))
        return check_schema_map(x, k, v, false, depth);
    if (!strcmp(k, "patternProperties"))
        return check_schema_map(x, k, v, true, depth);
    if (!strcmp(k, "allOf") || !strcmp(k, "anyOf") || !strcmp(k, "oneOf"))
        return check_schema_array(x, k, v, depth);
    if (!strcmp(k, "dependencies"))
        return check_dependencies(x, v, depth);
    if (!strcmp(k, "$ref"))
        return check_ref(x, v);
    if (!strcmp(k, "items")) {
        for (size_t j = 0; v->type == DAOC_TARR && j < v->len; j++) {
            char idx[32];
            int n = snprintf(idx, sizeof idx, "%zu", j), rc;
            if ((rc = child(x, v->u.a[j], k, idx, (size_t)n, depth)) != DAOC_OK)
                return rc;
        }
        return v->type == DAOC_TARR ? DAOC_OK : child(x, v, k, NULL, 0, depth);
    }
    if (!strcmp(k, "not"))
        return child(x, v, k, NULL, 0, depth);
    if (!strcmp(k, "additionalProperties") || !strcmp(k, "additionalItems"))
        return v->type == DAOC_TBOOL ? DAOC_OK : child(x, v, k, NULL, 0, depth);
    if (!strcmp(k, "required") || !strcmp(k, "enum"))
        return check_list(x, k, v);
    if (!strcmp(k, "uniqueItems") || !strcmp(k, "exclusiveMinimum") ||
        !strcmp(k, "exclusiveMaximum"))
        return v->type == DAOC_TBOOL ? DAOC_OK : fail(x, "'%s' must be a boolean", k);
    if (!strcmp(k, "minLength") || !strcmp(k, "maxLength") || !strcmp(k, "minItems") ||
        !strcmp(k, "maxItems") || !strcmp(k, "minProperties") || !strcmp(k, "maxProperties")) {
        if (!is_num(v))
            return fail(x, "'%s' must be a number", k);
        double d = v->type == DAOC_TINT ? (double)v->u.i : v->u.n;
        return d >= 0 && floor(d) == d ? DAOC_OK
                                       : fail(x, "'%s' must be a non-negative integer", k);
    }
    if (!strcmp(k, "minimum") || !strcmp(k, "maximum"))
        return is_num(v) ? DAOC_OK : fail(x, "'%s' must be a number", k);
    if (!strcmp(k, "multipleOf"))
        return is_num(v) && (v->type == DAOC_TINT ? v->u.i > 0 : v->u.n > 0)
                   ? DAOC_OK
                   : fail(x, "'multipleOf' must be a number greater than 0");
    if (!strcmp(k, "format") || !strcmp(k, "$schema") || !strcmp(k, "id"))
        return v->type == DAOC_TSTR ? DAOC_OK : fail(x, "'%s' must be a string", k);
    if (!strcmp(k, "pattern")) {
        char *msg;
        if (v->type != DAOC_TSTR)
            return fail(x, "'pattern' must be a string");
        int rc = daoc__js_re_add(x->js, v, v->u.s, v->len, &msg);
        if (rc == 1) {
            rc = fail(x, "%s/pattern: pattern '%s' is not a valid regular expression: %s", here(x),
                      v->u.s, msg);
            daoc__free(msg);
        }
        return rc;
    }
    return DAOC_OK; /* title, description, default, and words draft 4 does not define */
}

static int check_schema(jctx *x, const daoc_value *s, int depth)
{
    if (depth > 64)
        return fail(x, "schema nested too deeply");
    if (!daoc__c_is_map(s))
        return fail(x, "schema must be a table");
    if (x->nseen == x->capseen) {
        size_t cap = x->capseen ? x->capseen * 2 : 32;
        const daoc_value **seen = daoc__realloc(x->seen, cap * sizeof *seen);
        if (!seen)
            return DAOC_ENOMEM;
        x->seen = seen;
        x->capseen = cap;
    }
    x->seen[x->nseen++] = s;
    const daoc_value *id = daoc_obj_get(s, "id");
    if (depth > 0 && id && id->type == DAOC_TSTR) {
        if (id->u.s[0] == '#')
            return fail(x,
                        "%s: an 'id' alias ('%s') on a nested schema is not supported "
                        "(lua-resty-ljsonschema fails on it)",
                        here(x), id->u.s);
        if (!x->nested_id && !(x->nested_id = daoc__strdup(here(x))))
            return DAOC_ENOMEM;
    }
    for (size_t i = 0; s->type == DAOC_TOBJ && i < s->len; i++) {
        int rc = check_keyword(x, &s->u.o[i], depth);
        if (rc != DAOC_OK)
            return rc;
    }
    if (daoc_obj_get(s, "exclusiveMaximum") && !daoc_obj_get(s, "maximum"))
        return fail(x, "'exclusiveMaximum' requires 'maximum'");
    if (daoc_obj_get(s, "exclusiveMinimum") && !daoc_obj_get(s, "minimum"))
        return fail(x, "'exclusiveMinimum' requires 'minimum'");
    return DAOC_OK;
}

static bool seen(const jctx *x, const daoc_value *s)
{
    for (size_t i = 0; i < x->nseen; i++)
        if (x->seen[i] == s)
            return true;
    return false;
}

/* The tree, then each $ref target not reached through keywords (a target
 * inside `definitions` was; one inside an unknown keyword was not). */
static int check_all(jctx *x)
{
    const daoc_value *root = x->js->root, *sch = daoc_obj_get(root, "$schema");
    if (sch && sch->type == DAOC_TSTR && strcmp(sch->u.s, DRAFT_4) && strcmp(sch->u.s, DRAFT_4 "#"))
        return fail(x, "unsupported document $schema: '%s', expected: " DRAFT_4 "#", sch->u.s);
    int rc = check_schema(x, root, 0);
    for (size_t i = 0; rc == DAOC_OK && i < x->ntodo; i++) {
        if (seen(x, x->todo[i]))
            continue;
        daoc__buf_reset(&x->ptr);
        daoc__buf_puts(&x->ptr, x->todo_at[i]);
        rc = x->ptr.failed ? DAOC_ENOMEM : check_schema(x, x->todo[i], 1);
    }
    for (size_t i = 0; rc == DAOC_OK && i < x->ntodo; i++)
        if (!daoc__js_deref(root, x->todo[i]))
            rc = fail(x,
                      "$ref '%s' leads to a cycle of references (or a chain of more than %d) that "
                      "never reaches a schema",
                      x->todo_at[i], DAOC__JS_REF_HOPS);
    if (rc == DAOC_OK && x->has_ref && x->nested_id)
        rc = fail(x,
                  "%s: a nested 'id' in a schema that uses $ref is not supported by daoc (it "
                  "changes what the references resolve against)",
                  x->nested_id);
    return rc;
}

void daoc__json_schema_free(struct daoc__json_schema *js)
{
    if (!js)
        return;
    daoc__js_re_free(js);
    daoc_value_free(js->root);
    daoc__free(js);
}

/* Checks and compiles `inl` into f->json_schema; with f NULL (`default`)
 * only checks it. */
static int compile_inline(daoc__cctx *c, const char *path, const char *label, const daoc_value *inl,
                          daoc__field *f)
{
    struct daoc__json_schema *js = daoc__calloc(1, sizeof *js);
    if (!js || !(js->root = daoc_value_copy(inl))) {
        daoc__free(js);
        return DAOC_ENOMEM;
    }
    jctx x = {.c = c, .path = path, .label = label, .js = js, .ptr = DAOC__BUF_INIT};
    daoc__buf_puts(&x.ptr, "#");
    int rc = x.ptr.failed ? DAOC_ENOMEM : check_all(&x);
    daoc__buf_free(&x.ptr);
    daoc__free(x.seen);
    for (size_t i = 0; i < x.ntodo; i++)
        daoc__free(x.todo_at[i]);
    daoc__free(x.todo);
    daoc__free(x.todo_at);
    daoc__free(x.nested_id);
    if (rc != DAOC_OK || !f) {
        daoc__json_schema_free(js);
        return rc;
    }
    daoc__js_re_sort(js);
    f->json_schema = js;
    return DAOC_OK;
}

int daoc__compile_json_schema(daoc__cctx *c, const char *path, const daoc_value *js, daoc__field *f)
{
    const daoc_value *inl = NULL, *dflt = NULL;
    bool has_ns = false, has_key = false, has_opt = false;
    if (!daoc__c_is_map(js))
        return daoc__cfail(c, path, "json_schema: expected a record");
    for (size_t i = 0; js->type == DAOC_TOBJ && i < js->len; i++) {
        const daoc__kv *kv = &js->u.o[i];
        if (!strcmp(kv->key, "namespace") || !strcmp(kv->key, "parent_subschema_key")) {
            if (kv->val->type != DAOC_TSTR)
                return daoc__cfail(c, path, "json_schema.%s: expected a string", kv->key);
            *(kv->key[0] == 'n' ? &has_ns : &has_key) = true;
        } else if (!strcmp(kv->key, "optional")) {
            if (kv->val->type != DAOC_TBOOL)
                return daoc__cfail(c, path, "json_schema.optional: expected a boolean");
            has_opt = true;
        } else if (!strcmp(kv->key, "inline") || !strcmp(kv->key, "default")) {
            if (kv->val->type != DAOC_TOBJ && !daoc__c_is_map(kv->val))
                return daoc__cfail(c, path, "json_schema.%s: schema must be a table", kv->key);
            *(kv->key[0] == 'i' ? &inl : &dflt) = kv->val;
        } else {
            return daoc__cfail(c, path, "json_schema.%s: unknown field", kv->key);
        }
    }
    if (!inl && !has_ns && !has_key)
        return daoc__cfail(c, path,
                           "json_schema: at least one of these fields must be non-empty: "
                           "'inline', 'namespace', 'parent_subschema_key'");
    if (has_ns != has_key)
        return daoc__cfail(c, path,
                           "json_schema: all or none of these fields must be set: 'namespace', "
                           "'parent_subschema_key'");
    if (inl && (has_ns || has_key || has_opt))
        return daoc__cfail(c, path,
                           "json_schema: these sets are mutually exclusive: ('inline'), "
                           "(%s%s%s)",
                           has_ns ? "'namespace', " : "", has_key ? "'parent_subschema_key'" : "",
                           has_opt ? (has_key ? ", 'optional'" : "'optional'") : "");
    if (has_ns)
        return daoc__cfail(c, path,
                           "json_schema: namespace: schemas stored by name are not supported by "
                           "daoc");
    int rc = dflt ? compile_inline(c, path, "json_schema.default", dflt, NULL) : DAOC_OK;
    return rc == DAOC_OK ? compile_inline(c, path, "json_schema", inl, f) : rc;
}
