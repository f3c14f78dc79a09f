/*
 * registry.c -- the bookkeeping every store keeps about its tables (see
 * registry.h).  It does not create tables; the stores do, then record them
 * here.
 */
#include "store/registry.h"

#include <string.h>

#include "core/alloc.h"
#include "core/value.h"

bool daoc__registry_has(const daoc__store_registry *r, const daoc__schema *s)
{
    for (size_t i = 0; i < r->ntables; i++)
        if (r->tables[i] == s)
            return true;
    return false;
}

static bool is_ref(const daoc__field *f)
{
    return f->type == DAOC__F_FOREIGN && f->ref && !f->transient;
}

int daoc__registry_add(daoc__store_registry *r, const daoc__schema *s)
{
    size_t nref = 0;
    for (size_t i = 0; i < s->nfields; i++)
        nref += is_ref(&s->fields[i]);
    if (r->ntables == r->tables_cap) {
        size_t cap = r->tables_cap ? r->tables_cap * 2 : 16;
        const daoc__schema **t = daoc__realloc(r->tables, cap * sizeof *t);
        if (!t)
            return DAOC_ENOMEM;
        r->tables = t;
        r->tables_cap = cap;
    }
    if (r->nrefs + nref > r->refs_cap) {
        size_t cap = r->refs_cap ? r->refs_cap * 2 : 16;
        while (cap < r->nrefs + nref)
            cap *= 2;
        daoc__store_ref *p = daoc__realloc(r->refs, cap * sizeof *p);
        if (!p)
            return DAOC_ENOMEM;
        r->refs = p;
        r->refs_cap = cap;
    }
    r->tables[r->ntables++] = s;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (!is_ref(f))
            continue;
        daoc__store_ref *ref = &r->refs[r->nrefs++];
        ref->child = s;
        ref->field = i;
        ref->parent = f->ref;
        ref->on_delete = f->on_delete;
    }
    return DAOC_OK;
}

void daoc__registry_free(daoc__store_registry *r)
{
    daoc__free(r->tables);
    daoc__free(r->refs);
    r->tables = NULL;
    r->refs = NULL;
    r->ntables = r->tables_cap = r->nrefs = r->refs_cap = 0;
}

double daoc__store_ttl_base(const daoc__schema *s, const daoc_value *entity, const char *name,
                            size_t nlen, double now)
{
    const daoc__field *f = daoc__schema_field(s, name, nlen);
    if (!f || !f->auto_)
        return now;
    const daoc_value *v = daoc__obj_getn(entity, name, nlen);
    return daoc__is_number(v) ? daoc_value_num(v) : now;
}

const char *daoc__on_delete_sql(daoc__on_delete d)
{
    switch (d) {
    case DAOC__ON_DELETE_CASCADE:
        return "CASCADE";
    case DAOC__ON_DELETE_NULL:
        return "SET NULL";
    default:
        return "RESTRICT";
    }
}

bool daoc__store_unique_ws(const daoc__schema *s, const daoc__field *f)
{
    return s->workspaceable && f->unique && !f->unique_across_ws;
}

bool daoc__store_fk_ws(const daoc__schema *s, const daoc__field *f)
{
    return s->workspaceable && f->type == DAOC__F_FOREIGN && f->ref && f->ref->workspaceable &&
           f->ref->npk == 1 && f->on_delete != DAOC__ON_DELETE_NULL;
}

const daoc__schema *daoc__registry_find(const daoc__store_registry *r, const char *name)
{
    for (size_t i = 0; i < r->ntables; i++)
        if (strcmp(r->tables[i]->name, name) == 0)
            return r->tables[i];
    return NULL;
}

int daoc__store_put_ws(daoc_value *row, const char *ws, size_t n)
{
    if (!row)
        return DAOC_OK;
    daoc_value *v = ws ? daoc_strn(ws, n) : daoc_null();
    if (!v)
        return DAOC_ENOMEM;
    return daoc__obj_setn(row, "ws_id", 5, v);
}

int daoc__registry_attach(daoc__store_registry *reg, const daoc__schema *s)
{
    if (!s || s->npk == 0 || s->is_record)
        return DAOC_EINVAL;
    return daoc__registry_has(reg, s) ? DAOC_OK : daoc__registry_add(reg, s);
}
