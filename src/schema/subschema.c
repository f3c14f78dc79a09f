/*
 * subschema.c -- subschemas (Kong's Schema.new_subschema, Entity's variant
 * and get_subschema): a parent entity whose definition names a
 * `subschema_key` field (a string or a set) is specialised, per value of
 * that field, by a subschema registered after it compiled (the plugins
 * entity with each plugin's schema.lua, routes by protocol).
 *
 * Registering (daoc__schema_add_subschema) compiles the subschema the way
 * Kong's MetaSubSchema checks it (name, fields, entity_checks,
 * shorthand_fields, check; records default to required, as
 * Entity.new_subschema makes them), then applies new_subschema's rules in
 * its words: every subschema field must exist in the parent ("cannot
 * create a new field") with a compatible type ("cannot change type in a
 * specialized field"; record -> json allowed, arrays/sets/maps compared by
 * element/key/value type), and every required abstract parent field must be
 * specialised ("abstract field was not specialized").  A second subschema
 * under the same key replaces the first, as Kong's table assignment does.
 *
 * Selecting (daoc__subschema_of): the value of the key field when it is a
 * string, else the first element of a set that has a subschema.  What a
 * subschema changes at validation and in process_auto_fields lives in
 * validate.c, checks.c and auto_fields.c; this file only finds it.
 */
#include <string.h>

#include "core/alloc.h"
#include "schema/compile_internal.h"
#include "schema/validate_internal.h"

const daoc__schema *daoc__subschema_by_key(const daoc__schema *s, const char *key, size_t len)
{
    for (size_t i = 0; i < s->nsubschemas; i++)
        if (s->subschemas[i].key_len == len && memcmp(s->subschemas[i].key, key, len) == 0)
            return s->subschemas[i].schema;
    return NULL;
}

const daoc__schema *daoc__subschema_of(const daoc__schema *s, const daoc_value *input)
{
    const daoc_value *k;
    if (!s->subschema_key || !s->nsubschemas || !input || input->type != DAOC_TOBJ)
        return NULL;
    k = daoc__obj_getn(input, s->subschema_key, strlen(s->subschema_key));
    if (!k)
        return NULL;
    if (k->type == DAOC_TSTR)
        return daoc__subschema_by_key(s, k->u.s, k->len);
    for (size_t i = 0; k->type == DAOC_TARR && i < k->len; i++) {
        const daoc_value *e = k->u.a[i];
        const daoc__schema *sub =
            e->type == DAOC_TSTR ? daoc__subschema_by_key(s, e->u.s, e->len) : NULL;
        if (sub)
            return sub;
    }
    return NULL;
}

const daoc__field *daoc__subschema_field(const daoc__schema *sub, const daoc__field *parent)
{
    long i = sub ? daoc__schema_field_index(sub, parent->name, parent->name_len) : -1;
    return i >= 0 ? &sub->fields[i] : parent;
}

/* Kong's compatible_fields(parent, sub). */
static bool compatible(const daoc__field *p, const daoc__field *f)
{
    if (p->type == DAOC__F_RECORD && f->type == DAOC__F_JSON)
        return true;
    if (p->type != f->type)
        return false;
    if (p->type == DAOC__F_ARRAY || p->type == DAOC__F_SET)
        return p->elements && f->elements && p->elements->type == f->elements->type;
    if (p->type == DAOC__F_MAP)
        return p->keys && f->keys && p->values && f->values && p->keys->type == f->keys->type &&
               p->values->type == f->values->type;
    return true;
}

static const char *const SUB_ATTRS[] = {"name",  "fields",           "entity_checks",
                                        "check", "shorthand_fields", "transformations"};

static int sub_attrs(daoc__cctx *c, const daoc_value *def)
{
    for (size_t i = 0; def->type == DAOC_TOBJ && i < def->len; i++) {
        const daoc__kv *kv = &def->u.o[i];
        bool known = false;
        for (size_t k = 0; k < sizeof SUB_ATTRS / sizeof SUB_ATTRS[0] && !known; k++)
            known = strcmp(kv->key, SUB_ATTRS[k]) == 0;
        if (!known)
            return daoc__cfail(c, kv->key, "unknown field");
        if (strcmp(kv->key, "check") == 0 && kv->val->type != DAOC_TFUNC)
            return daoc__cfail(c, kv->key, "expected a function");
        if (strcmp(kv->key, "name") == 0 && kv->val->type != DAOC_TSTR)
            return daoc__cfail(c, kv->key, "expected a string");
    }
    return DAOC_OK;
}

/* The specialisation rules of new_subschema. */
static int specialises(daoc__cctx *c, const daoc__schema *parent, const daoc__schema *sub,
                       const char *key)
{
    c->entity = NULL; /* these messages name the subschema themselves */
    for (size_t i = 0; i < sub->nfields; i++) {
        const daoc__field *f = &sub->fields[i];
        long pi = daoc__schema_field_index(parent, f->name, f->name_len);
        const daoc__field *p = pi >= 0 ? &parent->fields[pi] : NULL;
        if (!p)
            return daoc__cfail(c, NULL,
                               "error in definition of '%s': %s: cannot create a new field", key,
                               f->name);
        if (!compatible(p, f))
            return daoc__cfail(c, NULL,
                               "error in definition of '%s': %s: cannot change type in a "
                               "specialized field",
                               key, f->name);
    }
    for (size_t i = 0; i < parent->nfields; i++) {
        const daoc__field *p = &parent->fields[i];
        if (p->abstract && p->required && daoc__schema_field_index(sub, p->name, p->name_len) < 0)
            return daoc__cfail(
                c, NULL, "error in definition of '%s': %s: abstract field was not specialized", key,
                p->name);
    }
    return DAOC_OK;
}

/* Removes `custom_validator` (described as `true`: a function is not a
 * value) from a described field definition and the definitions inside it. */
static void drop_validators(daoc_value *d)
{
    static const char *const nested[] = {"elements", "keys", "values"};
    const daoc_value *f;
    if (!d || d->type != DAOC_TOBJ)
        return;
    daoc_obj_del(d, "custom_validator");
    for (size_t i = 0; i < sizeof nested / sizeof nested[0]; i++)
        drop_validators(daoc__obj_getn(d, nested[i], strlen(nested[i])));
    f = daoc__obj_getn(d, "fields", 6);
    for (size_t i = 0; f && f->type == DAOC_TARR && i < f->len; i++)
        if (f->u.a[i]->type == DAOC_TOBJ && f->u.a[i]->len == 1)
            drop_validators(f->u.a[i]->u.o[0].val);
}

/* The fields a subschema's entity checks name, as Kong runs them on the
 * merged entity: the parent's fields (described from the compiled parent,
 * whose definition is gone), each replaced by the subschema's definition of
 * the same name, then the subschema's other fields (refused later by
 * specialises).  A parent field keeps no custom_validator: only an
 * if_match compiles these definitions, on a value the field itself already
 * validated. */
static daoc_value *check_fields(const daoc__schema *parent, const daoc_value *fields)
{
    daoc_value *desc = daoc__schema_describe(parent);
    daoc_value *all = desc ? daoc_value_copy(daoc_obj_get(desc, "fields")) : NULL;
    daoc_value_free(desc);
    if (!all || all->type != DAOC_TARR || fields->type != DAOC_TARR)
        goto fail;
    for (size_t i = 0; i < all->len; i++) {
        daoc__kv *kv = all->u.a[i]->type == DAOC_TOBJ && all->u.a[i]->len == 1
                           ? &all->u.a[i]->u.o[0]
                           : NULL;
        const daoc_value *mine = kv ? daoc__c_find_field_def(fields, kv->key, kv->klen, NULL) : NULL;
        if (!kv)
            continue;
        if (!mine) {
            drop_validators(kv->val);
            continue;
        }
        daoc_value *cp = daoc_value_copy(mine);
        if (!cp)
            goto fail;
        daoc_value_free(kv->val);
        kv->val = cp;
    }
    for (size_t i = 0; i < fields->len; i++) {
        const daoc_value *e = fields->u.a[i];
        daoc_value *cp;
        if (e->type == DAOC_TOBJ && e->len == 1 &&
            daoc__c_find_field_def(all, e->u.o[0].key, e->u.o[0].klen, NULL))
            continue;
        if (!(cp = daoc_value_copy(e)) || daoc_arr_push(all, cp) != DAOC_OK) {
            daoc_value_free(cp);
            goto fail;
        }
    }
    return all;
fail:
    daoc_value_free(all);
    return NULL;
}

static int compile_sub(daoc__cctx *c, const daoc__schema *parent, const char *key,
                       const daoc_value *def, daoc__schema *sub)
{
    const daoc_value *fields = daoc__obj_getn(def, "fields", 6), *v;
    daoc_value *merged;
    int rc;
    if (!fields)
        return daoc__cfail(c, NULL, "error in schema definition: no 'fields' table");
    if (!daoc__obj_getn(def, "name", 4))
        return daoc__cfail(c, "name", "required field missing");
    if ((rc = sub_attrs(c, def)) ||
        (rc = daoc__compile_fields(c, NULL, fields, DAOC__CF_TOPLEVEL | DAOC__CF_RECORDS_REQUIRED,
                                   sub)))
        return rc;
    if ((v = daoc_obj_get(def, "entity_checks"))) {
        if (!(merged = check_fields(parent, fields)))
            return DAOC_ENOMEM;
        rc = daoc__compile_checks(c, "entity_checks", v, merged, DAOC__CF_RECORDS_REQUIRED, sub);
        daoc_value_free(merged);
        if (rc)
            return rc;
    }
    if ((v = daoc_obj_get(def, "shorthand_fields")) &&
        (rc = daoc__compile_shorthands(c, NULL, v, sub)))
        return rc;
    if ((v = daoc_obj_get(def, "transformations")) &&
        (rc = daoc__compile_transformations(c, v, fields, sub)))
        return rc;
    if ((v = daoc_obj_get(def, "check"))) {
        daoc__callable_ref(v->u.f);
        sub->self_check = v->u.f;
    }
    if ((rc = specialises(c, parent, sub, key)))
        return rc;
    v = daoc_obj_get(def, "name");
    sub->name = daoc__strndup(v->u.s, v->len);
    return sub->name ? DAOC_OK : DAOC_ENOMEM;
}

int daoc__schema_add_subschema(daoc__schema *parent, const char *key, const daoc_value *def,
                               daoc__schema_lookup_fn lookup, void *ud, char **errmsg)
{
    daoc__cctx c = {key, lookup, ud, errmsg};
    daoc__schema *sub;
    int rc;

    if (errmsg)
        *errmsg = NULL;
    if (!parent->subschema_key) {
        c.entity = NULL;
        return daoc__cfail(&c, NULL,
                           "error in definition of '%s': entities of type '%s' cannot have "
                           "subschemas",
                           key, parent->name);
    }
    if (!daoc__c_is_map(def)) {
        c.entity = NULL;
        return daoc__cfail(&c, NULL, "expected a definition table");
    }
    if (!(sub = daoc__calloc(1, sizeof *sub)))
        return DAOC_ENOMEM;
    sub->endpoint_key = -1;
    sub->is_record = true; /* no primary key, no table: a set of field specialisations */
    if ((rc = compile_sub(&c, parent, key, def, sub)) != DAOC_OK) {
        daoc__schema_free(sub);
        return rc;
    }
    for (size_t i = 0; i < parent->nsubschemas; i++) {
        if (strcmp(parent->subschemas[i].key, key) == 0) {
            daoc__schema_free(parent->subschemas[i].schema);
            parent->subschemas[i].schema = sub;
            parent->echoes = parent->echoes || daoc__schema_has_echoes(sub);
            return DAOC_OK;
        }
    }
    daoc__subschema *ns = daoc__realloc(parent->subschemas, (parent->nsubschemas + 1) * sizeof *ns);
    char *k = daoc__strdup(key);
    if (!ns || !k) {
        if (ns)
            parent->subschemas = ns;
        daoc__free(k);
        daoc__schema_free(sub);
        return DAOC_ENOMEM;
    }
    parent->subschemas = ns;
    ns[parent->nsubschemas++] = (daoc__subschema){k, strlen(k), sub};
    parent->echoes = parent->echoes || daoc__schema_has_echoes(sub);
    return DAOC_OK;
}

void daoc__subschemas_free(daoc__subschema *subs, size_t n)
{
    for (size_t i = 0; subs && i < n; i++) {
        daoc__free(subs[i].key);
        daoc__schema_free(subs[i].schema);
    }
    daoc__free(subs);
}
