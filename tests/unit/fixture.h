/*
 * fixture.h -- what the DAO-level C suites share: JSON literals written
 * with single quotes, JSON rendering, and opening a fresh database on the
 * store the environment names (DAOC_DATABASE: SQLite by default, a fresh
 * file under $DAOC_TEST_TMP per call; PostgreSQL: every loaded entity's
 * table truncated), with test entities added from JSON definitions.  A
 * suite that uses it runs unchanged on every store.
 */
#ifndef DAOC_TEST_FIXTURE_H
#define DAOC_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dao/dao.h"
#include "daoc.h"
#include "db/db.h"
#include "errtext.h"

/* JSON with single quotes for readability (no quotes inside strings). */
static inline daoc_value *J(const char *text)
{
    size_t n = strlen(text);
    char *t = malloc(n + 1);
    if (!t)
        abort();
    for (size_t i = 0; i <= n; i++)
        t[i] = text[i] == '\'' ? '"' : text[i];
    daoc_value *v = NULL;
    char why[200];
    if (t_json_decode(t, n, &v, why, sizeof why) != DAOC_OK) {
        fprintf(stderr, "bad test JSON: %s: %s\n", why, t);
        abort();
    }
    free(t);
    return v;
}

/* Compact JSON of v, malloc'd by the library (daoc_free). */
static inline char *enc(const daoc_value *v)
{
    char *s = NULL;
    size_t n;
    if (daoc_json_encode(v, &s, &n) != DAOC_OK)
        abort();
    return s;
}

/* The id of db's "default" workspace (the workspace part of a
 * workspaceable entity's cache key), in a static buffer; "" when absent. */
static inline const char *t_default_ws(daoc_db *db)
{
    static char id[37];
    id[0] = '\0';
    daoc_value *name = daoc_str("default"), *ws = NULL;
    if (daoc_dao_select_by(daoc_db_dao(db, "workspaces"), "name", name, NULL, &ws, NULL) ==
            DAOC_OK &&
        ws)
        snprintf(id, sizeof id, "%s", daoc_value_str(daoc_obj_get(ws, "id"), NULL));
    daoc_value_free(ws);
    daoc_value_free(name);
    return id;
}

/* The configuration of a fresh database on the store the environment
 * names: on SQLite a new file under $DAOC_TEST_TMP that `tag` names.  NULL
 * (with a message on stderr) on failure. */
static inline daoc_config *fixture_config(const char *tag)
{
    static int seq;
    daoc_config *cfg = NULL;
    char why[300];
    if (t_config_load(&cfg, NULL, why, sizeof why) != DAOC_OK) {
        fprintf(stderr, "config: %s\n", why);
        return NULL;
    }
    const char *kind = getenv("DAOC_DATABASE");
    if (!kind || strcmp(kind, "sqlite") == 0) {
        const char *tmp = getenv("DAOC_TEST_TMP");
        char path[512];
        snprintf(path, sizeof path, "%s/%s_%d_%d.db", tmp ? tmp : "/tmp", tag, (int)getpid(),
                 seq++);
        unlink(path);
        if (t_config_set(cfg, "sqlite_path", path, why, sizeof why) != DAOC_OK) {
            fprintf(stderr, "config: %s\n", why);
            daoc_config_free(cfg);
            return NULL;
        }
    }
    return cfg;
}

/* Opens a fresh database holding the core entities plus `defs` (JSON
 * definitions, NULL-terminated), every table empty.  `tag` names the SQLite
 * file.  NULL (with a message on stderr) on failure. */
static inline daoc_db *fixture_open(const char *const *defs, const char *tag)
{
    daoc_config *cfg = fixture_config(tag);
    if (!cfg)
        return NULL;
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    /* tables from the schemas: opening creates nothing unless asked */
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    int rc = daoc_db_open(&db, cfg, &err);
    daoc_config_free(cfg);
    if (rc != DAOC_OK) {
        fprintf(stderr, "open: %s: %s\n", daoc_strerror(rc), err ? daoc_error_string(err) : "");
        daoc_error_free(err);
        return NULL;
    }
    for (size_t i = 0; defs[i]; i++) {
        daoc_value *def = J(defs[i]);
        rc = daoc__db_add_entity(db, def, NULL, &err);
        daoc_value_free(def);
        if (rc != DAOC_OK) {
            fprintf(stderr, "add entity %zu: %s: %s\n", i, daoc_strerror(rc),
                    err ? daoc_error_string(err) : "");
            daoc_error_free(err);
            daoc_db_close(db);
            return NULL;
        }
    }
    /* a shared server keeps rows between runs: start every test empty */
    for (size_t i = 0; i < daoc_db_dao_count(db); i++) {
        daoc_dao *dao = daoc_db_dao(db, daoc_db_dao_name(db, i));
        if (daoc__dao_truncate(dao, &err) != DAOC_OK) {
            fprintf(stderr, "truncate %s: %s\n", daoc_db_dao_name(db, i),
                    err ? daoc_error_string(err) : "");
            daoc_error_free(err);
            daoc_db_close(db);
            return NULL;
        }
    }
    return db;
}

#endif
