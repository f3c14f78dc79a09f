/*
 * cache_key.c -- Kong's DAO:cache_key (section 5.7): the 7-part string
 * "name:a1:a2:a3:a4:a5:ws" built from explicit arguments or from an entity's
 * cache_key fields (foreign values contribute their referenced key, empty
 * values ""), falling back to the primary key when every cache_key part is
 * empty.  The workspace part (Kong 2.1 on) is empty unless the entity is
 * workspaceable; then it is the entity's ws_id when it carries one, else
 * the operation's workspace, else the default workspace's id.
 *
 * It also serves select_by_cache_key: single-field cache keys through
 * select_by_<field>, composite ones through the stored cache_key column.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/value.h"
#include "dao/dao.h"

/* Appends one part: tostring of a scalar, "" for absent/null; a foreign
 * value contributes its `id` (Kong's get_cache_key_value reads value.id
 * only, "" when absent). */
static void put_part(daoc__buf *b, const daoc_value *v)
{
    if (v && v->type == DAOC_TOBJ)
        v = daoc__obj_getn(v, "id", 2);
    if (!v || v->type == DAOC_TNULL || v->type == DAOC_TOBJ || v->type == DAOC_TARR)
        return;
    daoc__value_tostring(b, v);
}

const char *daoc__dao_key_ws(const daoc_dao *dao, const daoc_value *entity, const char *ws)
{
    if (!dao->schema->workspaceable)
        return NULL;
    const daoc_value *v = entity && entity->type == DAOC_TOBJ
                              ? daoc__obj_getn(entity, "ws_id", 5)
                              : NULL;
    if (v && v->type == DAOC_TSTR && v->len)
        return v->u.s;
    if (ws && *ws)
        return ws;
    if (dao->env && dao->env->default_ws && !dao->env->default_ws[0] &&
        dao->env->ensure_default_ws) {
        daoc_error *e = NULL; /* not known yet: made or read now */
        (void)dao->env->ensure_default_ws(dao->env->ud, &e);
        daoc_error_free(e);
    }
    return dao->env && dao->env->default_ws && dao->env->default_ws[0] ? dao->env->default_ws
                                                                        : NULL;
}

/* Pads a1..a5 and appends the workspace part (NULL: empty). */
static int finish(daoc__buf *b, size_t nparts, const char *ws, char **out)
{
    for (size_t i = nparts; i < 6; i++)
        daoc__buf_putc(b, ':');
    if (ws)
        daoc__buf_puts(b, ws);
    *out = daoc__buf_take(b, NULL);
    return *out ? DAOC_OK : DAOC_ENOMEM;
}

int daoc__dao_cache_key_args(const daoc_dao *dao, const daoc_value *const *args, size_t nargs,
                             const char *ws, char **out)
{
    *out = NULL;
    if (nargs > 5)
        return DAOC_EINVAL;
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_puts(&b, dao->schema->name);
    for (size_t i = 0; i < nargs; i++) {
        daoc__buf_putc(&b, ':');
        put_part(&b, args[i]);
    }
    return finish(&b, nargs, daoc__dao_key_ws(dao, NULL, ws), out);
}

static bool all_empty(const daoc__schema *s, const size_t *idx, size_t n, const daoc_value *e)
{
    for (size_t i = 0; i < n; i++) {
        const daoc__field *f = &s->fields[idx[i]];
        const daoc_value *v = daoc__obj_getn(e, f->name, f->name_len);
        daoc__buf tmp = DAOC__BUF_INIT;
        put_part(&tmp, v);
        bool empty = tmp.len == 0;
        daoc__buf_free(&tmp);
        if (!empty)
            return false;
    }
    return true;
}

int daoc__dao_cache_key_of(const daoc_dao *dao, const daoc_value *entity, const char *ws,
                           char **out)
{
    *out = NULL;
    const daoc__schema *s = dao->schema;
    if (!entity || entity->type != DAOC_TOBJ)
        return DAOC_EINVAL; /* "key must be a string or an entity table" */
    const size_t *idx = s->cache_key;
    size_t n = s->ncache_key;
    if (!n || all_empty(s, idx, n, entity)) {
        idx = s->pk;
        n = s->npk;
    }
    if (n > 5)
        n = 5;
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_puts(&b, s->name);
    for (size_t i = 0; i < n; i++) {
        const daoc__field *f = &s->fields[idx[i]];
        daoc__buf_putc(&b, ':');
        put_part(&b, daoc__obj_getn(entity, f->name, f->name_len));
    }
    return finish(&b, n, daoc__dao_key_ws(dao, entity, ws), out);
}

int daoc_dao_cache_key(daoc_dao *dao, const daoc_value *entity, char **out, daoc_error **err)
{
    daoc__err_reset(err);
    if (!out)
        return daoc__err_fail(err, DAOC_EINVAL, "out is NULL");
    *out = NULL;
    if (!dao || !entity)
        return daoc__err_fail(err, DAOC_EINVAL, "%s is NULL", dao ? "entity" : "dao");
    int rc;
    if (entity->type == DAOC_TSTR) {
        const daoc_value *args[1] = {entity};
        rc = daoc__dao_cache_key_args(dao, args, 1, NULL, out);
    } else {
        rc = daoc__dao_cache_key_of(dao, entity, NULL, out);
    }
    if (rc == DAOC_EINVAL)
        return daoc__err_fail(err, rc, "key must be a string or an entity table");
    return daoc__err_fill(err, rc);
}

/* The a1 part of "name:a1:...": the value a single-field cache key carries. */
static daoc_value *single_part(const daoc__schema *s, const daoc_value *key)
{
    size_t len = 0;
    const char *str = daoc_value_str(key, &len);
    size_t nl = strlen(s->name);
    if (len > nl && memcmp(str, s->name, nl) == 0 && str[nl] == ':') {
        const char *a = str + nl + 1;
        const char *end = memchr(a, ':', len - nl - 1);
        if (end)
            return daoc_strn(a, (size_t)(end - a));
    }
    return daoc_value_copy(key);
}

/* Composite cache keys are stored in the hidden cache_key column: compute the
 * key string (from an entity) or take it as given, and look that column up. */
static int select_composite(daoc_dao *dao, const daoc_value *key_or_entity,
                            const daoc_value *opts, daoc_value **out, daoc_error **err)
{
    daoc__dao_opts o;
    int rc = daoc__dao_opts_parse(dao, opts, &o, err);
    if (rc != DAOC_OK)
        return rc;
    daoc_value *key = NULL;
    if (key_or_entity->type == DAOC_TOBJ) {
        char *str = NULL;
        rc = daoc__dao_cache_key_of(dao, key_or_entity, daoc__dao_ws(&o), &str);
        if (rc != DAOC_OK)
            return rc;
        key = daoc_str(str);
        daoc__free(str);
    } else if (key_or_entity->type == DAOC_TSTR) {
        key = daoc_value_copy(key_or_entity);
    } else {
        return DAOC_EINVAL; /* "key must be a string or an entity table" */
    }
    if (!key)
        return DAOC_ENOMEM;
    daoc__key k = {DAOC__KEY_CACHE_KEY, key};
    rc = daoc__dao_fetch(dao, &k, &o, out, err);
    daoc_value_free(key);
    return rc;
}

int daoc__dao_select_by_cache_key(daoc_dao *dao, const daoc_value *key_or_entity,
                                  const daoc_value *opts, daoc_value **out, daoc_error **err)
{
    *out = NULL;
    const daoc__schema *s = dao->schema;
    if (!key_or_entity || s->ncache_key == 0)
        return DAOC_EINVAL; /* "entity does not have a cache_key defined" */
    if (s->ncache_key > 1)
        return select_composite(dao, key_or_entity, opts, out, err);
    const daoc__field *f = &s->fields[s->cache_key[0]];
    if (key_or_entity->type == DAOC_TOBJ) {
        const daoc_value *v = daoc__obj_getn(key_or_entity, f->name, f->name_len);
        if (!v)
            return DAOC_OK; /* nothing to look up */
        return daoc__dao_select_key(dao, (long)s->cache_key[0], v, opts, out, err);
    }
    if (key_or_entity->type != DAOC_TSTR)
        return DAOC_EINVAL;
    daoc_value *v = single_part(s, key_or_entity);
    if (!v)
        return DAOC_ENOMEM;
    int rc = daoc__dao_select_key(dao, (long)s->cache_key[0], v, opts, out, err);
    daoc_value_free(v);
    return rc;
}
