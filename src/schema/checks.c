/*
 * checks.c -- Kong's entity checkers (run_entity_check and the
 * Schema.entity_checkers table): at_least_one_of,
 * conditional_at_least_one_of, only_one_of, distinct, conditional,
 * custom_entity_check, mutually_required, mutually_exclusive and
 * mutually_exclusive_sets.
 *
 * Each check names the fields it involves.  The run rules are Kong's: skip
 * when an involved field already has an error (unless the checker runs with
 * invalid fields), skip when every involved field is absent (unless the
 * checker runs with missing fields on a full check), and report "field
 * required for entity check" for required involved fields that are absent.
 * Messages go to errors["@entity"]; update runs use the "when updating"
 * variants.  Field validation itself lives in validate_field.c.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "schema/validate_internal.h"

/* The field names a check involves, as Kong's field_sources. */
typedef struct group {
    char *const *names;
    size_t n;
    bool required;
} group;

typedef struct plan {
    group g[3];
    size_t ng;
    bool missing_ok, invalid_ok;
} plan;

static void make_plan(const daoc__check *ck, plan *p)
{
    memset(p, 0, sizeof *p);
    switch (ck->kind) {
    case DAOC__CHECK_AT_LEAST_ONE_OF:
        p->g[p->ng++] = (group){ck->fields, ck->nfields, true};
        p->missing_ok = p->invalid_ok = true;
        break;
    case DAOC__CHECK_CONDITIONAL_AT_LEAST_ONE_OF:
        /* Kong lists its required_fields as an array: nothing is required */
        if (ck->if_field)
            p->g[p->ng++] = (group){&ck->if_field, 1, false};
        p->g[p->ng++] = (group){ck->then_at_least_one_of, ck->n_then, false};
        p->g[p->ng++] = (group){ck->else_then_at_least_one_of, ck->n_else_then, false};
        p->missing_ok = p->invalid_ok = true;
        break;
    case DAOC__CHECK_ONLY_ONE_OF:
    case DAOC__CHECK_DISTINCT:
        p->g[p->ng++] = (group){ck->fields, ck->nfields, true};
        p->invalid_ok = true;
        break;
    case DAOC__CHECK_CONDITIONAL:
        if (ck->if_field)
            p->g[p->ng++] = (group){&ck->if_field, 1, true};
        if (ck->then_field)
            p->g[p->ng++] = (group){&ck->then_field, 1, false};
        p->invalid_ok = true;
        break;
    case DAOC__CHECK_CUSTOM_ENTITY_CHECK:
        p->g[p->ng++] = (group){ck->fields, ck->nfields, true};
        break;
    case DAOC__CHECK_MUTUALLY_REQUIRED:
    case DAOC__CHECK_MUTUALLY_EXCLUSIVE:
        p->g[p->ng++] = (group){ck->fields, ck->nfields, true};
        p->missing_ok = true;
        break;
    case DAOC__CHECK_MUTUALLY_EXCLUSIVE_SETS:
        p->g[p->ng++] = (group){ck->set1, ck->nset1, false};
        p->g[p->ng++] = (group){ck->set2, ck->nset2, false};
        p->missing_ok = true;
        break;
    }
}

static bool nonempty(const daoc_value *in, const char *name)
{
    return !daoc__value_is_empty(daoc__vget_path(in, name));
}

static size_t count_nonempty(const daoc_value *in, char *const *names, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += nonempty(in, names[i]);
    return k;
}

/* "<prefix><text>'a', 'b'" as a new heap string. */
static char *list_msg(const char *prefix, const char *text, char *const *names, size_t n)
{
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_puts(&b, prefix);
    daoc__buf_puts(&b, text);
    daoc__quoted_list(&b, names, n);
    return daoc__buf_take(&b, NULL);
}

static char *list_fmt(const char *fmt, char *const *names, size_t n)
{
    daoc__buf b = DAOC__BUF_INIT;
    daoc__quoted_list(&b, names, n);
    char *list = daoc__buf_take(&b, NULL);
    if (!list)
        return NULL;
    char *m = daoc__lua_format1(fmt, list);
    daoc__free(list);
    return m;
}

/* Does `v` pass matcher m?  Sets *ok. */
static int matches(const daoc__vctx *c, const daoc__field *m, const daoc_value *v, bool *ok)
{
    daoc_value *e = NULL;
    int rc = daoc__vfield(c, m, v, false, &e);
    *ok = rc == DAOC_OK && !e;
    daoc_value_free(e);
    return rc;
}

static int cond_at_least_one_of(const daoc__vctx *c, const daoc__check *ck, const daoc_value *in,
                                char **msg)
{
    const char *upd = c->update ? "when updating, " : "";
    const char *text = "at least one of these fields must be non-empty: ";
    const daoc_value *if_value = ck->if_field ? daoc__vget_path(in, ck->if_field) : NULL;
    if (!if_value || !ck->if_match)
        return DAOC_OK;
    bool ok;
    if (matches(c, ck->if_match, if_value, &ok) != DAOC_OK)
        return DAOC_ENOMEM;
    if (!ok) {
        if (!ck->else_match)
            return DAOC_OK;
        if (matches(c, ck->else_match, if_value, &ok) != DAOC_OK)
            return DAOC_ENOMEM;
        if (!ok || count_nonempty(in, ck->else_then_at_least_one_of, ck->n_else_then))
            return DAOC_OK;
        *msg = ck->else_then_err
                   ? list_fmt(ck->else_then_err, ck->else_then_at_least_one_of, ck->n_else_then)
                   : list_msg(upd, text, ck->else_then_at_least_one_of, ck->n_else_then);
        return *msg ? DAOC_OK : DAOC_ENOMEM;
    }
    if (count_nonempty(in, ck->then_at_least_one_of, ck->n_then))
        return DAOC_OK;
    *msg = ck->then_err ? list_fmt(ck->then_err, ck->then_at_least_one_of, ck->n_then)
                        : list_msg(upd, text, ck->then_at_least_one_of, ck->n_then);
    return *msg ? DAOC_OK : DAOC_ENOMEM;
}

static int conditional(const daoc__vctx *c, const daoc__check *ck, const daoc_value *in,
                       daoc_value **errors, char **msg)
{
    if (!ck->if_field || !ck->then_field || !ck->if_match || !ck->then_match)
        return DAOC_OK;
    const daoc_value *if_value = daoc__vget_path(in, ck->if_field);
    const daoc_value *then_value = daoc__vget_path(in, ck->then_field);
    static const daoc_value null_value = {.type = DAOC_TNULL};
    if (!then_value)
        then_value = &null_value;
    bool ok;
    if (matches(c, ck->if_match, if_value, &ok) != DAOC_OK)
        return DAOC_ENOMEM;
    if (!ok)
        return DAOC_OK;
    if (ck->then_match->required && then_value->type == DAOC_TNULL) {
        if (daoc__verr_set_path(errors, ck->then_field, daoc_str("required field missing")) !=
            DAOC_OK)
            return DAOC_ENOMEM;
        *msg = daoc__lua_format1("failed conditional validation given value of field '%s'",
                                 ck->if_field);
        return *msg ? DAOC_OK : DAOC_ENOMEM;
    }
    daoc_value *e = NULL;
    if (daoc__vfield(c, ck->then_match, then_value, false, &e) != DAOC_OK)
        return DAOC_ENOMEM;
    if (!e)
        return DAOC_OK;
    if (daoc__verr_set_path(errors, ck->then_field, e) != DAOC_OK)
        return DAOC_ENOMEM;
    *msg = daoc__lua_format1(ck->then_err ? ck->then_err
                                          : "failed conditional validation given value of "
                                            "field '%s'",
                             ck->if_field);
    return *msg ? DAOC_OK : DAOC_ENOMEM;
}

static bool scalar(const daoc_value *v)
{
    return v->type != DAOC_TARR && v->type != DAOC_TOBJ;
}

static bool distinct(const daoc__check *ck, const daoc_value *in)
{
    for (size_t i = 0; i < ck->nfields; i++) {
        const daoc_value *a = daoc__vget_path(in, ck->fields[i]);
        if (daoc__value_is_empty(a) || !scalar(a))
            continue; /* tables compare by identity in Lua: never equal */
        for (size_t k = 0; k < i; k++) {
            const daoc_value *b = daoc__vget_path(in, ck->fields[k]);
            if (!daoc__value_is_empty(b) && scalar(b) && daoc__value_equal(a, b))
                return false;
        }
    }
    return true;
}

/* Kong's set_field(check_input, name, value): dotted names create the
 * intermediate tables even when the value is absent. */
static int proj_set(daoc_value *proj, const char *name, const daoc_value *v)
{
    const char *dot;
    while ((dot = strchr(name, '.')) != NULL) {
        size_t hl = (size_t)(dot - name);
        daoc_value *sub = daoc__obj_getn(proj, name, hl);
        if (!sub) {
            sub = daoc_obj();
            if (!sub || daoc__obj_setn(proj, name, hl, sub) != DAOC_OK)
                return DAOC_ENOMEM;
        } else if (sub->type != DAOC_TOBJ) {
            return DAOC_OK;
        }
        proj = sub;
        name = dot + 1;
    }
    if (!v)
        return DAOC_OK;
    daoc_value *copy = daoc_value_copy(v);
    if (!copy)
        return DAOC_ENOMEM;
    return daoc__obj_setn(proj, name, strlen(name), copy);
}

static int custom(const daoc__check *ck, const daoc_value *in, char **msg)
{
    if (!ck->fn)
        return DAOC_OK;
    daoc_value *proj = daoc_obj();
    if (!proj)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < ck->nfields; i++) {
        if (proj_set(proj, ck->fields[i], daoc__vget_path(in, ck->fields[i])) != DAOC_OK) {
            daoc_value_free(proj);
            return DAOC_ENOMEM;
        }
    }
    const daoc_value *args[1] = {proj};
    char *m = NULL;
    int rc = ck->fn->call(ck->fn, args, 1, NULL, &m);
    daoc_value_free(proj);
    if (rc == 1) {
        daoc__free(m);
        return DAOC_OK;
    }
    if (rc == DAOC_ENOMEM) {
        daoc__free(m);
        return DAOC_ENOMEM;
    }
    if (m) {
        *msg = m;
        return DAOC_OK;
    }
    /* Kong: ENTITY_CHECK with pretty.write({ name = arg }), whitespace folded */
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_puts(&b, "failed entity check: custom_entity_check({ name = { field_sources = { ");
    for (size_t i = 0; i < ck->nfields; i++)
        daoc__buf_printf(&b, "%s\"%s\"", i ? ", " : "", ck->fields[i]);
    daoc__buf_puts(&b, " } } })");
    *msg = daoc__buf_take(&b, NULL);
    return *msg ? DAOC_OK : DAOC_ENOMEM;
}

static int mutually_exclusive_sets(const daoc__check *ck, const daoc_value *in, char **msg)
{
    daoc__buf b = DAOC__BUF_INIT;
    size_t n1 = count_nonempty(in, ck->set1, ck->nset1);
    size_t n2 = count_nonempty(in, ck->set2, ck->nset2);
    if (!n1 || !n2)
        return DAOC_OK;
    daoc__buf_puts(&b, "these sets are mutually exclusive: (");
    for (int s = 0; s < 2; s++) {
        char *const *names = s ? ck->set2 : ck->set1;
        size_t n = s ? ck->nset2 : ck->nset1;
        bool first = true;
        if (s)
            daoc__buf_puts(&b, "), (");
        for (size_t i = 0; i < n; i++) {
            if (!nonempty(in, names[i]))
                continue;
            daoc__buf_printf(&b, "%s'%s'", first ? "" : ", ", names[i]);
            first = false;
        }
    }
    daoc__buf_putc(&b, ')');
    *msg = daoc__buf_take(&b, NULL);
    return *msg ? DAOC_OK : DAOC_ENOMEM;
}

static int run_check(const daoc__vctx *c, const daoc__schema *s, const daoc__check *ck,
                     const daoc_value *in, bool full, daoc_value **errors)
{
    plan p;
    make_plan(ck, &p);
    bool missing_ok = p.missing_ok || ck->run_with_missing_fields;
    bool invalid_ok = p.invalid_ok || ck->run_with_invalid_fields;
    bool all_nil = true, all_ok = true, any_missing = false;

    for (size_t g = 0; g < p.ng; g++) {
        for (size_t i = 0; i < p.g[g].n; i++) {
            const char *name = p.g[g].names[i];
            const daoc_value *v = daoc__vget_path(in, name);
            if (!v) {
                if (!missing_ok && p.g[g].required)
                    any_missing = true;
            } else {
                all_nil = false;
                if (v->type == DAOC_TSTR && daoc__is_reference(v->u.s, v->len)) {
                    const daoc__field *f = daoc__vfield_path(s, name);
                    if (f && f->type == DAOC__F_STRING && f->referenceable)
                        return DAOC_OK;
                }
            }
            if (*errors && daoc__obj_getn(*errors, name, strlen(name)))
                all_ok = false;
        }
    }
    if (!all_ok && !invalid_ok)
        return DAOC_OK;
    if (all_nil && !(p.missing_ok && full))
        return DAOC_OK;
    if (any_missing) {
        const char *m = c->update ? "field required for entity check when updating"
                                  : "field required for entity check";
        for (size_t g = 0; g < p.ng; g++)
            for (size_t i = 0; i < p.g[g].n; i++)
                if (p.g[g].required && !daoc__vget_path(in, p.g[g].names[i]) &&
                    daoc__verr_set_path(errors, p.g[g].names[i], daoc_str(m)) != DAOC_OK)
                    return DAOC_ENOMEM;
        return DAOC_OK;
    }

    char *msg = NULL;
    int rc = DAOC_OK;
    switch (ck->kind) {
    case DAOC__CHECK_AT_LEAST_ONE_OF:
        if (!count_nonempty(in, ck->fields, ck->nfields)) {
            msg = list_msg(c->update ? "when updating, " : "",
                           "at least one of these fields must be non-empty: ", ck->fields,
                           ck->nfields);
            rc = msg ? DAOC_OK : DAOC_ENOMEM;
        }
        break;
    case DAOC__CHECK_CONDITIONAL_AT_LEAST_ONE_OF:
        rc = cond_at_least_one_of(c, ck, in, &msg);
        break;
    case DAOC__CHECK_ONLY_ONE_OF:
        if (count_nonempty(in, ck->fields, ck->nfields) != 1) {
            msg = list_msg("", "exactly one of these fields must be non-empty: ", ck->fields,
                           ck->nfields);
            rc = msg ? DAOC_OK : DAOC_ENOMEM;
        }
        break;
    case DAOC__CHECK_DISTINCT:
        if (!distinct(ck, in)) {
            msg =
                list_msg("", "values of these fields must be distinct: ", ck->fields, ck->nfields);
            rc = msg ? DAOC_OK : DAOC_ENOMEM;
        }
        break;
    case DAOC__CHECK_CONDITIONAL:
        rc = conditional(c, ck, in, errors, &msg);
        break;
    case DAOC__CHECK_CUSTOM_ENTITY_CHECK:
        rc = custom(ck, in, &msg);
        break;
    case DAOC__CHECK_MUTUALLY_REQUIRED: {
        size_t k = count_nonempty(in, ck->fields, ck->nfields);
        if (k != 0 && k != ck->nfields) {
            msg =
                list_msg("", "all or none of these fields must be set: ", ck->fields, ck->nfields);
            rc = msg ? DAOC_OK : DAOC_ENOMEM;
        }
        break;
    }
    case DAOC__CHECK_MUTUALLY_EXCLUSIVE:
        if (count_nonempty(in, ck->fields, ck->nfields) > 1) {
            msg = list_msg("", "only one or none of these fields must be set: ", ck->fields,
                           ck->nfields);
            rc = msg ? DAOC_OK : DAOC_ENOMEM;
        }
        break;
    case DAOC__CHECK_MUTUALLY_EXCLUSIVE_SETS:
        rc = mutually_exclusive_sets(ck, in, &msg);
        break;
    }
    if (rc != DAOC_OK || !msg)
        return rc;
    return daoc__verr_entity(errors, msg);
}

int daoc__run_entity_checks(const daoc__vctx *c, const daoc__schema *s, const daoc_value *in,
                            bool full, daoc_value **errors)
{
    for (size_t i = 0; i < s->nchecks; i++) {
        int rc = run_check(c, s, &s->checks[i], in, full, errors);
        if (rc != DAOC_OK)
            return rc;
    }
    /* a subschema's entity checks run after the parent's (its `check`
     * function does not: Kong only calls the parent's) */
    const daoc__schema *sub = s->subschema_key ? daoc__subschema_of(s, in) : NULL;
    for (size_t i = 0; sub && i < sub->nchecks; i++) {
        int rc = run_check(c, sub, &sub->checks[i], in, full, errors);
        if (rc != DAOC_OK)
            return rc;
    }
    if (s->self_check && full)
        return daoc__run_self_check(c, s, in, errors);
    return DAOC_OK;
}
