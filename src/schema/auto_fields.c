/*
 * auto_fields.c -- Kong's Schema:process_auto_fields: shaping an entity for
 * a context (insert, update, upsert, select) before validation or after a
 * read.
 *
 * Writes: defaults (deep copies) fill absent fields on insert/upsert, `auto`
 * fields get a UUIDv4, a 32-character random string or the current time
 * (created_at when absent or null on insert/upsert, updated_at on every
 * write), absent non-required fields become null, required records are
 * expanded to their nested defaults, sets lose duplicates.  Select: null
 * required fields get their default, integers are floored, empty strings
 * and unknown keys are dropped, nulls are dropped unless `nulls`.
 *
 * It works in place on the caller's object and never validates: values of
 * the wrong type are left for validate_field.c to report.  A registered
 * subschema the entity selects supplies its own definitions of the fields
 * it specialises (Kong's each_field(data)).  On writes a record's own
 * shorthand_fields are applied to its value first (a failing one drops the
 * value, as Kong's nested process_auto_fields does); the entity's are the
 * DAO's business (shorthands.c).  Vault references are not handled here.
 */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/rand.h"
#include "schema/validate_internal.h"

typedef struct actx {
    daoc__ctx ctx;
    bool nulls;
    double now;
    const daoc_value *entity; /* the entity (or record) being processed */
    const daoc__schema *s;    /* its schema */
} actx;

static bool is_table(const daoc_value *v)
{
    return v && (v->type == DAOC_TARR || v->type == DAOC_TOBJ);
}

/* Lua's `{}` is an empty array or object: give it the field's shape. */
static void reshape(daoc_value *v, daoc_type t)
{
    if (v->type == t || v->len != 0 || !is_table(v))
        return;
    if (!(v->flags & DAOC__VF_INLINE))
        daoc__free(v->u.a); /* same pointer as u.o */
    v->u.a = NULL;
    v->cap = 0;
    v->type = (uint8_t)t;
    v->flags &= (uint8_t) ~(DAOC__VF_EMPTYTABLE | DAOC__VF_INLINE);
}

static void shape_for(const daoc__field *f, daoc_value *v)
{
    if (!v)
        return;
    if (f->type == DAOC__F_ARRAY || f->type == DAOC__F_SET)
        reshape(v, DAOC_TARR);
    else if (f->type == DAOC__F_MAP || f->type == DAOC__F_RECORD)
        reshape(v, DAOC_TOBJ);
    if (f->type == DAOC__F_SET && v->type == DAOC_TARR)
        v->flags |= DAOC__VF_SET;
}

static bool name_is(const daoc__field *f, const char *lit)
{
    size_t n = strlen(lit);
    return f->name && f->name_len == n && memcmp(f->name, lit, n) == 0;
}

/* The entity as a 0.x function default saw its row: each foreign key also
 * flat, under its column (`consumer_id` beside `consumer = { id = ... }`).
 * NULL on ENOMEM. */
static daoc_value *flat_view(const daoc__schema *s, const daoc_value *e)
{
    daoc_value *copy = daoc_value_copy(e);
    for (size_t i = 0; copy && s && i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        const daoc_value *v = f->type == DAOC__F_FOREIGN && f->ref && f->ref->npk == 1
                                  ? daoc__obj_getn(e, f->name, f->name_len)
                                  : NULL;
        const daoc__field *key = v ? &f->ref->fields[f->ref->pk[0]] : NULL;
        const daoc_value *id = v && v->type == DAOC_TOBJ
                                   ? daoc__obj_getn(v, key->name, key->name_len)
                                   : NULL;
        if (id && strcmp(daoc__field_column(f), f->name) != 0 &&
            daoc_obj_set(copy, daoc__field_column(f), daoc_value_copy(id)) != DAOC_OK) {
            daoc_value_free(copy);
            copy = NULL;
        }
    }
    return copy;
}

/* Kong's handle_missing_field: replaces *pv (absent or null). */
static int handle_missing(const daoc__field *f, daoc_value **pv, const actx *a)
{
    daoc_value *nv = NULL;
    if (!f->def && f->default_fn && a->entity &&
        (a->ctx == DAOC__CTX_INSERT || a->ctx == DAOC__CTX_UPSERT)) {
        /* 0.x: t[column] = v.default(t).  A function that fails or answers
         * nothing leaves the field absent: validation then says whether it
         * may be (the failure's text is not the field's message). */
        char *msg = NULL;
        daoc_value *row = flat_view(a->s, a->entity);
        if (!row)
            return DAOC_ENOMEM;
        const daoc_value *args[1] = {row};
        int rc = f->default_fn->call(f->default_fn, args, 1, &nv, &msg);
        daoc_value_free(row);
        daoc__free(msg);
        if (rc < 0) {
            daoc_value_free(nv);
            nv = NULL;
            if (rc == DAOC_ENOMEM)
                return rc;
        } else if (nv && nv->type == DAOC_TNULL) {
            daoc_value_free(nv);
            nv = NULL;
        }
        if (nv) {
            shape_for(f, nv);
            daoc_value_free(*pv);
            *pv = nv;
            return DAOC_OK;
        }
    }
    if (f->def) {
        nv = daoc_value_copy(f->def);
        if (!nv)
            return DAOC_ENOMEM;
        shape_for(f, nv);
    } else if (!f->required) {
        nv = daoc_null();
        if (!nv)
            return DAOC_ENOMEM;
    } else if (!f->abstract && f->type == DAOC__F_RECORD && f->record) {
        nv = daoc_obj();
        if (!nv)
            return DAOC_ENOMEM;
        if (daoc__auto_fields(f->record, nv, DAOC__CTX_INSERT, false, a->now) != DAOC_OK) {
            daoc_value_free(nv);
            return DAOC_ENOMEM;
        }
    }
    daoc_value_free(*pv);
    *pv = nv;
    return DAOC_OK;
}

/* Set de-duplication keeping the first occurrence; tables compare by
 * identity in Lua, so only scalars are merged (core/value_order.c: sorted,
 * not pairwise). */
static void dedupe(daoc_value *set) { daoc__arr_dedupe_scalars(set); }

static int adjust(const daoc__field *f, daoc_value **pv, const actx *a);

static int adjust_children(const daoc__field *sub, daoc_value *v, const actx *a)
{
    size_t n = v->len;
    for (size_t i = 0; i < n; i++) {
        daoc_value **slot = v->type == DAOC_TARR ? &v->u.a[i] : &v->u.o[i].val;
        int rc = adjust(sub, slot, a);
        if (!*slot)
            *slot = daoc_null(); /* an element never disappears */
        if (rc != DAOC_OK || !*slot)
            return DAOC_ENOMEM;
    }
    return DAOC_OK;
}

/* Kong's adjust_field_for_context. */
static int adjust(const daoc__field *f, daoc_value **pv, const actx *a)
{
    daoc_value *v = *pv;
    if (f->legacy && f->uuid && v && v->type == DAOC_TSTR && v->len == 0 &&
        a->ctx != DAOC__CTX_SELECT) {
        /* Kong 1.x: a legacy uuid field given as "" (0.x's "no value") */
        daoc_value *nv = daoc_null();
        if (!nv)
            return DAOC_ENOMEM;
        daoc_value_free(v);
        *pv = v = nv;
    }
    if (a->ctx == DAOC__CTX_SELECT && v && v->type == DAOC_TNULL && f->required)
        return handle_missing(f, pv, a);
    if (f->abstract)
        return DAOC_OK;

    if (f->type == DAOC__F_RECORD) {
        bool recurse = a->ctx == DAOC__CTX_UPDATE ? !daoc__is_nil_or_null(v)
                                                  : !daoc__is_null(v) && (v || f->required);
        if (recurse) {
            if (!v) {
                int rc = handle_missing(f, pv, a);
                if (rc != DAOC_OK)
                    return rc;
                v = *pv;
            }
            if (is_table(v) && f->record) {
                reshape(v, DAOC_TOBJ);
                if (v->type == DAOC_TOBJ && f->record->nshorthands && a->ctx != DAOC__CTX_SELECT) {
                    daoc_value *errs = NULL;
                    if (daoc__schema_shorthands(f->record, v, &errs, NULL, NULL) != DAOC_OK)
                        return DAOC_ENOMEM;
                    if (errs) { /* Kong drops the nested error, and the value with it */
                        daoc_value_free(errs);
                        daoc_value_free(v);
                        *pv = NULL;
                        return DAOC_OK;
                    }
                }
                if (v->type == DAOC_TOBJ)
                    return daoc__auto_fields(f->record, v, a->ctx, a->nulls, a->now);
                return DAOC_OK;
            }
        }
    } else if (is_table(v)) {
        const daoc__field *sub = NULL;
        shape_for(f, v);
        if (f->type == DAOC__F_ARRAY && v->type == DAOC_TARR) {
            sub = f->elements;
        } else if (f->type == DAOC__F_SET && v->type == DAOC_TARR) {
            dedupe(v);
            sub = f->elements;
        } else if (f->type == DAOC__F_MAP && v->type == DAOC_TOBJ) {
            sub = f->values;
        }
        if (sub) {
            int rc = adjust_children(sub, v, a);
            if (rc != DAOC_OK)
                return rc;
        }
    }

    if (!*pv && a->ctx != DAOC__CTX_UPDATE)
        return handle_missing(f, pv, a);
    return DAOC_OK;
}

/* The value an `auto` field gets in this context, or NULL (none). */
static int auto_value(const daoc__field *f, const daoc_value *v, const actx *a, daoc_value **out)
{
    bool ins = a->ctx == DAOC__CTX_INSERT || a->ctx == DAOC__CTX_UPSERT;
    *out = NULL;
    if (f->uuid) {
        if (ins && !v) {
            char id[37];
            if (daoc__uuid_v4(id) != DAOC_OK)
                return DAOC_ENOMEM;
            *out = daoc_strn(id, 36);
            return *out ? DAOC_OK : DAOC_ENOMEM;
        }
    } else if (f->type == DAOC__F_STRING) {
        if (ins && !v) {
            char rnd[33];
            if (daoc__random_string(rnd, 32) != DAOC_OK)
                return DAOC_ENOMEM;
            *out = daoc_strn(rnd, 32);
            return *out ? DAOC_OK : DAOC_ENOMEM;
        }
    } else if ((name_is(f, "created_at") && ins && daoc__is_nil_or_null(v)) ||
               (name_is(f, "updated_at") && (ins || a->ctx == DAOC__CTX_UPDATE))) {
        if (f->type == DAOC__F_NUMBER)
            *out = daoc_num(round(a->now * 1000.0) / 1000.0);
        else if (f->type == DAOC__F_INTEGER)
            *out = daoc_int((int64_t)floor(a->now));
        else
            return DAOC_OK;
        return *out ? DAOC_OK : DAOC_ENOMEM;
    }
    return DAOC_OK;
}

static void remove_at(daoc_value *o, size_t i)
{
    if (!o->u.o[i].borrowed)
        daoc__free(o->u.o[i].key);
    daoc_value_free(o->u.o[i].val);
    memmove(&o->u.o[i], &o->u.o[i + 1], (o->len - i - 1) * sizeof *o->u.o);
    o->len--;
}

/* Puts v back into slot idx (or appends it when idx < 0); NULL removes. */
static int store(daoc_value *o, long idx, const daoc__field *f, daoc_value *v)
{
    if (idx >= 0) {
        o->u.o[idx].val = v;
        if (!v)
            remove_at(o, (size_t)idx);
        return DAOC_OK;
    }
    if (!v)
        return DAOC_OK;
    return daoc__obj_append_field(o, f, v); /* idx < 0: the key is absent */
}

static void floor_integer(daoc_value *v)
{
    if (v->type != DAOC_TNUM)
        return;
    double n = floor(v->u.n);
    if (isfinite(n) && n >= -9223372036854775808.0 && n < 9223372036854775808.0) {
        v->type = DAOC_TINT;
        v->u.i = (int64_t)n;
    } else {
        v->u.n = n;
    }
}

/* Does kv carry field f's name?  Rows built by the stores point at the
 * interned name, so a pointer comparison usually answers. */
static bool kv_is(const daoc__kv *kv, const daoc__field *f)
{
    return (f->iname && kv->key == f->iname) ||
           (kv->klen == f->name_len && memcmp(kv->key, f->name, f->name_len) == 0);
}

/* Index of f's key in entity or -1, looking from `from` on first: rows come
 * in schema order, so the next field is usually the next key. */
static long find_from(const daoc_value *entity, const daoc__field *f, size_t from)
{
    size_t n = entity->len;
    if (from > n)
        from = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = from + k < n ? from + k : from + k - n;
        if (kv_is(&entity->u.o[i], f))
            return (long)i;
    }
    return -1;
}

/* *hint: where the next field's key probably is (updated). */
static int process_field(const daoc__field *f, daoc_value *entity, const actx *a, size_t *hint)
{
    long idx = find_from(entity, f, *hint);
    daoc_value *v = NULL;
    if (idx >= 0) {
        v = entity->u.o[idx].val;
        entity->u.o[idx].val = NULL; /* detached while we work on it */
    }
    int rc = DAOC_OK;
    if (a->ctx != DAOC__CTX_SELECT && f->auto_) {
        daoc_value *gen = NULL;
        rc = auto_value(f, v, a, &gen);
        if (gen) {
            daoc_value_free(v);
            v = gen;
        }
    }
    if (rc == DAOC_OK)
        rc = adjust(f, &v, a);
    if (rc == DAOC_OK && a->ctx == DAOC__CTX_SELECT && v) {
        if (v->type == DAOC_TNULL && !a->nulls) {
            daoc_value_free(v);
            v = NULL;
        } else if (f->type == DAOC__F_INTEGER) {
            floor_integer(v);
        }
    }
    int rc2 = store(entity, idx, f, v);
    if (idx >= 0)
        *hint = (size_t)idx + (v ? 1 : 0); /* a removed key's successor moved into idx */
    return rc != DAOC_OK ? rc : rc2;
}

static bool key_is(const daoc__kv *kv, const char *lit)
{
    size_t n = strlen(lit);
    return kv->klen == n && memcmp(kv->key, lit, n) == 0;
}

/* Select only: empty strings, unknown keys and a null ttl go away. */
static int select_cleanup(const daoc__schema *s, daoc_value *entity, bool nulls)
{
    size_t next = 0; /* keys in schema order: the field after the last one found */
    for (size_t i = 0; i < entity->len;) {
        daoc__kv *kv = &entity->u.o[i];
        const daoc__field *f = NULL;
        for (size_t j = next; j < s->nfields && !f; j++) {
            if (kv_is(kv, &s->fields[j])) {
                f = &s->fields[j];
                next = j + 1;
            }
        }
        if (!f)
            f = daoc__schema_field(s, kv->key, kv->klen);
        if (f) {
            int64_t min = f->len_min < 0 ? 1 : f->len_min;
            if (f->type == DAOC__F_STRING && min > 0 && kv->val->type == DAOC_TSTR &&
                kv->val->len == 0) {
                if (!nulls) {
                    remove_at(entity, i);
                    continue;
                }
                daoc_value *n = daoc_null();
                if (!n)
                    return DAOC_ENOMEM;
                daoc_value_free(kv->val);
                kv->val = n;
            }
        } else if (s->ttl && key_is(kv, "ttl")) {
            if (kv->val->type == DAOC_TNULL && !nulls) {
                remove_at(entity, i);
                continue;
            }
        } else if (!key_is(kv, "ws_id")) {
            remove_at(entity, i);
            continue;
        }
        i++;
    }
    return DAOC_OK;
}

int daoc__auto_fields(const daoc__schema *s, daoc_value *entity, daoc__ctx ctx, bool nulls,
                      double now)
{
    if (!entity || entity->type != DAOC_TOBJ)
        return DAOC_OK;
    actx a = {.ctx = ctx, .nulls = nulls, .now = now, .entity = entity, .s = s};
    size_t hint = 0;
    /* each_field(data): the subschema's definitions where it has them */
    const daoc__schema *sub = s->subschema_key ? daoc__subschema_of(s, entity) : NULL;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = sub ? daoc__subschema_field(sub, &s->fields[i]) : &s->fields[i];
        int rc = process_field(f, entity, &a, &hint);
        if (rc != DAOC_OK)
            return rc;
    }
    if (ctx == DAOC__CTX_SELECT)
        return select_cleanup(s, entity, nulls);
    return DAOC_OK;
}

/* ---- select over rows the stores built ------------------------------------

 * A store's row has one key per stored field, pointing at the field's
 * interned name, in schema order, then "ttl" and "ws_id" when present, and
 * values of the field's own kind.  For such a row Kong's select pipeline
 * comes down to: nulls and empty strings go (or stay, with `nulls`), sets
 * lose duplicates, numbers in integer fields are floored.
 *
 * What does not depend on the row is decided once per schema when it is
 * compiled: daoc__schema_plan_select() leaves s->sel NULL when some field
 * can never take this path (no interned name, transient, abstract,
 * records, maps, JSON, arrays of composite elements), else lists per field
 * its interned name, the value types it takes as they are (null only when
 * a null stays null: not required, no default) and what fast_select() does
 * to it.  Per row, fast_ok() checks the keys and values against that plan
 * (and that array elements are neither null nor tables); only then does
 * fast_select() run, else the general path does.  Both give the same
 * result; the fast one skips the per-field searches, detaching and
 * re-attaching. */

enum sel_op {
    SEL_KEEP,
    SEL_STR, /* a string field whose "" reads as null (len_min > 0, the default) */
    SEL_INT, /* an integer field: numbers are floored */
    SEL_SET  /* a set field: duplicates go */
};

typedef struct sel_field {
    const char *iname; /* the key a store's row carries */
    unsigned types;    /* bit 1u << t for each daoc_type t taken as it is */
    uint8_t op;        /* enum sel_op */
} sel_field;

struct daoc__sel_plan {
    const char *ttl, *ws_id; /* interned "ttl" and "ws_id", or NULL */
    size_t n;                /* fields */
    sel_field f[];           /* the fields, in schema order */
};

static bool scalar_kind(const daoc__field *f)
{
    return f && (f->type == DAOC__F_STRING || f->type == DAOC__F_INTEGER ||
                 f->type == DAOC__F_NUMBER || f->type == DAOC__F_BOOLEAN);
}

/* The plan entry of field f; false when f never takes the path.  A
 * transient field is in no row, and Kong's select gives it its default or
 * null: only the general path adds it. */
static bool plan_field(const daoc__field *f, sel_field *e)
{
    if (!f->iname || f->abstract || f->transient)
        return false;
    e->iname = f->iname;
    e->types = f->required || f->def ? 0u : 1u << DAOC_TNULL;
    e->op = SEL_KEEP;
    switch (f->type) {
    case DAOC__F_STRING:
        e->types |= 1u << DAOC_TSTR;
        if ((f->len_min < 0 ? 1 : f->len_min) > 0)
            e->op = SEL_STR;
        return true;
    case DAOC__F_INTEGER:
        e->op = SEL_INT;
        /* fall through */
    case DAOC__F_NUMBER:
        e->types |= 1u << DAOC_TINT | 1u << DAOC_TNUM;
        return true;
    case DAOC__F_BOOLEAN:
        e->types |= 1u << DAOC_TBOOL;
        return true;
    case DAOC__F_FOREIGN:
        e->types |= 1u << DAOC_TOBJ;
        return true;
    case DAOC__F_ARRAY:
    case DAOC__F_SET:
        if (!scalar_kind(f->elements))
            return false;
        e->types |= 1u << DAOC_TARR;
        if (f->type == DAOC__F_SET)
            e->op = SEL_SET;
        return true;
    default:
        return false;
    }
}

int daoc__schema_plan_select(daoc__schema *s)
{
    struct daoc__sel_plan *p = daoc__malloc(sizeof *p + s->nfields * sizeof p->f[0]);
    if (!p)
        return DAOC_ENOMEM;
    p->n = s->nfields;
    for (size_t j = 0; j < s->nfields; j++) {
        if (!plan_field(&s->fields[j], &p->f[j])) {
            daoc__free(p);
            return DAOC_OK; /* s->sel stays NULL */
        }
    }
    /* NULL when the intern table is full: key_is_i() compares text then */
    p->ttl = daoc__key_intern("ttl", 3);
    p->ws_id = daoc__key_intern("ws_id", 5);
    s->sel = p;
    return DAOC_OK;
}

/* Is kv's key `lit` (n bytes), whose interned copy is ikey (or NULL)?
 * Interned keys are unique per text: an interned key other than ikey has
 * other text, and only keys that are not interned need comparing. */
static bool key_is_i(const daoc__kv *kv, const char *ikey, const char *lit, size_t n)
{
    if (ikey && kv->borrowed)
        return kv->key == ikey;
    return kv->klen == n && memcmp(kv->key, lit, n) == 0;
}

static bool fast_ok(const daoc__schema *s, const daoc_value *row)
{
    const struct daoc__sel_plan *p = s->sel;
    if (!p || row->len < p->n)
        return false;
    const daoc__kv *kv = row->u.o;
    for (size_t k = 0; k < p->n; k++) {
        const daoc_value *v = kv[k].val;
        if (kv[k].key != p->f[k].iname || !(p->f[k].types >> v->type & 1u))
            return false;
        if (v->type == DAOC_TARR) /* an array or set field (scalar elements) */
            for (size_t i = 0; i < v->len; i++)
                if (v->u.a[i]->type == DAOC_TNULL || is_table(v->u.a[i]))
                    return false;
    }
    for (size_t k = p->n; k < row->len; k++)
        if (!(s->ttl && key_is_i(&kv[k], p->ttl, "ttl", 3)) &&
            !key_is_i(&kv[k], p->ws_id, "ws_id", 5))
            return false;
    return true;
}

static void fast_select(const daoc__schema *s, daoc_value *row, bool nulls)
{
    /* locals: the byte-sized stores into values below may alias anything */
    const struct daoc__sel_plan *p = s->sel;
    const sel_field *plan = p->f;
    size_t n = p->n, len = row->len, out = 0;
    daoc__kv *kvs = row->u.o;
    for (size_t k = 0; k < len; k++) {
        daoc__kv *kv = &kvs[k];
        daoc_value *v = kv->val;
        bool drop = false;
        if (k >= n) { /* ttl, ws_id */
            drop = v->type == DAOC_TNULL && !nulls && key_is_i(kv, p->ttl, "ttl", 3);
        } else if (v->type == DAOC_TNULL) {
            drop = !nulls;
        } else if (plan[k].op == SEL_STR) {
            if (v->len == 0) { /* "" reads as null */
                drop = !nulls;
                v->type = DAOC_TNULL;
            }
        } else if (plan[k].op == SEL_INT) {
            floor_integer(v);
        } else if (plan[k].op == SEL_SET) {
            dedupe(v);
            v->flags |= DAOC__VF_SET;
        }
        if (drop) {
            if (!kv->borrowed)
                daoc__free(kv->key);
            daoc_value_free(v);
            continue;
        }
        if (out != k)
            kvs[out] = *kv;
        out++;
    }
    row->len = out;
}

int daoc__schema_process_auto_fields(const daoc__schema *s, daoc_value *entity, daoc__ctx ctx,
                                     bool nulls, double now)
{
    if (ctx == DAOC__CTX_SELECT && entity && entity->type == DAOC_TOBJ && !s->nsubschemas &&
        fast_ok(s, entity)) {
        fast_select(s, entity, nulls);
        return DAOC_OK;
    }
    if (now < 0)
        now = daoc__now();
    if (entity)
        reshape(entity, DAOC_TOBJ);
    return daoc__auto_fields(s, entity, ctx, nulls, now);
}
