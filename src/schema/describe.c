/*
 * describe.c -- a compiled schema as a value shaped like Kong's schema
 * table (what Kong's Admin API serves at /schemas/<entity>): entity
 * attributes, then `fields` as an array of one-key objects in definition
 * order, each holding the attributes that are set (type first).  Built from
 * the compiled schema, not the text it came from, so what it shows is what
 * daoc enforces: records are required unless declared otherwise, foreign
 * fields name their resolved reference and on_delete, defaults are the
 * compiled values.  Lua functions (custom validators, custom entity checks)
 * cannot be values: they appear as `true`.
 */
#include "schema/schema.h"

#include <string.h>

#include "core/value.h"

typedef struct {
    bool failed;
} builder;

/* o[key] = item; item NULL or a failed set marks the builder failed. */
static void put(builder *b, daoc_value *o, const char *key, daoc_value *item)
{
    if (!item || daoc_obj_set(o, key, item) != DAOC_OK)
        b->failed = true;
}

static void push(builder *b, daoc_value *a, daoc_value *item)
{
    if (!item || daoc_arr_push(a, item) != DAOC_OK)
        b->failed = true;
}

static void flag(builder *b, daoc_value *o, const char *key, bool on)
{
    if (on)
        put(b, o, key, daoc_bool(true));
}

static void copy(builder *b, daoc_value *o, const char *key, const daoc_value *v)
{
    if (v)
        put(b, o, key, daoc_value_copy(v));
}

static void text(builder *b, daoc_value *o, const char *key, const char *s)
{
    if (s)
        put(b, o, key, daoc_str(s));
}

static daoc_value *names(builder *b, char *const *l, size_t n)
{
    daoc_value *a = daoc_arr();
    if (!a) {
        b->failed = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        push(b, a, daoc_str(l[i]));
    return a;
}

static const char *type_name(daoc__ftype t)
{
    switch (t) {
    case DAOC__F_STRING: return "string";
    case DAOC__F_INTEGER: return "integer";
    case DAOC__F_NUMBER: return "number";
    case DAOC__F_BOOLEAN: return "boolean";
    case DAOC__F_ARRAY: return "array";
    case DAOC__F_SET: return "set";
    case DAOC__F_MAP: return "map";
    case DAOC__F_RECORD: return "record";
    case DAOC__F_FOREIGN: return "foreign";
    case DAOC__F_JSON: return "json";
    }
    return "?";
}

static const char *on_delete_name(daoc__on_delete d)
{
    return d == DAOC__ON_DELETE_CASCADE ? "cascade" : d == DAOC__ON_DELETE_NULL ? "null"
                                                                               : "restrict";
}

static daoc_value *fields_of(builder *b, const daoc__schema *s);

static daoc_value *patterns(builder *b, const daoc__pattern_err *p, size_t n)
{
    daoc_value *a = daoc_arr();
    if (!a) {
        b->failed = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        daoc_value *o = daoc_obj();
        if (!o) {
            b->failed = true;
            break;
        }
        put(b, o, "pattern", daoc_strn(p[i].pattern, p[i].pattern_len));
        text(b, o, "err", p[i].err);
        push(b, a, o);
    }
    return a;
}

/* The attributes of one field definition (elements, keys and values too). */
static daoc_value *field_def(builder *b, const daoc__field *f)
{
    daoc_value *o = daoc_obj();
    if (!o) {
        b->failed = true;
        return NULL;
    }
    put(b, o, "type", daoc_str(type_name(f->type)));
    flag(b, o, "required", f->required);
    flag(b, o, "unique", f->unique);
    flag(b, o, "unique_across_ws", f->unique_across_ws);
    flag(b, o, "immutable", f->immutable);
    flag(b, o, "auto", f->auto_);
    flag(b, o, "uuid", f->uuid);
    flag(b, o, "timestamp", f->timestamp);
    flag(b, o, "transient", f->transient);
    flag(b, o, "referenceable", f->referenceable);
    flag(b, o, "encrypted", f->encrypted);
    flag(b, o, "is_regex", f->is_regex);
    copy(b, o, "default", f->def);
    text(b, o, "err", f->err);
    copy(b, o, "eq", f->eq);
    copy(b, o, "ne", f->ne);
    copy(b, o, "one_of", f->one_of);
    copy(b, o, "not_one_of", f->not_one_of);
    if (f->has_gt)
        put(b, o, "gt", daoc_num(f->gt));
    if (f->has_between) {
        daoc_value *r = daoc_arr();
        if (r) {
            push(b, r, daoc_num(f->between[0]));
            push(b, r, daoc_num(f->between[1]));
        }
        put(b, o, "between", r);
    }
    if (f->len_eq >= 0)
        put(b, o, "len_eq", daoc_int(f->len_eq));
    if (f->len_min >= 0)
        put(b, o, "len_min", daoc_int(f->len_min));
    if (f->len_max >= 0)
        put(b, o, "len_max", daoc_int(f->len_max));
    if (f->starts_with)
        put(b, o, "starts_with", daoc_strn(f->starts_with, f->starts_with_len));
    if (f->match)
        put(b, o, "match", daoc_strn(f->match, f->match_len));
    if (f->not_match)
        put(b, o, "not_match", daoc_strn(f->not_match, f->not_match_len));
    if (f->n_match_all)
        put(b, o, "match_all", patterns(b, f->match_all, f->n_match_all));
    if (f->n_match_none)
        put(b, o, "match_none", patterns(b, f->match_none, f->n_match_none));
    if (f->n_match_any) {
        daoc_value *m = daoc_obj(), *l = daoc_arr();
        for (size_t i = 0; l && i < f->n_match_any; i++)
            push(b, l, daoc_strn(f->match_any[i], f->match_any_len[i]));
        if (m) {
            put(b, m, "patterns", l);
            text(b, m, "err", f->match_any_err);
        } else {
            daoc_value_free(l);
        }
        put(b, o, "match_any", m);
    }
    copy(b, o, "contains", f->contains);
    copy(b, o, "mutually_exclusive_subsets", f->mutually_exclusive_subsets);
    flag(b, o, "custom_validator", f->custom_validator != NULL);
    if (f->elements)
        put(b, o, "elements", field_def(b, f->elements));
    if (f->keys)
        put(b, o, "keys", field_def(b, f->keys));
    if (f->values)
        put(b, o, "values", field_def(b, f->values));
    if (f->record)
        put(b, o, "fields", fields_of(b, f->record));
    if (f->type == DAOC__F_FOREIGN) {
        text(b, o, "reference", f->reference);
        put(b, o, "on_delete", daoc_str(on_delete_name(f->on_delete)));
    }
    return o;
}

/* [{<name> = <definition>}, ...] in definition order. */
static daoc_value *fields_of(builder *b, const daoc__schema *s)
{
    daoc_value *a = daoc_arr();
    if (!a) {
        b->failed = true;
        return NULL;
    }
    for (size_t i = 0; i < s->nfields; i++) {
        daoc_value *one = daoc_obj();
        if (!one) {
            b->failed = true;
            break;
        }
        put(b, one, s->fields[i].name, field_def(b, &s->fields[i]));
        push(b, a, one);
    }
    return a;
}

static daoc_value *field_names(builder *b, const daoc__schema *s, const size_t *idx, size_t n)
{
    daoc_value *a = daoc_arr();
    if (!a) {
        b->failed = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        push(b, a, daoc_str(s->fields[idx[i]].name));
    return a;
}

static const char *check_name(daoc__check_kind k)
{
    switch (k) {
    case DAOC__CHECK_AT_LEAST_ONE_OF: return "at_least_one_of";
    case DAOC__CHECK_CONDITIONAL_AT_LEAST_ONE_OF: return "conditional_at_least_one_of";
    case DAOC__CHECK_ONLY_ONE_OF: return "only_one_of";
    case DAOC__CHECK_DISTINCT: return "distinct";
    case DAOC__CHECK_CONDITIONAL: return "conditional";
    case DAOC__CHECK_CUSTOM_ENTITY_CHECK: return "custom_entity_check";
    case DAOC__CHECK_MUTUALLY_REQUIRED: return "mutually_required";
    case DAOC__CHECK_MUTUALLY_EXCLUSIVE: return "mutually_exclusive";
    case DAOC__CHECK_MUTUALLY_EXCLUSIVE_SETS: return "mutually_exclusive_sets";
    }
    return "?";
}

/* The checks by kind and the fields they involve; the match tables of
 * conditional checks are field definitions (as in Kong). */
static daoc_value *checks_of(builder *b, const daoc__schema *s)
{
    daoc_value *a = daoc_arr();
    if (!a) {
        b->failed = true;
        return NULL;
    }
    for (size_t i = 0; i < s->nchecks; i++) {
        const daoc__check *c = &s->checks[i];
        daoc_value *one = daoc_obj(), *body = NULL;
        switch (c->kind) {
        case DAOC__CHECK_CONDITIONAL:
        case DAOC__CHECK_CONDITIONAL_AT_LEAST_ONE_OF:
            body = daoc_obj();
            if (!body)
                break;
            text(b, body, "if_field", c->if_field);
            if (c->if_match)
                put(b, body, "if_match", field_def(b, c->if_match));
            text(b, body, "then_field", c->then_field);
            if (c->then_match)
                put(b, body, "then_match", field_def(b, c->then_match));
            if (c->n_then)
                put(b, body, "then_at_least_one_of",
                    names(b, c->then_at_least_one_of, c->n_then));
            if (c->n_else_then)
                put(b, body, "else_then_at_least_one_of",
                    names(b, c->else_then_at_least_one_of, c->n_else_then));
            break;
        case DAOC__CHECK_MUTUALLY_EXCLUSIVE_SETS:
            body = daoc_obj();
            if (!body)
                break;
            put(b, body, "set1", names(b, c->set1, c->nset1));
            put(b, body, "set2", names(b, c->set2, c->nset2));
            break;
        case DAOC__CHECK_CUSTOM_ENTITY_CHECK:
            body = daoc_obj();
            if (!body)
                break;
            put(b, body, "field_sources", names(b, c->fields, c->nfields));
            flag(b, body, "run_with_missing_fields", c->run_with_missing_fields);
            flag(b, body, "run_with_invalid_fields", c->run_with_invalid_fields);
            break;
        default:
            body = names(b, c->fields, c->nfields);
            break;
        }
        if (!one || !body) {
            daoc_value_free(one);
            daoc_value_free(body);
            b->failed = true;
            break;
        }
        put(b, one, check_name(c->kind), body);
        push(b, a, one);
    }
    return a;
}

daoc_value *daoc__schema_describe(const daoc__schema *s)
{
    builder b = {false};
    daoc_value *o = daoc_obj();
    if (!o)
        return NULL;
    text(&b, o, "name", s->name);
    if (s->table_name && strcmp(s->table_name, s->name) != 0)
        text(&b, o, "table_name", s->table_name);
    put(&b, o, "primary_key", field_names(&b, s, s->pk, s->npk));
    if (s->endpoint_key >= 0)
        text(&b, o, "endpoint_key", s->fields[s->endpoint_key].name);
    if (s->ncache_key)
        put(&b, o, "cache_key", field_names(&b, s, s->cache_key, s->ncache_key));
    put(&b, o, "ttl", daoc_bool(s->ttl));
    put(&b, o, "workspaceable", daoc_bool(s->workspaceable));
    put(&b, o, "generate_admin_api", daoc_bool(s->generate_admin_api));
    put(&b, o, "db_export", daoc_bool(s->db_export));
    text(&b, o, "admin_api_name", s->admin_api_name);
    text(&b, o, "admin_api_nested_name", s->admin_api_nested_name);
    text(&b, o, "dao", s->dao_module);
    text(&b, o, "plugin", s->plugin);
    put(&b, o, "fields", fields_of(&b, s));
    if (s->nchecks)
        put(&b, o, "entity_checks", checks_of(&b, s));
    if (b.failed) {
        daoc_value_free(o);
        return NULL;
    }
    return o;
}
