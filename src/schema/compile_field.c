/*
 * compile_field.c -- one field definition of a daos.lua table, checked the
 * way Kong's MetaSchema checks it and turned into a daoc__field.
 *
 * A field is checked in four passes so that, when a definition has several
 * problems, the one reported is the one Kong reports: unknown attributes,
 * attributes not allowed for the type ("field of type '%s' cannot have
 * attribute '%s'"), sub-definitions the type requires ("field of type '%s'
 * must declare '%s'"), then each attribute's value.  Records recurse through
 * compile.c's daoc__compile_fields().
 *
 * This file does not run validators (validate.c does) and does not decide
 * SQL columns beyond what compile.c asks for; it only copies what it keeps.
 */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "schema/compile_internal.h"

#define T(x) (1u << (x))
#define T_SCALAR_NUM (T(DAOC__F_INTEGER) | T(DAOC__F_NUMBER))

/* Attribute ids: the order of ATTRS below. */
enum attr_id {
    A_TYPE,
    A_REQUIRED,
    A_DEFAULT,
    A_AUTO,
    A_UNIQUE,
    A_UNIQUE_ACROSS_WS,
    A_IMMUTABLE,
    A_REFERENCE,
    A_ON_DELETE,
    A_ABSTRACT,
    A_GENERATE_ADMIN_API,
    A_ERR,
    A_ENCRYPTED,
    A_REFERENCEABLE,
    A_TRANSIENT,
    A_DESCRIPTION,
    A_EXAMPLES,
    A_DEPRECATION,
    A_JSON_SCHEMA,
    A_INDEXED,
    /* validators */
    A_BETWEEN,
    A_EQ,
    A_NE,
    A_GT,
    A_LEN_EQ,
    A_LEN_MIN,
    A_LEN_MAX,
    A_MATCH,
    A_NOT_MATCH,
    A_MATCH_ALL,
    A_MATCH_NONE,
    A_MATCH_ANY,
    A_STARTS_WITH,
    A_ONE_OF,
    A_NOT_ONE_OF,
    A_CONTAINS,
    A_IS_REGEX,
    A_TIMESTAMP,
    A_UUID,
    A_LEGACY,
    A_CUSTOM_VALIDATOR,
    A_DEFAULT_FN,
    A_MUTUALLY_EXCLUSIVE_SUBSETS,
    /* composite */
    A_ELEMENTS,
    A_KEYS,
    A_VALUES,
    A_FIELDS,
    A_ENTITY_CHECKS,
    A__COUNT
};

static const struct attr_info {
    const char *name;
    unsigned types; /* field types allowed to carry it; 0 = any */
} ATTRS[A__COUNT] = {
    [A_TYPE] = {"type", 0},
    [A_REQUIRED] = {"required", 0},
    [A_DEFAULT] = {"default", 0},
    [A_AUTO] = {"auto", 0},
    [A_UNIQUE] = {"unique", T(DAOC__F_STRING) | T_SCALAR_NUM | T(DAOC__F_FOREIGN)},
    [A_UNIQUE_ACROSS_WS] = {"unique_across_ws",
                            T(DAOC__F_STRING) | T_SCALAR_NUM | T(DAOC__F_FOREIGN)},
    [A_IMMUTABLE] = {"immutable", 0},
    [A_REFERENCE] = {"reference", 0},
    [A_ON_DELETE] = {"on_delete", 0},
    [A_ABSTRACT] = {"abstract", T(DAOC__F_STRING) | T_SCALAR_NUM | T(DAOC__F_RECORD) |
                                    T(DAOC__F_ARRAY) | T(DAOC__F_SET) | T(DAOC__F_MAP)},
    [A_GENERATE_ADMIN_API] = {"generate_admin_api", 0},
    [A_ERR] = {"err", 0},
    [A_ENCRYPTED] = {"encrypted", 0},
    [A_REFERENCEABLE] = {"referenceable", 0},
    [A_TRANSIENT] = {"transient", T(DAOC__F_STRING) | T_SCALAR_NUM | T(DAOC__F_ARRAY) |
                                      T(DAOC__F_SET) | T(DAOC__F_BOOLEAN)},
    [A_DESCRIPTION] = {"description", 0},
    [A_EXAMPLES] = {"examples", 0},
    [A_DEPRECATION] = {"deprecation", 0},
    [A_JSON_SCHEMA] = {"json_schema", T(DAOC__F_JSON)},
    [A_INDEXED] = {"indexed", 0},
    [A_BETWEEN] = {"between", T_SCALAR_NUM},
    [A_EQ] = {"eq", 0},
    [A_NE] = {"ne", 0},
    [A_GT] = {"gt", 0},
    [A_LEN_EQ] = {"len_eq", T(DAOC__F_ARRAY) | T(DAOC__F_SET) | T(DAOC__F_STRING) |
                                T(DAOC__F_MAP)},
    [A_LEN_MIN] = {"len_min", 0},
    [A_LEN_MAX] = {"len_max", 0},
    [A_MATCH] = {"match", T(DAOC__F_STRING)},
    [A_NOT_MATCH] = {"not_match", 0},
    [A_MATCH_ALL] = {"match_all", 0},
    [A_MATCH_NONE] = {"match_none", 0},
    [A_MATCH_ANY] = {"match_any", 0},
    [A_STARTS_WITH] = {"starts_with", 0},
    [A_ONE_OF] = {"one_of", T(DAOC__F_STRING) | T_SCALAR_NUM},
    [A_NOT_ONE_OF] = {"not_one_of", 0},
    [A_CONTAINS] = {"contains", T(DAOC__F_ARRAY) | T(DAOC__F_SET)},
    [A_IS_REGEX] = {"is_regex", T(DAOC__F_STRING)},
    [A_TIMESTAMP] = {"timestamp", T_SCALAR_NUM},
    [A_UUID] = {"uuid", T(DAOC__F_STRING)},
    [A_LEGACY] = {"legacy", T(DAOC__F_STRING)}, /* Kong 1.x's metaschema */
    [A_CUSTOM_VALIDATOR] = {"custom_validator", 0},
    [A_DEFAULT_FN] = {"__default_fn", 0},
    [A_MUTUALLY_EXCLUSIVE_SUBSETS] = {"mutually_exclusive_subsets", 0},
    [A_ELEMENTS] = {"elements", 0},
    [A_KEYS] = {"keys", 0},
    [A_VALUES] = {"values", 0},
    [A_FIELDS] = {"fields", 0},
    [A_ENTITY_CHECKS] = {"entity_checks", 0},
};

static const char *const TYPE_NAMES[] = {
    [DAOC__F_STRING] = "string", [DAOC__F_INTEGER] = "integer", [DAOC__F_NUMBER] = "number",
    [DAOC__F_BOOLEAN] = "boolean", [DAOC__F_ARRAY] = "array",    [DAOC__F_SET] = "set",
    [DAOC__F_MAP] = "map",         [DAOC__F_RECORD] = "record",   [DAOC__F_FOREIGN] = "foreign",
    [DAOC__F_JSON] = "json",
};

static int attr_lookup(const char *k, size_t n)
{
    for (int i = 0; i < A__COUNT; i++)
        if (strlen(ATTRS[i].name) == n && memcmp(ATTRS[i].name, k, n) == 0)
            return i;
    return -1;
}

static int type_lookup(const char *s, size_t n)
{
    for (int t = DAOC__F_STRING; t <= DAOC__F_JSON; t++)
        if (strlen(TYPE_NAMES[t]) == n && memcmp(TYPE_NAMES[t], s, n) == 0)
            return t;
    return -1;
}

/* ---- attribute value readers ------------------------------------------ */

static int want_bool(daoc__cctx *c, const char *path, const char *attr, const daoc_value *v,
                     bool *out)
{
    if (v->type != DAOC_TBOOL)
        return daoc__cfail(c, path, "%s: expected a boolean", attr);
    *out = v->u.b;
    return DAOC_OK;
}

static int want_str(daoc__cctx *c, const char *path, const char *attr, const daoc_value *v,
                    char **out, size_t *len)
{
    if (v->type != DAOC_TSTR)
        return daoc__cfail(c, path, "%s: expected a string", attr);
    daoc__free(*out);
    *out = daoc__strndup(v->u.s, v->len);
    if (!*out)
        return DAOC_ENOMEM;
    if (len)
        *len = v->len;
    return DAOC_OK;
}

static bool as_integer(const daoc_value *v, int64_t *out)
{
    if (v->type == DAOC_TINT) {
        *out = v->u.i;
        return true;
    }
    if (v->type == DAOC_TNUM && isfinite(v->u.n) && floor(v->u.n) == v->u.n &&
        fabs(v->u.n) < 9.2e18) {
        *out = (int64_t)v->u.n;
        return true;
    }
    return false;
}

static int want_int(daoc__cctx *c, const char *path, const char *attr, const daoc_value *v,
                    int64_t *out)
{
    if (!as_integer(v, out))
        return daoc__cfail(c, path, "%s: expected an integer", attr);
    return DAOC_OK;
}

static int want_num(daoc__cctx *c, const char *path, const char *attr, const daoc_value *v,
                    double *out)
{
    if (!daoc__is_number(v))
        return daoc__cfail(c, path, "%s: expected a number", attr);
    *out = daoc_value_num(v);
    return DAOC_OK;
}

static int copy_value(const daoc_value *v, daoc_value **out)
{
    daoc_value_free(*out);
    *out = daoc_value_copy(v);
    return *out ? DAOC_OK : DAOC_ENOMEM;
}

static int check_pattern(daoc__cctx *c, const char *path, const char *attr, const char *p,
                         size_t n)
{
    const char *why = NULL;
    if (daoc__luapat_check(p, n, &why) != DAOC_OK)
        return daoc__cfail(c, path, "%s: invalid pattern '%s': %s", attr, p,
                           why ? why : "malformed pattern");
    return DAOC_OK;
}

/* A `default` must have the field's own type (Kong validates it with the
 * field definition itself: `default = { type = "self" }`). */
static int check_default(daoc__cctx *c, const char *path, daoc__ftype t, const daoc_value *v)
{
    int64_t i;
    const char *want = NULL;
    if (v->type == DAOC_TNULL)
        return DAOC_OK;
    switch (t) {
    case DAOC__F_STRING:
        want = v->type == DAOC_TSTR ? NULL : "expected a string";
        break;
    case DAOC__F_INTEGER:
        want = as_integer(v, &i) ? NULL : "expected an integer";
        break;
    case DAOC__F_NUMBER:
        want = daoc__is_number(v) ? NULL : "expected a number";
        break;
    case DAOC__F_BOOLEAN:
        want = v->type == DAOC_TBOOL ? NULL : "expected a boolean";
        break;
    case DAOC__F_ARRAY:
        want = daoc__c_is_list(v) ? NULL : "expected an array";
        break;
    case DAOC__F_SET:
        want = daoc__c_is_list(v) ? NULL : "expected a set";
        break;
    case DAOC__F_MAP:
        want = daoc__c_is_map(v) ? NULL : "expected a map";
        break;
    case DAOC__F_RECORD:
        want = daoc__c_is_map(v) ? NULL : "expected a record";
        break;
    case DAOC__F_FOREIGN:
        want = daoc__c_is_map(v) ? NULL : "expected a record";
        break;
    case DAOC__F_JSON:
        break;
    }
    if (want)
        return daoc__cfail(c, path, "default: %s", want);
    return DAOC_OK;
}

/* match_all / match_none: an array of {pattern = "...", err = "..."}. */
static int parse_pattern_list(daoc__cctx *c, const char *path, const char *attr,
                              const daoc_value *v, daoc__pattern_err **out, size_t *n)
{
    if (!daoc__c_is_list(v))
        return daoc__cfail(c, path, "%s: expected an array", attr);
    if (v->type == DAOC_TOBJ || v->len == 0)
        return DAOC_OK;
    *out = daoc__calloc(v->len, sizeof **out);
    if (!*out)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < v->len; i++) {
        const daoc_value *e = v->u.a[i];
        daoc__pattern_err *pe = &(*out)[i];
        *n = i + 1;
        if (!daoc__c_is_map(e))
            return daoc__cfail(c, path, "%s.%zu: expected a record", attr, i + 1);
        for (size_t k = 0; e->type == DAOC_TOBJ && k < e->len; k++) {
            const daoc__kv *kv = &e->u.o[k];
            int st;
            if (strcmp(kv->key, "pattern") == 0) {
                st = want_str(c, path, attr, kv->val, &pe->pattern, &pe->pattern_len);
                if (st == DAOC_OK)
                    st = check_pattern(c, path, attr, pe->pattern, pe->pattern_len);
            } else if (strcmp(kv->key, "err") == 0) {
                st = want_str(c, path, attr, kv->val, &pe->err, NULL);
            } else {
                st = daoc__cfail(c, path, "%s.%zu.%s: unknown field", attr, i + 1, kv->key);
            }
            if (st != DAOC_OK)
                return st;
        }
        if (!pe->pattern)
            return daoc__cfail(c, path, "%s.%zu.pattern: required field missing", attr, i + 1);
    }
    return DAOC_OK;
}

/* match_any: {patterns = {...}, err = "..."}. */
static int parse_match_any(daoc__cctx *c, const char *path, const daoc_value *v, daoc__field *f)
{
    const daoc_value *pats = NULL;
    int st;
    if (!daoc__c_is_map(v))
        return daoc__cfail(c, path, "match_any: expected a record");
    for (size_t k = 0; v->type == DAOC_TOBJ && k < v->len; k++) {
        const daoc__kv *kv = &v->u.o[k];
        if (strcmp(kv->key, "patterns") == 0) {
            pats = kv->val;
        } else if (strcmp(kv->key, "err") == 0) {
            if ((st = want_str(c, path, "match_any.err", kv->val, &f->match_any_err, NULL)))
                return st;
        } else {
            return daoc__cfail(c, path, "match_any.%s: unknown field", kv->key);
        }
    }
    if (!pats)
        return daoc__cfail(c, path, "match_any.patterns: required field missing");
    if ((st = daoc__c_strlist(c, path, "match_any.patterns", pats, &f->match_any, &f->n_match_any)))
        return st;
    f->match_any_len = daoc__calloc(f->n_match_any ? f->n_match_any : 1, sizeof(size_t));
    if (!f->match_any_len)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < f->n_match_any; i++) {
        f->match_any_len[i] = pats->u.a[i]->len;
        if ((st = check_pattern(c, path, "match_any", f->match_any[i], f->match_any_len[i])))
            return st;
    }
    return DAOC_OK;
}

static int parse_subsets(daoc__cctx *c, const char *path, const daoc_value *v, daoc__field *f)
{
    if (!daoc__c_is_list(v))
        return daoc__cfail(c, path, "mutually_exclusive_subsets: expected an array");
    for (size_t i = 0; v->type == DAOC_TARR && i < v->len; i++) {
        const daoc_value *s = v->u.a[i];
        if (!daoc__c_is_list(s))
            return daoc__cfail(c, path, "mutually_exclusive_subsets.%zu: expected an array", i + 1);
        for (size_t j = 0; s->type == DAOC_TARR && j < s->len; j++)
            if (s->u.a[j]->type != DAOC_TSTR)
                return daoc__cfail(c, path, "mutually_exclusive_subsets.%zu.%zu: expected a string",
                                   i + 1, j + 1);
    }
    return copy_value(v, &f->mutually_exclusive_subsets);
}

static int parse_custom_validator(daoc__cctx *c, const char *path, const daoc_value *v,
                                  daoc__field *f)
{
    daoc__callable_unref(f->custom_validator);
    f->custom_validator = NULL;
    if (v->type == DAOC_TFUNC) {
        daoc__callable_ref(v->u.f);
        f->custom_validator = v->u.f;
        return DAOC_OK;
    }
    if (v->type == DAOC_TSTR) {
        if (strlen(v->u.s) != v->len || !daoc__builtin_known(v->u.s))
            return daoc__cfail(c, path, "custom_validator: unknown built-in validator '%s'",
                               v->u.s);
        f->custom_validator = daoc__builtin_validator(v->u.s);
        return f->custom_validator ? DAOC_OK : DAOC_ENOMEM;
    }
    return daoc__cfail(c, path, "custom_validator: expected a function");
}

static int parse_deprecation(daoc__cctx *c, const char *path, const daoc_value *v)
{
    bool msg = false, removal = false;
    if (!daoc__c_is_map(v))
        return daoc__cfail(c, path, "deprecation: expected a record");
    for (size_t k = 0; v->type == DAOC_TOBJ && k < v->len; k++) {
        const daoc__kv *kv = &v->u.o[k];
        if (strcmp(kv->key, "message") == 0 || strcmp(kv->key, "removal_in_version") == 0) {
            if (kv->val->type != DAOC_TSTR)
                return daoc__cfail(c, path, "deprecation.%s: expected a string", kv->key);
            if (kv->key[0] == 'm')
                msg = true;
            else
                removal = true;
        } else if (strcmp(kv->key, "replaced_with") == 0) {
            if (!daoc__c_is_list(kv->val))
                return daoc__cfail(c, path, "deprecation.replaced_with: expected an array");
        } else if (strcmp(kv->key, "old_default") != 0) {
            return daoc__cfail(c, path, "deprecation.%s: unknown field", kv->key);
        }
    }
    if (!msg)
        return daoc__cfail(c, path, "deprecation.message: required field missing");
    if (!removal)
        return daoc__cfail(c, path, "deprecation.removal_in_version: required field missing");
    return DAOC_OK;
}

/* elements / keys / values */
static int parse_sub(daoc__cctx *c, const char *path, const char *attr, const daoc_value *v,
                     daoc__field **out)
{
    if (!daoc__c_is_map(v))
        return daoc__cfail(c, path, "'%s' must be a table", attr);
    *out = daoc__calloc(1, sizeof **out);
    if (!*out)
        return DAOC_ENOMEM;
    /* Kong names errors of a nested definition after the field itself. */
    return daoc__compile_field(c, path, NULL, v, 0, *out);
}

static int resolve_foreign(daoc__cctx *c, const char *path, daoc__field *f)
{
    const daoc__schema *ref = c->lookup ? c->lookup(c->ud, f->reference) : NULL;
    if (!ref)
        return daoc__cfail(c, path, "schema refers to an invalid foreign entity: %s",
                           f->reference);
    if (ref->npk != 1)
        return daoc__cfail(c, path,
                           "foreign entity '%s' has a composite primary key, which is not "
                           "supported",
                           f->reference);
    f->ref = ref;
    return DAOC_OK;
}

/* One attribute value (pass 4). */
static int parse_attr(daoc__cctx *c, const char *path, int id, const daoc_value *v,
                      daoc__field *f)
{
    const char *an = ATTRS[id].name;
    bool b;
    int st;

    switch (id) {
    case A_TYPE:
    case A_FIELDS:
    case A_ENTITY_CHECKS:
        return DAOC_OK; /* handled by the caller */
    case A_REQUIRED:
        f->required_set = true;
        return want_bool(c, path, an, v, &f->required);
    case A_DEFAULT:
        if ((st = check_default(c, path, f->type, v)))
            return st;
        return copy_value(v, &f->def);
    case A_AUTO:
        return want_bool(c, path, an, v, &f->auto_);
    case A_UNIQUE:
        return want_bool(c, path, an, v, &f->unique);
    case A_UNIQUE_ACROSS_WS:
        return want_bool(c, path, an, v, &f->unique_across_ws);
    case A_IMMUTABLE:
        return want_bool(c, path, an, v, &f->immutable);
    case A_REFERENCE:
        return want_str(c, path, an, v, &f->reference, NULL);
    case A_ON_DELETE:
        if (v->type != DAOC_TSTR)
            return daoc__cfail(c, path, "on_delete: expected a string");
        f->on_delete_set = true;
        if (strcmp(v->u.s, "restrict") == 0)
            f->on_delete = DAOC__ON_DELETE_RESTRICT;
        else if (strcmp(v->u.s, "cascade") == 0)
            f->on_delete = DAOC__ON_DELETE_CASCADE;
        else if (strcmp(v->u.s, "null") == 0)
            f->on_delete = DAOC__ON_DELETE_NULL;
        else
            return daoc__cfail(c, path, "on_delete: expected one of: restrict, cascade, null");
        return DAOC_OK;
    case A_ABSTRACT:
        return want_bool(c, path, an, v, &f->abstract);
    case A_ENCRYPTED:
        return want_bool(c, path, an, v, &f->encrypted);
    case A_REFERENCEABLE:
        return want_bool(c, path, an, v, &f->referenceable);
    case A_TRANSIENT:
        return want_bool(c, path, an, v, &f->transient);
    case A_GENERATE_ADMIN_API:
    case A_INDEXED:
        return want_bool(c, path, an, v, &b);
    case A_ERR:
        return want_str(c, path, an, v, &f->err, NULL);
    case A_DESCRIPTION:
        if (v->type != DAOC_TSTR)
            return daoc__cfail(c, path, "description: expected a string");
        if (v->len < 10)
            return daoc__cfail(c, path, "description: length must be at least 10");
        if (v->len > 500)
            return daoc__cfail(c, path, "description: length must be at most 500");
        return DAOC_OK;
    case A_EXAMPLES:
        if (!daoc__c_is_list(v))
            return daoc__cfail(c, path, "examples: expected an array");
        return DAOC_OK;
    case A_DEPRECATION:
        return parse_deprecation(c, path, v);
    case A_JSON_SCHEMA:
        return daoc__compile_json_schema(c, path, v, f);
    case A_BETWEEN:
        if (!daoc__c_is_list(v))
            return daoc__cfail(c, path, "between: expected an array");
        if (v->len != 2 || v->type != DAOC_TARR)
            return daoc__cfail(c, path, "between: length must be 2");
        if ((st = want_num(c, path, "between.1", v->u.a[0], &f->between[0])))
            return st;
        if ((st = want_num(c, path, "between.2", v->u.a[1], &f->between[1])))
            return st;
        f->has_between = true;
        return DAOC_OK;
    case A_EQ:
        return copy_value(v, &f->eq);
    case A_NE:
        return copy_value(v, &f->ne);
    case A_GT:
        f->has_gt = true;
        return want_num(c, path, an, v, &f->gt);
    case A_LEN_EQ:
        return want_int(c, path, an, v, &f->len_eq);
    case A_LEN_MIN:
        return want_int(c, path, an, v, &f->len_min);
    case A_LEN_MAX:
        return want_int(c, path, an, v, &f->len_max);
    case A_MATCH:
        if ((st = want_str(c, path, an, v, &f->match, &f->match_len)))
            return st;
        return check_pattern(c, path, an, f->match, f->match_len);
    case A_NOT_MATCH:
        if ((st = want_str(c, path, an, v, &f->not_match, &f->not_match_len)))
            return st;
        return check_pattern(c, path, an, f->not_match, f->not_match_len);
    case A_MATCH_ALL:
        return parse_pattern_list(c, path, an, v, &f->match_all, &f->n_match_all);
    case A_MATCH_NONE:
        return parse_pattern_list(c, path, an, v, &f->match_none, &f->n_match_none);
    case A_MATCH_ANY:
        return parse_match_any(c, path, v, f);
    case A_STARTS_WITH:
        return want_str(c, path, an, v, &f->starts_with, &f->starts_with_len);
    case A_ONE_OF:
    case A_NOT_ONE_OF:
        if (!daoc__c_is_list(v))
            return daoc__cfail(c, path, "%s: expected an array", an);
        return copy_value(v, id == A_ONE_OF ? &f->one_of : &f->not_one_of);
    case A_CONTAINS:
        return copy_value(v, &f->contains);
    case A_IS_REGEX:
        return want_bool(c, path, an, v, &f->is_regex);
    case A_TIMESTAMP:
        return want_bool(c, path, an, v, &f->timestamp);
    case A_UUID:
        return want_bool(c, path, an, v, &f->uuid);
    case A_LEGACY:
        return want_bool(c, path, an, v, &f->legacy);
    case A_CUSTOM_VALIDATOR:
        return parse_custom_validator(c, path, v, f);
    case A_DEFAULT_FN: /* legacy.c's form of a 0.x `default = function(t)` */
        if (v->type != DAOC_TFUNC)
            return daoc__cfail(c, path, "__default_fn: expected a function");
        daoc__callable_unref(f->default_fn);
        daoc__callable_ref(v->u.f);
        f->default_fn = v->u.f;
        return DAOC_OK;
    case A_MUTUALLY_EXCLUSIVE_SUBSETS:
        return parse_subsets(c, path, v, f);
    case A_ELEMENTS:
        return parse_sub(c, path, an, v, &f->elements);
    case A_KEYS:
        return parse_sub(c, path, an, v, &f->keys);
    case A_VALUES:
        return parse_sub(c, path, an, v, &f->values);
    default:
        return DAOC_OK;
    }
}

int daoc__compile_field(daoc__cctx *c, const char *path, const char *name, const daoc_value *def,
                        int flags, daoc__field *f)
{
    const daoc_value *tv, *nil, *v;
    int t, st;
    bool abstract;

    f->len_eq = f->len_min = f->len_max = -1;
    if (name) {
        f->name_len = strlen(name);
        f->name = daoc__strndup(name, f->name_len);
        if (!f->name)
            return DAOC_ENOMEM;
        f->iname = daoc__key_intern(f->name, f->name_len);
    }
    tv = daoc__obj_getn(def, "type", 4);
    if (!tv)
        return daoc__cfail(c, path, "missing type declaration");
    if (tv->type != DAOC_TSTR)
        return daoc__cfail(c, path, "type: expected a string");
    if (strcmp(tv->u.s, "function") == 0)
        return daoc__cfail(c, path, "Entities cannot have function types.");
    t = type_lookup(tv->u.s, tv->len);
    if (t < 0)
        return daoc__cfail(c, path, "invalid type: %s", tv->u.s);
    f->type = (daoc__ftype)t;
    nil = daoc__obj_getn(def, "nilable", 7);
    if (nil)
        return daoc__cfail(c, path, "Entities cannot have nilable types.");

    /* pass 1: unknown attributes */
    for (size_t i = 0; def->type == DAOC_TOBJ && i < def->len; i++) {
        const daoc__kv *kv = &def->u.o[i];
        int id = attr_lookup(kv->key, kv->klen);
        if (strcmp(kv->key, "shorthand_fields") == 0) {
            if (t != DAOC__F_RECORD)
                return daoc__cfail(c, path, "%s: unknown field", kv->key);
            continue; /* compiled with the record below */
        }
        if (id < 0 || ((id == A_FIELDS || id == A_ENTITY_CHECKS) && t != DAOC__F_RECORD))
            return daoc__cfail(c, path, "%s: unknown field", kv->key);
    }
    /* pass 2: attributes the type cannot carry */
    for (size_t i = 0; def->type == DAOC_TOBJ && i < def->len; i++) {
        int id = attr_lookup(def->u.o[i].key, def->u.o[i].klen);
        if (id < 0) /* a record's shorthand_fields */
            continue;
        if (ATTRS[id].types && !(ATTRS[id].types & T(t)))
            return daoc__cfail(c, path, "field of type '%s' cannot have attribute '%s'",
                               TYPE_NAMES[t], ATTRS[id].name);
    }
    /* pass 3: sub-definitions the type requires */
    v = daoc__obj_getn(def, "abstract", 8);
    abstract = v && v->type == DAOC_TBOOL && v->u.b;
    {
        static const struct {
            daoc__ftype t;
            const char *attr;
        } req[] = {{DAOC__F_ARRAY, "elements"}, {DAOC__F_SET, "elements"},
                   {DAOC__F_MAP, "keys"},       {DAOC__F_MAP, "values"},
                   {DAOC__F_RECORD, "fields"},  {DAOC__F_JSON, "json_schema"},
                   {DAOC__F_FOREIGN, "reference"}};
        for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
            if ((int)req[i].t != t || (t == DAOC__F_RECORD && abstract))
                continue;
            v = daoc_obj_get(def, req[i].attr);
            if (!v || (v->type == DAOC_TBOOL && !v->u.b))
                return daoc__cfail(c, path, "field of type '%s' must declare '%s'",
                                   TYPE_NAMES[t], req[i].attr);
        }
    }
    /* pass 4: values */
    for (size_t i = 0; def->type == DAOC_TOBJ && i < def->len; i++) {
        const daoc__kv *kv = &def->u.o[i];
        int id = attr_lookup(kv->key, kv->klen);
        if (id >= 0 && (st = parse_attr(c, path, id, kv->val, f)))
            return st;
    }

    if (f->unique_across_ws && !f->unique)
        return daoc__cfail(c, path, "unique: %s",
                           daoc__obj_getn(def, "unique", 6) ? "value must be true"
                                                            : "required field missing");
    if (t == DAOC__F_MAP && f->keys && f->keys->type != DAOC__F_STRING && !f->abstract)
        return daoc__cfail(c, path, "Entities map keys must be strings.");

    if (t == DAOC__F_RECORD) {
        const daoc_value *fields = daoc__obj_getn(def, "fields", 6);
        const daoc_value *checks = daoc__obj_getn(def, "entity_checks", 13);
        int sub = (flags & DAOC__CF_RECORDS_REQUIRED) && !f->abstract
                      ? DAOC__CF_RECORDS_REQUIRED
                      : 0;
        if ((flags & DAOC__CF_RECORDS_REQUIRED) && !f->abstract && !f->required_set)
            f->required = true;
        f->record = daoc__calloc(1, sizeof *f->record);
        if (!f->record)
            return DAOC_ENOMEM;
        f->record->is_record = true;
        f->record->endpoint_key = -1;
        if (fields && (st = daoc__compile_fields(c, path, fields, sub, f->record)))
            return st;
        if (checks) {
            char *cp = daoc__c_join(path, "entity_checks");
            if (!cp)
                return DAOC_ENOMEM;
            st = daoc__compile_checks(c, cp, checks, fields, sub, f->record);
            daoc__free(cp);
            if (st)
                return st;
        }
        const daoc_value *sh = daoc__obj_getn(def, "shorthand_fields", 16);
        if (sh && (st = daoc__compile_shorthands(c, path, sh, f->record)))
            return st;
    }
    if (t == DAOC__F_FOREIGN && (st = resolve_foreign(c, path, f)))
        return st;
    return DAOC_OK;
}

static void free_sub(daoc__field *f)
{
    if (f) {
        daoc__field_clear(f);
        daoc__free(f);
    }
}

void daoc__field_clear(daoc__field *f)
{
    if (!f)
        return;
    daoc__free(f->name);
    daoc_value_free(f->def);
    daoc__free(f->err);
    daoc_value_free(f->eq);
    daoc_value_free(f->ne);
    daoc_value_free(f->not_one_of);
    daoc_value_free(f->one_of);
    daoc__free(f->starts_with);
    daoc__free(f->not_match);
    daoc__free(f->match);
    for (size_t i = 0; i < f->n_match_none; i++) {
        daoc__free(f->match_none[i].pattern);
        daoc__free(f->match_none[i].err);
    }
    daoc__free(f->match_none);
    for (size_t i = 0; i < f->n_match_all; i++) {
        daoc__free(f->match_all[i].pattern);
        daoc__free(f->match_all[i].err);
    }
    daoc__free(f->match_all);
    daoc__c_strlist_free(f->match_any, f->n_match_any);
    daoc__free(f->match_any_len);
    daoc__free(f->match_any_err);
    daoc_value_free(f->contains);
    daoc_value_free(f->mutually_exclusive_subsets);
    daoc__json_schema_free(f->json_schema);
    daoc__callable_unref(f->custom_validator);
    daoc__callable_unref(f->default_fn);
    free_sub(f->elements);
    free_sub(f->keys);
    free_sub(f->values);
    daoc__schema_free(f->record);
    daoc__free(f->reference);
    daoc__free(f->column);
    memset(f, 0, sizeof *f);
}
