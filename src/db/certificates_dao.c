/*
 * certificates_dao.c -- the custom DAO of the certificates core entity
 * (Kong's kong/db/dao/certificates.lua with the list helpers of snis.lua):
 * the transient `snis` field of a certificate is the list of names of the
 * snis rows that point to it.
 *
 * - write_rule: given `snis` (an array; null means none) must not name one
 *   twice ("<name> is duplicated") nor a name an sni of another
 *   certificate has ("<name> already associated with existing certificate
 *   '<id>'"), both Kong's schema violation on `snis`.
 * - after_write, in the write's transaction: insert creates one sni per
 *   name; update and upsert given `snis` add the missing names and remove
 *   the others.  The row returned carries `snis` sorted: the names given,
 *   [] for an insert without them, else the stored ones.
 * - on_read: every row of a page carries its `snis` (Kong's page; a
 *   select does not, as in Kong).
 * - before_delete: the certificate's snis are deleted with it.
 *
 * Snis are written in the caller's workspace and looked up in every
 * workspace (an sni name is unique across workspaces).
 */
#include <stdlib.h> /* qsort */
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/value.h"
#include "dao/dao.h"
#include "db/db.h"

/* daoc_value_len of a value that may be NULL (none). */
static size_t len_of(const daoc_value *v)
{
    return v ? daoc_value_len(v) : 0;
}

/* {workspace = <the caller's>} or, when global, {workspace = null} */
static daoc_value *ws_opts(const daoc_value *opts, bool global)
{
    const daoc_value *ws = opts && !global ? daoc_obj_get(opts, "workspace") : NULL;
    daoc_value *o = daoc_obj();
    if (o && (global || ws) &&
        daoc_obj_set(o, "workspace", global ? daoc_null() : daoc_value_copy(ws)) != DAOC_OK) {
        daoc_value_free(o);
        return NULL;
    }
    return o;
}

static int violation(const daoc_dao *dao, char *msg, daoc_error **err)
{
    daoc_value *fields = daoc_obj();
    if (!msg || !fields || daoc_obj_set(fields, "snis", daoc_str(msg)) != DAOC_OK) {
        daoc_free(msg);
        daoc_value_free(fields);
        return DAOC_ENOMEM;
    }
    daoc_free(msg);
    return daoc__dao_deliver(daoc__err_schema_violation(dao->store->ops->name, fields), err);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A sorted array of the strings of `names` (null: empty). */
static daoc_value *sorted(const daoc_value *names)
{
    size_t n = len_of(names);
    const char **v = n ? daoc__calloc(n, sizeof *v) : NULL;
    daoc_value *out = daoc_arr();
    if ((n && !v) || !out)
        goto fail;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if ((v[k] = daoc_value_str(daoc_arr_get(names, i), NULL)))
            k++;
    if (k)
        qsort(v, k, sizeof *v, by_name);
    for (size_t i = 0; i < k; i++)
        if (daoc_arr_push(out, daoc_str(v[i])) != DAOC_OK)
            goto fail;
    daoc__free(v);
    return out;
fail:
    daoc__free(v);
    daoc_value_free(out);
    return NULL;
}

static bool contains(const daoc_value *names, const char *name)
{
    for (size_t i = 0; i < len_of(names); i++) {
        const char *s = daoc_value_str(daoc_arr_get(names, i), NULL);
        if (s && strcmp(s, name) == 0)
            return true;
    }
    return false;
}

/* The snis rows of certificate `id` (every workspace), into *rows. */
static int snis_of(daoc_dao *snis, const daoc_value *id, daoc_value **rows, daoc_error **err)
{
    daoc_value *fk = daoc_obj(), *o = ws_opts(NULL, true), *all = daoc_arr();
    char *offset = NULL;
    int rc = fk && o && all && daoc_obj_set(fk, "id", daoc_value_copy(id)) == DAOC_OK ? DAOC_OK
                                                                                      : DAOC_ENOMEM;
    while (rc == DAOC_OK) {
        daoc_value *page = NULL;
        char *next = NULL;
        rc = daoc_dao_page_for(snis, "certificate", fk, 1000, offset, o, &page, &next, err);
        daoc_free(offset);
        offset = next;
        for (size_t i = 0; rc == DAOC_OK && i < len_of(page); i++)
            rc = daoc_arr_push(all, daoc_value_copy(daoc_arr_get(page, i)));
        daoc_value_free(page);
        if (!offset)
            break;
    }
    daoc_free(offset);
    daoc_value_free(fk);
    daoc_value_free(o);
    if (rc != DAOC_OK) {
        daoc_value_free(all);
        return rc;
    }
    *rows = all;
    return DAOC_OK;
}

/* The sorted names of certificate `id`'s snis. */
static int names_of(daoc_dao *snis, const daoc_value *id, daoc_value **out, daoc_error **err)
{
    daoc_value *rows = NULL, *names = daoc_arr();
    int rc = names ? snis_of(snis, id, &rows, err) : DAOC_ENOMEM;
    for (size_t i = 0; rc == DAOC_OK && i < len_of(rows); i++)
        rc = daoc_arr_push(names, daoc_value_copy(daoc_obj_get(daoc_arr_get(rows, i), "name")));
    daoc_value_free(rows);
    *out = rc == DAOC_OK ? sorted(names) : NULL;
    daoc_value_free(names);
    return rc != DAOC_OK ? rc : *out ? DAOC_OK : DAOC_ENOMEM;
}

static int write_rule(void *ud, daoc_dao *dao, bool update, const daoc_value *input,
                      const daoc_value *entity, const daoc_value *opts, daoc_error **err)
{
    const daoc_value *names = daoc_obj_get(input, "snis");
    daoc_dao *snis = daoc_db_dao(ud, "snis");
    const char *id = daoc_value_str(daoc_obj_get(entity, "id"), NULL);
    if (!snis || !names || daoc_value_type(names) != DAOC_TARR)
        return DAOC_OK;
    size_t n = len_of(names);
    for (size_t i = 0; i < n; i++) {
        const char *a = daoc_value_str(daoc_arr_get(names, i), NULL);
        for (size_t j = 0; a && j < i; j++) {
            const char *b = daoc_value_str(daoc_arr_get(names, j), NULL);
            if (b && strcmp(a, b) == 0)
                return violation(dao, daoc__asprintf("%s is duplicated", a), err);
        }
    }
    /* sni names are unique across workspaces: looked up in all of them */
    daoc_value *o = ws_opts(NULL, true);
    int rc = o ? DAOC_OK : DAOC_ENOMEM;
    for (size_t i = 0; rc == DAOC_OK && i < n; i++) {
        const daoc_value *name = daoc_arr_get(names, i);
        if (daoc_value_type(name) != DAOC_TSTR)
            continue; /* validation words it */
        daoc_value *row = NULL;
        daoc_error *e = NULL;
        rc = daoc_dao_select_by(snis, "name", name, o, &row, &e);
        if (rc == DAOC_EDAO) { /* a name the snis refuse: validation words it */
            daoc_error_free(e);
            rc = DAOC_OK;
            continue;
        }
        if (rc != DAOC_OK && err && !*err)
            *err = e;
        else
            daoc_error_free(e);
        const char *owner =
            row ? daoc_value_str(daoc_obj_get(daoc_obj_get(row, "certificate"), "id"), NULL) : NULL;
        if (rc == DAOC_OK && owner && (!id || strcmp(owner, id) != 0))
            rc = violation(dao,
                           daoc__asprintf("%s already associated with existing certificate '%s'",
                                          daoc_value_str(name, NULL), owner),
                           err);
        daoc_value_free(row);
    }
    daoc_value_free(o);
    return rc;
}

/* Makes the certificate's snis exactly `want` (sorted names). */
static int replace_snis(daoc_dao *snis, const daoc_value *id, const daoc_value *want, bool fresh,
                        const daoc_value *opts, daoc_error **err)
{
    daoc_value *have = NULL, *o = ws_opts(opts, false), *all = ws_opts(NULL, true);
    int rc = o && all ? DAOC_OK : DAOC_ENOMEM;
    if (rc == DAOC_OK && !fresh)
        rc = snis_of(snis, id, &have, err);
    for (size_t i = 0; rc == DAOC_OK && i < len_of(have); i++) {
        const daoc_value *row = daoc_arr_get(have, i);
        const char *name = daoc_value_str(daoc_obj_get(row, "name"), NULL);
        if (name && contains(want, name))
            continue;
        daoc_value *pk = daoc_obj();
        rc = pk && daoc_obj_set(pk, "id", daoc_value_copy(daoc_obj_get(row, "id"))) == DAOC_OK
                 ? daoc_dao_delete(snis, pk, all, err)
                 : DAOC_ENOMEM;
        daoc_value_free(pk);
    }
    for (size_t i = 0; rc == DAOC_OK && i < len_of(want); i++) {
        const daoc_value *name = daoc_arr_get(want, i);
        bool had = false;
        for (size_t j = 0; j < len_of(have) && !had; j++)
            had = daoc__value_equal(daoc_obj_get(daoc_arr_get(have, j), "name"), name);
        if (had)
            continue;
        daoc_value *sni = daoc_obj(), *cert = daoc_obj(), *out = NULL;
        if (!sni || !cert || daoc_obj_set(cert, "id", daoc_value_copy(id)) != DAOC_OK ||
            daoc_obj_set(sni, "name", daoc_value_copy(name)) != DAOC_OK) {
            daoc_value_free(cert);
            rc = DAOC_ENOMEM;
        } else if ((rc = daoc_obj_set(sni, "certificate", cert)) == DAOC_OK) {
            rc = daoc_dao_insert(snis, sni, o, &out, err);
        }
        daoc_value_free(out);
        daoc_value_free(sni);
    }
    daoc_value_free(have);
    daoc_value_free(o);
    daoc_value_free(all);
    return rc;
}

static int after_write(void *ud, daoc_dao *dao, daoc__write_kind kind, const daoc_value *input,
                       daoc_value *row, const daoc_value *opts, daoc_error **err)
{
    daoc_dao *snis = daoc_db_dao(ud, "snis");
    const daoc_value *given = daoc_obj_get(input, "snis");
    const daoc_value *id = daoc_obj_get(row, "id");
    if (!snis || !id)
        return DAOC_OK;
    daoc_value *names = NULL;
    int rc = DAOC_OK;
    if (given && (daoc_value_type(given) == DAOC_TARR || daoc_value_type(given) == DAOC_TNULL)) {
        names = sorted(daoc_value_type(given) == DAOC_TARR ? given : NULL);
        rc = names ? replace_snis(snis, id, names, kind == DAOC__WRITE_INSERT, opts, err)
                   : DAOC_ENOMEM;
    } else if (kind == DAOC__WRITE_INSERT) {
        rc = (names = daoc_arr()) ? DAOC_OK : DAOC_ENOMEM;
    } else {
        rc = names_of(snis, id, &names, err);
    }
    if (rc == DAOC_OK)
        return daoc_obj_set(row, "snis", names);
    daoc_value_free(names);
    return rc;
}

static int on_read(void *ud, daoc_dao *dao, daoc_value *rows, const daoc_value *opts,
                   daoc_error **err)
{
    daoc_dao *snis = daoc_db_dao(ud, "snis");
    int rc = DAOC_OK;
    for (size_t i = 0; snis && rc == DAOC_OK && i < len_of(rows); i++) {
        daoc_value *row = (daoc_value *)daoc_arr_get(rows, i), *names = NULL;
        const daoc_value *id = daoc_obj_get(row, "id");
        if (id && (rc = names_of(snis, id, &names, err)) == DAOC_OK)
            rc = daoc_obj_set(row, "snis", names);
    }
    return rc;
}

static int before_delete(void *ud, daoc_dao *dao, const daoc_value *row, const daoc_value *opts,
                         daoc_error **err)
{
    daoc_dao *snis = daoc_db_dao(ud, "snis");
    const daoc_value *id = daoc_obj_get(row, "id");
    daoc_value *none = daoc_arr();
    int rc = none ? DAOC_OK : DAOC_ENOMEM;
    if (rc == DAOC_OK && snis && id)
        rc = replace_snis(snis, id, none, false, NULL, err);
    daoc_value_free(none);
    return rc;
}

void daoc__db_certificates_dao(daoc_db *db, daoc__dao_custom *c)
{
    *c = (daoc__dao_custom){.ud = db,
                            .write_rule = write_rule,
                            .after_write = after_write,
                            .on_read = on_read,
                            .before_delete = before_delete};
}
