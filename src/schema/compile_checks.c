/*
 * compile_checks.c -- the `entity_checks` array of a definition turned into
 * daoc__check structs, with the metaschema rules Kong applies to it: each
 * element holds exactly one known checker, each checker its documented
 * arguments.  As in Kong, the field lists of a checker may name fields the
 * schema lacks (the metaschema does not look): at validation such a field
 * is always absent, with Kong's consequences ("field required for entity
 * check", or the checker's own message).  The if_field / then_field of
 * conditional checks must exist: their matchers inherit that field's
 * definition.
 *
 * The `if_match` / `then_match` / `else_match` tables of conditional checks
 * are compiled as full fields: the named field's definition with the given
 * validators laid over it, which is what Kong's `__index` inheritance amounts
 * to.  Running the checks is checks.c's business, not this file's.
 */
#include <string.h>

#include "core/alloc.h"
#include "schema/compile_internal.h"

static const char *const CHECKERS[] = {
    [DAOC__CHECK_AT_LEAST_ONE_OF] = "at_least_one_of",
    [DAOC__CHECK_CONDITIONAL_AT_LEAST_ONE_OF] = "conditional_at_least_one_of",
    [DAOC__CHECK_ONLY_ONE_OF] = "only_one_of",
    [DAOC__CHECK_DISTINCT] = "distinct",
    [DAOC__CHECK_CONDITIONAL] = "conditional",
    [DAOC__CHECK_CUSTOM_ENTITY_CHECK] = "custom_entity_check",
    [DAOC__CHECK_MUTUALLY_REQUIRED] = "mutually_required",
    [DAOC__CHECK_MUTUALLY_EXCLUSIVE] = "mutually_exclusive",
    [DAOC__CHECK_MUTUALLY_EXCLUSIVE_SETS] = "mutually_exclusive_sets",
};
#define N_CHECKERS ((int)(sizeof CHECKERS / sizeof CHECKERS[0]))

/* Attributes a conditional matcher may set (Kong's conditional_validators). */
static const char *const MATCH_ATTRS[] = {
    "required",   "elements",  "keys",       "values",      "between",    "eq",
    "ne",         "gt",        "len_eq",     "len_min",     "len_max",    "match",
    "not_match",  "match_all", "match_none", "match_any",   "starts_with", "one_of",
    "not_one_of", "contains",  "is_regex",   "timestamp",   "uuid",       "custom_validator",
    "mutually_exclusive_subsets",
};

typedef struct cstate {
    daoc__cctx *c;
    const char *path; /* "entity_checks.N.<checker>" */
    const daoc_value *fields; /* definition's fields array */
    const daoc__schema *s;
    int flags;
} cstate;

static int check_name(cstate *st, const char *attr, const char *name)
{
    bool via_foreign = false;
    if (!daoc__c_find_field_def(st->fields, name, strlen(name), &via_foreign))
        return daoc__cfail(st->c, st->path, "%s%sinvalid field name: %s", attr ? attr : "",
                           attr ? ": " : "", name);
    return DAOC_OK;
}

/* A checker's list of field names; unknown names are kept (see above). */
static int names(cstate *st, const char *attr, const daoc_value *v, char ***out, size_t *n)
{
    return daoc__c_strlist(st->c, st->path, attr, v, out, n);
}

static int str_arg(cstate *st, const char *attr, const daoc_value *v, char **out)
{
    if (v->type != DAOC_TSTR)
        return daoc__cfail(st->c, st->path, "%s: expected a string", attr);
    daoc__free(*out);
    *out = daoc__strndup(v->u.s, v->len);
    return *out ? DAOC_OK : DAOC_ENOMEM;
}

/* Appends the names of `add` to the check's involved-field list. */
static int add_fields(daoc__check *k, char *const *add, size_t n)
{
    char **nf;
    if (n == 0)
        return DAOC_OK;
    nf = daoc__realloc(k->fields, (k->nfields + n) * sizeof *nf);
    if (!nf)
        return DAOC_ENOMEM;
    k->fields = nf;
    for (size_t i = 0; i < n; i++) {
        if (!(nf[k->nfields] = daoc__strdup(add[i])))
            return DAOC_ENOMEM;
        k->nfields++;
    }
    return DAOC_OK;
}

static bool is_match_attr(const char *k)
{
    for (size_t i = 0; i < sizeof MATCH_ATTRS / sizeof MATCH_ATTRS[0]; i++)
        if (strcmp(MATCH_ATTRS[i], k) == 0)
            return true;
    return false;
}

/* if_match & co.: the definition of `fname` with `overlay` laid over it. */
static int matcher(cstate *st, const char *attr, const char *fname, const daoc_value *overlay,
                   daoc__field **out)
{
    const daoc_value *base;
    const daoc__field *cbase;
    daoc_value *merged = NULL;
    char *mpath = NULL;
    bool via_foreign = false;
    int rc;

    if (!daoc__c_is_map(overlay))
        return daoc__cfail(st->c, st->path, "%s: expected a record", attr);
    for (size_t i = 0; overlay->type == DAOC_TOBJ && i < overlay->len; i++)
        if (!is_match_attr(overlay->u.o[i].key))
            return daoc__cfail(st->c, st->path, "%s.%s: unknown field", attr,
                               overlay->u.o[i].key);
    base = daoc__c_find_field_def(st->fields, fname, strlen(fname), &via_foreign);
    if (!base)
        return daoc__cfail(st->c, st->path, "invalid field name: %s", fname);
    if (via_foreign)
        return daoc__cfail(st->c, st->path,
                           "%s: conditions on fields of a foreign entity are not supported", attr);
    merged = daoc_value_copy(base);
    mpath = daoc__asprintf("%s.%s", st->path, attr);
    *out = daoc__calloc(1, sizeof **out);
    rc = DAOC_ENOMEM;
    if (!merged || !mpath || !*out)
        goto done;
    if (merged->type != DAOC_TOBJ) { /* an empty table: no definition to inherit */
        daoc_value_free(merged);
        if (!(merged = daoc_obj()))
            goto done;
    }
    for (size_t i = 0; overlay->type == DAOC_TOBJ && i < overlay->len; i++) {
        daoc_value *cp = daoc_value_copy(overlay->u.o[i].val);
        if (!cp || daoc__obj_setn(merged, overlay->u.o[i].key, overlay->u.o[i].klen, cp) != DAOC_OK)
            goto done;
    }
    rc = daoc__compile_field(st->c, mpath, fname, merged, st->flags, *out);
    if (rc == DAOC_OK && !daoc__obj_getn(overlay, "required", 8)) {
        cbase = daoc__schema_field(st->s, fname, strlen(fname));
        if (cbase) {
            (*out)->required = cbase->required;
            (*out)->required_set = cbase->required_set;
        }
    }
done:
    daoc_value_free(merged);
    daoc__free(mpath);
    return rc;
}

/* Reads the record argument of a checker: each known key goes to `fn`. */
typedef int (*arg_fn)(cstate *st, daoc__check *k, const char *key, const daoc_value *v);

static int record_arg(cstate *st, daoc__check *k, const daoc_value *arg, arg_fn fn)
{
    if (!daoc__c_is_map(arg))
        return daoc__cfail(st->c, st->path, "expected a record");
    for (size_t i = 0; arg->type == DAOC_TOBJ && i < arg->len; i++) {
        int rc = fn(st, k, arg->u.o[i].key, arg->u.o[i].val);
        if (rc)
            return rc;
    }
    return DAOC_OK;
}

static int conditional_arg(cstate *st, daoc__check *k, const char *key, const daoc_value *v)
{
    if (strcmp(key, "if_field") == 0)
        return str_arg(st, key, v, &k->if_field);
    if (strcmp(key, "then_field") == 0)
        return str_arg(st, key, v, &k->then_field);
    if (strcmp(key, "then_err") == 0)
        return str_arg(st, key, v, &k->then_err);
    if (strcmp(key, "if_match") == 0 || strcmp(key, "then_match") == 0)
        return DAOC_OK; /* compiled once the field names are known */
    return daoc__cfail(st->c, st->path, "%s: unknown field", key);
}

static int cond_alo_arg(cstate *st, daoc__check *k, const char *key, const daoc_value *v)
{
    if (strcmp(key, "if_field") == 0)
        return str_arg(st, key, v, &k->if_field);
    if (strcmp(key, "then_err") == 0)
        return str_arg(st, key, v, &k->then_err);
    if (strcmp(key, "else_then_err") == 0)
        return str_arg(st, key, v, &k->else_then_err);
    if (strcmp(key, "then_at_least_one_of") == 0)
        return names(st, key, v, &k->then_at_least_one_of, &k->n_then);
    if (strcmp(key, "else_then_at_least_one_of") == 0)
        return names(st, key, v, &k->else_then_at_least_one_of, &k->n_else_then);
    if (strcmp(key, "if_match") == 0 || strcmp(key, "else_match") == 0)
        return DAOC_OK;
    return daoc__cfail(st->c, st->path, "%s: unknown field", key);
}

static int custom_arg(cstate *st, daoc__check *k, const char *key, const daoc_value *v)
{
    if (strcmp(key, "field_sources") == 0)
        return names(st, key, v, &k->fields, &k->nfields);
    if (strcmp(key, "fn") == 0) {
        /* a string names a built-in check (JSON definitions of core entities) */
        if (v->type == DAOC_TSTR && strlen(v->u.s) == v->len && daoc__builtin_known(v->u.s)) {
            daoc__callable_unref(k->fn);
            k->fn = daoc__builtin_validator(v->u.s);
            return k->fn ? DAOC_OK : DAOC_ENOMEM;
        }
        if (v->type != DAOC_TFUNC)
            return daoc__cfail(st->c, st->path, "fn: expected a function");
        daoc__callable_unref(k->fn);
        daoc__callable_ref(v->u.f);
        k->fn = v->u.f;
        return DAOC_OK;
    }
    if (strcmp(key, "run_with_missing_fields") == 0 || strcmp(key, "run_with_invalid_fields") == 0) {
        if (v->type != DAOC_TBOOL)
            return daoc__cfail(st->c, st->path, "%s: expected a boolean", key);
        if (key[9] == 'm')
            k->run_with_missing_fields = v->u.b;
        else
            k->run_with_invalid_fields = v->u.b;
        return DAOC_OK;
    }
    return daoc__cfail(st->c, st->path, "%s: unknown field", key);
}

static int sets_arg(cstate *st, daoc__check *k, const char *key, const daoc_value *v)
{
    if (strcmp(key, "set1") == 0)
        return names(st, key, v, &k->set1, &k->nset1);
    if (strcmp(key, "set2") == 0)
        return names(st, key, v, &k->set2, &k->nset2);
    return daoc__cfail(st->c, st->path, "%s: unknown field", key);
}

static int required_arg(cstate *st, const void *have, const char *key)
{
    if (!have)
        return daoc__cfail(st->c, st->path, "%s: required field missing", key);
    return DAOC_OK;
}

static int one_check(cstate *st, daoc__check *k, const daoc_value *arg)
{
    const daoc_value *m;
    int rc;

    switch (k->kind) {
    case DAOC__CHECK_AT_LEAST_ONE_OF:
    case DAOC__CHECK_ONLY_ONE_OF:
    case DAOC__CHECK_DISTINCT:
    case DAOC__CHECK_MUTUALLY_REQUIRED:
    case DAOC__CHECK_MUTUALLY_EXCLUSIVE:
        return names(st, NULL, arg, &k->fields, &k->nfields);
    case DAOC__CHECK_CONDITIONAL:
        if ((rc = record_arg(st, k, arg, conditional_arg)) ||
            (rc = required_arg(st, k->if_field, "if_field")) ||
            (rc = required_arg(st, daoc_obj_get(arg, "if_match"), "if_match")) ||
            (rc = required_arg(st, k->then_field, "then_field")) ||
            (rc = required_arg(st, daoc_obj_get(arg, "then_match"), "then_match")) ||
            (rc = check_name(st, "if_field", k->if_field)) ||
            (rc = check_name(st, "then_field", k->then_field)))
            return rc;
        if ((rc = matcher(st, "if_match", k->if_field, daoc_obj_get(arg, "if_match"),
                          &k->if_match)) ||
            (rc = matcher(st, "then_match", k->then_field, daoc_obj_get(arg, "then_match"),
                          &k->then_match)))
            return rc;
        if ((rc = add_fields(k, &k->if_field, 1)))
            return rc;
        return add_fields(k, &k->then_field, 1);
    case DAOC__CHECK_CONDITIONAL_AT_LEAST_ONE_OF:
        if ((rc = record_arg(st, k, arg, cond_alo_arg)) ||
            (rc = required_arg(st, k->if_field, "if_field")) ||
            (rc = required_arg(st, daoc_obj_get(arg, "if_match"), "if_match")) ||
            (rc = required_arg(st, k->then_at_least_one_of, "then_at_least_one_of")) ||
            (rc = check_name(st, "if_field", k->if_field)))
            return rc;
        if ((rc = matcher(st, "if_match", k->if_field, daoc_obj_get(arg, "if_match"),
                          &k->if_match)))
            return rc;
        m = daoc_obj_get(arg, "else_match");
        if (m && (rc = matcher(st, "else_match", k->if_field, m, &k->else_match)))
            return rc;
        if ((rc = add_fields(k, &k->if_field, 1)) ||
            (rc = add_fields(k, k->then_at_least_one_of, k->n_then)))
            return rc;
        return add_fields(k, k->else_then_at_least_one_of, k->n_else_then);
    case DAOC__CHECK_CUSTOM_ENTITY_CHECK:
        if ((rc = record_arg(st, k, arg, custom_arg)) ||
            (rc = required_arg(st, k->fields, "field_sources")))
            return rc;
        return required_arg(st, k->fn, "fn");
    case DAOC__CHECK_MUTUALLY_EXCLUSIVE_SETS:
        if ((rc = record_arg(st, k, arg, sets_arg)) || (rc = required_arg(st, k->set1, "set1")) ||
            (rc = required_arg(st, k->set2, "set2")) || (rc = add_fields(k, k->set1, k->nset1)))
            return rc;
        return add_fields(k, k->set2, k->nset2);
    }
    return DAOC_OK;
}

static int checker_lookup(const daoc__kv *kv)
{
    for (int i = 1; i < N_CHECKERS; i++)
        if (strlen(CHECKERS[i]) == kv->klen && memcmp(CHECKERS[i], kv->key, kv->klen) == 0)
            return i;
    return -1;
}

int daoc__compile_checks(daoc__cctx *c, const char *path, const daoc_value *checks,
                         const daoc_value *fields, int flags, daoc__schema *s)
{
    size_t n;
    char *epath = NULL;
    int rc = DAOC_OK;

    if (!daoc__c_is_list(checks))
        return daoc__cfail(c, path, "expected an array");
    n = checks->type == DAOC_TARR ? checks->len : 0;
    if (n == 0)
        return DAOC_OK;
    s->checks = daoc__calloc(n, sizeof *s->checks);
    if (!s->checks)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const daoc_value *e = checks->u.a[i];
        cstate st = {c, NULL, fields, s, flags};
        int kind;

        daoc__free(epath);
        epath = daoc__asprintf("%s.%zu", path, i + 1);
        if (!epath) {
            rc = DAOC_ENOMEM;
            break;
        }
        if (!daoc__c_is_map(e)) {
            rc = daoc__cfail(c, epath, "expected a record");
            break;
        }
        for (size_t j = 0; e->type == DAOC_TOBJ && j < e->len; j++)
            if (checker_lookup(&e->u.o[j]) < 0) {
                rc = daoc__cfail(c, epath, "%s: unknown field", e->u.o[j].key);
                goto done;
            }
        if (e->type != DAOC_TOBJ || e->len != 1) {
            rc = daoc__cfail(c, epath,
                             "exactly one of these fields must be non-empty: 'at_least_one_of', "
                             "'conditional_at_least_one_of', 'only_one_of', 'distinct', "
                             "'conditional', 'custom_entity_check', 'mutually_required', "
                             "'mutually_exclusive', 'mutually_exclusive_sets'");
            break;
        }
        kind = checker_lookup(&e->u.o[0]);
        daoc__free(epath);
        epath = daoc__asprintf("%s.%zu.%s", path, i + 1, CHECKERS[kind]);
        if (!epath) {
            rc = DAOC_ENOMEM;
            break;
        }
        st.path = epath;
        s->nchecks = i + 1;
        s->checks[i].kind = (daoc__check_kind)kind;
        if ((rc = one_check(&st, &s->checks[i], e->u.o[0].val)))
            break;
    }
done:
    daoc__free(epath);
    return rc;
}

static void free_matcher(daoc__field *f)
{
    if (f) {
        daoc__field_clear(f);
        daoc__free(f);
    }
}

void daoc__checks_free(daoc__check *checks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        daoc__check *k = &checks[i];
        daoc__c_strlist_free(k->fields, k->nfields);
        daoc__c_strlist_free(k->set1, k->nset1);
        daoc__c_strlist_free(k->set2, k->nset2);
        daoc__free(k->if_field);
        free_matcher(k->if_match);
        daoc__free(k->then_field);
        free_matcher(k->then_match);
        daoc__c_strlist_free(k->then_at_least_one_of, k->n_then);
        daoc__free(k->then_err);
        free_matcher(k->else_match);
        daoc__c_strlist_free(k->else_then_at_least_one_of, k->n_else_then);
        daoc__free(k->else_then_err);
        daoc__callable_unref(k->fn);
    }
    daoc__free(checks);
}
