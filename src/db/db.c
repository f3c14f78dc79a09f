/*
 * db.c -- the daoc_db handle once open (src/open composes it): compiles
 * definitions into DAOs (core entities here, plugin ones handed in by the
 * opener; no two of them on one table, names compared ignoring case as
 * SQLite does), wires foreign-key children to their parents, makes sure each
 * table exists and that a "default" workspace does, and runs transactions
 * and TTL cleanup.  It calls nothing above itself: the DAOs reach it only
 * through the daoc__dao_env the opener fills in, and Lua only through the
 * opener.
 */
#include "db/db.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/json.h"
#include "core/value.h"
#include "dao/dao.h"
#include "db/core_entities.h"
#include "store/names.h"
#include "store/store.h"

void daoc__db_log(const daoc_db *db, daoc_log_level lvl, const char *fmt, ...)
{
    if (!db || !db->cfg || !db->cfg->log)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    db->cfg->log(db->cfg->log_ud, lvl, msg);
}

const daoc__schema *daoc__db_lookup_schema(void *ud, const char *name)
{
    daoc_db *db = ud;
    daoc_dao *dao = daoc_db_dao(db, name);
    return dao ? dao->schema : NULL;
}

daoc_dao *daoc_db_dao(daoc_db *db, const char *name)
{
    if (!db || !name)
        return NULL;
    for (size_t i = 0; i < db->ndaos; i++)
        if (strcmp(db->daos[i]->schema->name, name) == 0)
            return db->daos[i];
    return NULL;
}

size_t daoc_db_dao_count(const daoc_db *db) { return db ? db->ndaos : 0; }

const char *daoc_db_dao_name(const daoc_db *db, size_t i)
{
    return (db && i < db->ndaos) ? db->daos[i]->schema->name : NULL;
}

int daoc__db_set_err(daoc_error **err, const char *name, char *msg)
{
    if (!msg)
        return DAOC_ENOMEM;
    if (err) {
        *err = daoc__err_plain(name, msg);
        if (!*err)
            return DAOC_ENOMEM;
    } else {
        daoc__free(msg);
    }
    return DAOC_OK;
}

static bool has_table(const daoc_value *tables, const char *name)
{
    for (size_t i = 0; i < daoc_value_len(tables); i++) {
        const char *t = daoc_value_str(daoc_arr_get(tables, i), NULL);
        if (t && strcmp(t, name) == 0)
            return true;
    }
    return false;
}

/* s's table: made (create_tables) or checked and served as it is. */
static int table_of(daoc_db *db, const daoc__schema *s, const char *plugin, daoc_error **err)
{
    char *msg = NULL;
    int rc;
    if (!db->cfg->create_tables && !has_table(db->tables, daoc__schema_table(s))) {
        /* created by someone else or not at all: never made here */
        char *m = daoc__asprintf(
            "the table '%s' of %s'%s%s%s' does not exist in the %s database: it is created "
            "only when asked (create_tables = on; daoc runner asks unless told otherwise)",
            daoc__schema_table(s), plugin ? "plugin entity " : "core entity ", plugin ? plugin : "",
            plugin ? "." : "", s->name, db->store->ops->name);
        int erc = daoc__db_set_err(err, "store error", m);
        rc = erc == DAOC_OK ? DAOC_ESTORE : erc;
        return rc;
    }
    rc = db->cfg->create_tables ? db->store->ops->ensure_table(db->store, s, &msg)
                                : db->store->ops->attach_table(db->store, s, &msg);
    if (rc != DAOC_OK) {
        if (rc != DAOC_ENOMEM) {
            char *m = daoc__asprintf("cannot %s the table of '%s': %s",
                                     db->cfg->create_tables ? "create" : "use", s->name,
                                     msg ? msg : daoc_strerror(rc));
            /* a table that does not fit its entity is a schema matter */
            int erc = daoc__db_set_err(err, rc == DAOC_ESCHEMA ? "schema error" : "store error", m);
            if (erc != DAOC_OK)
                rc = erc;
        }
        daoc__free(msg);
        return rc;
    }
    return DAOC_OK;
}

/* Kong's custom DAOs of core entities (kong/db/dao/<entity>.lua). */
static void set_custom(daoc_db *db, daoc_dao *dao)
{
    const char *n = dao->schema->name;
    if (strcmp(n, "plugins") == 0)
        dao->custom = (daoc__dao_custom){.ud = db, .write_rule = daoc__db_plugins_rule};
    else if (strcmp(n, "certificates") == 0)
        daoc__db_certificates_dao(db, &dao->custom);
    else if (strcmp(n, "ca_certificates") == 0)
        daoc__db_ca_certificates_dao(db, &dao->custom);
    else if (strcmp(n, "targets") == 0)
        daoc__db_targets_dao(db, &dao->custom);
}

int daoc__db_add_entity(daoc_db *db, const daoc_value *def, const char *plugin, daoc_error **err)
{
    daoc__schema *s = NULL;
    daoc_dao *dao = NULL;
    char *why = NULL;
    int rc = daoc__schema_compile(def, daoc__db_lookup_schema, db, &s, &why);
    if (rc == DAOC_OK)
        rc = daoc__store_check_names(s, &why); /* no identifier PostgreSQL would cut */
    if (rc != DAOC_OK) {
        if (rc == DAOC_ENOMEM)
            goto fail;
        const daoc_value *n = daoc_obj_get(def, "name");
        const char *ename = (n && n->type == DAOC_TSTR) ? n->u.s : "?";
        /* the compiler's text starts with "<entity>: "; the wrapper names it */
        const char *detail = why ? why : "invalid definition";
        size_t el = strlen(ename);
        if (strncmp(detail, ename, el) == 0 && strncmp(detail + el, ": ", 2) == 0)
            detail += el + 2;
        char *msg = plugin ? daoc__asprintf("schema of custom plugin entity '%s.%s' is invalid: %s",
                                            plugin, ename, detail)
                           : daoc__asprintf("schema of core entity '%s' is invalid: %s", ename,
                                            detail);
        int erc = daoc__db_set_err(err, "schema error", msg);
        rc = erc == DAOC_OK ? DAOC_ESCHEMA : erc;
        goto fail;
    }
    if (daoc_db_dao(db, s->name)) {
        char *msg = daoc__asprintf("%s%s%sentity '%s' is defined twice", plugin ? "plugin '" : "",
                                   plugin ? plugin : "", plugin ? "': " : "", s->name);
        int erc = daoc__db_set_err(err, "schema error", msg);
        rc = erc == DAOC_OK ? DAOC_ESCHEMA : erc;
        goto fail;
    }
    for (size_t i = 0; i < db->ndaos; i++) {
        /* one table per entity, on every store (SQLite ignores case) */
        const daoc__schema *o = db->daos[i]->schema;
        if (strcasecmp(daoc__schema_table(o), daoc__schema_table(s)) != 0)
            continue;
        bool named = strcmp(daoc__schema_table(s), s->name) == 0;
        char *msg = daoc__asprintf(
            "schema of %s%s%s%s' is invalid: %s: the table '%s' is already the table of %s "
            "entity '%s%s%s' (table names are compared ignoring case, as SQLite compares them); "
            "rename the entity or give it another table_name",
            plugin ? "custom plugin entity '" : "core entity '", plugin ? plugin : "",
            plugin ? "." : "", s->name, named ? "name" : "table_name", daoc__schema_table(s),
            o->plugin ? "custom plugin" : "core", o->plugin ? o->plugin : "",
            o->plugin ? "." : "", o->name);
        int erc = daoc__db_set_err(err, "schema error", msg);
        rc = erc == DAOC_OK ? DAOC_ESCHEMA : erc;
        goto fail;
    }
    if (plugin && !s->plugin) {
        s->plugin = daoc__strdup(plugin);
        if (!s->plugin) {
            rc = DAOC_ENOMEM;
            goto fail;
        }
    }
    /* Kong's tags entity reads the tags table every tagged table's
     * triggers keep (store/tags.h): no table of its own to make or check */
    bool tags_view = !plugin && strcmp(s->name, "tags") == 0;
    if (!tags_view && !db->defer_tables && (rc = table_of(db, s, plugin, err)) != DAOC_OK)
        goto fail;
    daoc_dao **grown = daoc__realloc(db->daos, (db->ndaos + 1) * sizeof *grown);
    if (!grown) {
        rc = DAOC_ENOMEM;
        goto fail;
    }
    db->daos = grown;
    rc = daoc__dao_new(&db->dao_env, db->store, s, &dao);
    s = NULL; /* owned by the DAO now, even on failure */
    if (rc != DAOC_OK)
        goto fail;
    for (size_t i = 0; i < dao->schema->nfields; i++) {
        const daoc__field *f = &dao->schema->fields[i];
        if (f->type != DAOC__F_FOREIGN || !f->ref)
            continue;
        daoc_dao *parent = daoc_db_dao(db, f->ref->name);
        if (parent) {
            rc = daoc__dao_add_child(parent, dao->schema, i, f->on_delete);
            if (rc != DAOC_OK)
                goto fail;
        }
    }
    dao->tags_view = tags_view;
    if (!plugin)
        set_custom(db, dao);
    db->daos[db->ndaos++] = dao;
    daoc__free(why);
    return DAOC_OK;
fail:
    daoc__free(why);
    daoc__schema_free(s);
    daoc__dao_free(dao);
    return rc;
}

int daoc__db_add_core_entities(daoc_db *db, daoc_error **err)
{
    for (size_t i = 0; daoc__core_entities[i]; i++) {
        daoc_value *def = NULL;
        char why[256];
        const char *text = daoc__core_entities[i];
        int rc = daoc__json_decode(text, strlen(text), &def, why, sizeof why);
        if (rc != DAOC_OK)
            return rc == DAOC_ENOMEM ? rc : DAOC_ESCHEMA;
        rc = daoc__db_add_entity(db, def, NULL, err);
        daoc_value_free(def);
        if (rc != DAOC_OK)
            return rc;
        /* workspaces come first: every workspaceable table after them may
         * need the default one (store.h, default_ws) */
        if (i == 0 && !db->defer_tables &&
            (rc = daoc__db_ensure_default_ws(db, db->cfg->create_tables, err)) != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

int daoc__db_make_tables(daoc_db *db, const char *plugin, daoc_error **err)
{
    bool saved = db->cfg->create_tables;
    db->cfg->create_tables = true; /* table_of: ensure, not attach */
    int rc = DAOC_OK;
    for (size_t i = 0; i < db->ndaos && rc == DAOC_OK; i++) {
        const daoc_dao *dao = db->daos[i];
        const daoc__schema *s = dao->schema;
        if (dao->tags_view || (plugin ? !s->plugin || strcmp(s->plugin, plugin) != 0 : s->plugin != NULL))
            continue;
        rc = table_of(db, s, s->plugin, err);
        /* the first core entity is workspaces: every workspaceable table
         * after it may need the default one (store.h, default_ws) */
        if (rc == DAOC_OK && !plugin && i == 0)
            rc = daoc__db_ensure_default_ws(db, true, err);
    }
    db->cfg->create_tables = saved;
    return rc;
}

int daoc__db_add_subschema(daoc_db *db, const char *entity, const char *key,
                           const daoc_value *def, const char *plugin, daoc_error **err)
{
    daoc_dao *dao = daoc_db_dao(db, entity);
    char *why = NULL;
    int rc;
    if (!dao) {
        int erc = daoc__db_set_err(err, "schema error",
                                   daoc__asprintf("cannot add the subschema '%s': no entity '%s'",
                                                  key, entity));
        return erc == DAOC_OK ? DAOC_ESCHEMA : erc;
    }
    rc = daoc__schema_add_subschema(dao->schema, key, def, daoc__db_lookup_schema, db, &why);
    if (rc != DAOC_OK && rc != DAOC_ENOMEM) {
        char *msg = plugin ? daoc__asprintf("the schema of plugin '%s' is invalid: %s", plugin,
                                            why ? why : "invalid definition")
                           : daoc__asprintf("subschema '%s' of core entity '%s' is invalid: %s",
                                            key, entity, why ? why : "invalid definition");
        int erc = daoc__db_set_err(err, "schema error", msg);
        rc = erc == DAOC_OK ? DAOC_ESCHEMA : erc;
    }
    daoc__free(why);
    return rc;
}

int daoc__db_workspace_by_name(daoc_db *db, const char *name, size_t n, char out[37],
                               char **msg)
{
    daoc_dao *w = daoc_db_dao(db, "workspaces");
    const daoc__schema *s = w ? w->schema : NULL;
    const daoc__field *f = s ? daoc__schema_field(s, "name", 4) : NULL;
    if (!f)
        return DAOC_ENOTFOUND;
    daoc_value *key = daoc_strn(name, n);
    if (!key)
        return DAOC_ENOMEM;
    daoc__key k = {(long)(f - s->fields), key};
    daoc__read_opts ro = {0};
    daoc_value *row = NULL;
    int rc = db->store->ops->select(db->store, s, &k, &ro, &row, msg);
    daoc_value_free(key);
    if (rc != DAOC_OK)
        return rc;
    const daoc_value *id = row ? daoc_obj_get(row, "id") : NULL;
    rc = DAOC_ENOTFOUND;
    if (id && id->type == DAOC_TSTR && id->len == 36) {
        memcpy(out, id->u.s, 37);
        rc = DAOC_OK;
    }
    daoc_value_free(row);
    return rc;
}

/* At open it runs inside the open's transaction, so it reads the primary;
 * two nodes opening a new database at once may both try: the loser's insert
 * waits for the winner, fails on the unique name (a savepoint keeps the
 * transaction usable) and reads the winner's. */
static int find_or_create_default(daoc_db *db, bool create, daoc_error **err)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        char *msg = NULL;
        int rc = daoc__db_workspace_by_name(db, "default", 7, db->default_ws, &msg);
        if (rc == DAOC_OK) {
            memcpy(db->store->default_ws, db->default_ws, sizeof db->default_ws);
            return DAOC_OK;
        }
        if (rc != DAOC_ENOTFOUND) {
            if (rc != DAOC_ENOMEM) {
                int erc = daoc__db_set_err(err, "store error",
                                  daoc__asprintf("cannot read the workspaces: %s",
                                                 msg ? msg : daoc_strerror(rc)));
                rc = erc == DAOC_OK ? rc : erc;
            }
            daoc__free(msg);
            return rc;
        }
        if (!create) {
            daoc__free(msg);
            return daoc__db_set_err(err, "store error",
                                    daoc__strdup("the database has no \"default\" workspace: it "
                                                 "is created only when asked "
                                                 "(create_tables = on)")) == DAOC_OK
                       ? DAOC_ESTORE
                       : DAOC_ENOMEM;
        }
        daoc_value *ws = daoc_obj(), *out = NULL;
        if (!ws || daoc_obj_set(ws, "name", daoc_str("default")) != DAOC_OK ||
            (db->default_ws[0] && daoc_obj_set(ws, "id", daoc_str(db->default_ws)) != DAOC_OK)) {
            daoc_value_free(ws);
            return DAOC_ENOMEM;
        }
        daoc_error *e = NULL;
        rc = daoc_dao_insert(daoc_db_dao(db, "workspaces"), ws, NULL, &out, &e);
        daoc_value_free(ws);
        daoc_value_free(out);
        if (rc == DAOC_EDAO && (daoc_error_code(e) == DAOC_ERR_UNIQUE_VIOLATION ||
                                daoc_error_code(e) == DAOC_ERR_PRIMARY_KEY_VIOLATION)) {
            daoc_error_free(e);
            continue; /* another node created it: read it again */
        }
        if (rc != DAOC_OK) {
            if (err)
                *err = e;
            else
                daoc_error_free(e);
            return rc;
        }
    }
    return daoc__db_set_err(err, "store error", daoc__strdup("cannot create the default workspace"))
               == DAOC_OK
               ? DAOC_ESTORE
               : DAOC_ENOMEM;
}

int daoc__db_ensure_default_ws(daoc_db *db, bool create, daoc_error **err)
{
    /* in a transaction (nested in the open's, or its own after a truncate):
     * reads go to the primary, never to a replica that may lag */
    char *msg = NULL;
    int rc = db->store->ops->begin(db->store, &msg);
    if (rc == DAOC_OK) {
        rc = find_or_create_default(db, create, err);
        if (rc != DAOC_OK) {
            (void)db->store->ops->rollback(db->store);
            return rc;
        }
        rc = db->store->ops->commit(db->store, &msg);
    }
    if (rc != DAOC_OK && rc != DAOC_ENOMEM) {
        int erc = daoc__db_set_err(err, "store error",
                          daoc__asprintf("cannot find the default workspace: %s",
                                         msg ? msg : daoc_strerror(rc)));
        rc = erc == DAOC_OK ? rc : erc;
    }
    daoc__free(msg);
    return rc;
}

int daoc_db_cleanup_ttl(daoc_db *db, int budget_ms, int64_t *deleted, daoc_error **err)
{
    daoc__err_reset(err);
    if (deleted)
        *deleted = 0;
    if (!db)
        return daoc__err_fail(err, DAOC_EINVAL, "db is NULL");
    int64_t total = 0;
    int first = DAOC_OK;
    /* a table that fails is logged and does not stop the others */
    for (size_t i = 0; i < db->ndaos; i++) {
        const daoc__schema *s = db->daos[i]->schema;
        if (!s->ttl)
            continue;
        int64_t n = 0;
        char *msg = NULL;
        int rc = db->store->ops->cleanup_ttl(db->store, s, budget_ms, &n, &msg);
        total += n;
        if (rc != DAOC_OK) {
            const char *why = msg ? msg : daoc_strerror(rc);
            daoc__db_log(db, DAOC_LOG_ERR, "cleaning up expired rows from table '%s' failed: %s",
                         s->table_name, why);
            if (first == DAOC_OK) {
                first = daoc__err_fail(err, rc,
                                       "cleaning up expired rows from table '%s' failed: %s",
                                       s->table_name, why);
            }
            daoc__free(msg);
        }
    }
    if (deleted)
        *deleted = total;
    return first;
}

/* A transaction call's failure: misuse (commit or rollback without a
 * transaction) is DAOC_EINVAL, the store's refusal code 8 (DAOC_EDAO). */
static int tx_error(daoc_db *db, int rc, char *msg, daoc_error **err)
{
    if (rc == DAOC_EINVAL) {
        rc = daoc__err_fail(err, rc, "%s", msg ? msg : "no transaction is open");
    } else if (rc != DAOC_OK && rc != DAOC_ENOMEM && err) {
        char *m = daoc__strdup(msg ? msg : daoc_strerror(rc));
        *err = m ? daoc__err_new(DAOC_ERR_DATABASE_ERROR, db->store->ops->name, m, NULL, false)
                 : NULL;
        rc = *err ? DAOC_EDAO : DAOC_ENOMEM;
    }
    daoc__free(msg);
    return rc;
}

int daoc_db_begin(daoc_db *db, daoc_error **err)
{
    daoc__err_reset(err);
    if (!db)
        return daoc__err_fail(err, DAOC_EINVAL, "db is NULL");
    char *msg = NULL;
    int rc = db->store->ops->begin(db->store, &msg);
    return tx_error(db, rc, msg, err);
}

int daoc_db_commit(daoc_db *db, daoc_error **err)
{
    daoc__err_reset(err);
    if (!db)
        return daoc__err_fail(err, DAOC_EINVAL, "db is NULL");
    char *msg = NULL;
    int rc = db->store->ops->commit(db->store, &msg);
    return tx_error(db, rc, msg, err);
}

int daoc_db_rollback(daoc_db *db, daoc_error **err)
{
    daoc__err_reset(err);
    if (!db)
        return daoc__err_fail(err, DAOC_EINVAL, "db is NULL");
    return tx_error(db, db->store->ops->rollback(db->store), NULL, err);
}
