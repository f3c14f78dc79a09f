/*
 * lua_env.h -- what the Lua-level C suites share: a daoc_db holding only a
 * configuration and the embedded Lua state (no store), opened on a given
 * lua_package_path, and the source directory fixtures live under.
 */
#ifndef DAOC_TEST_LUA_ENV_H
#define DAOC_TEST_LUA_ENV_H

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "db/db.h"
#include "errtext.h"
#include "lua/lua_internal.h"

struct env {
    daoc_db db;
    struct daoc__lua *ls;
};

/* $DAOC_SRC_DIR, or "." */
static inline const char *src_dir(void)
{
    const char *d = getenv("DAOC_SRC_DIR");
    return d && *d ? d : ".";
}

/* A Lua state on package path ppath, its log to `log` (NULL: none). */
static inline int env_start(struct env *e, const char *ppath, daoc_log_fn log)
{
    char err[256];
    memset(e, 0, sizeof *e);
    if (t_config_load(&e->db.cfg, NULL, err, sizeof err) != DAOC_OK)
        return -1;
    if (t_config_set(e->db.cfg, "lua_package_path", ppath, err, sizeof err) != DAOC_OK)
        return -1;
    if (log)
        daoc_config_set_log(e->db.cfg, log, NULL);
    daoc_error *derr = NULL;
    int rc = daoc__lua_open(&e->db, &e->ls, &derr);
    daoc_error_free(derr);
    return rc;
}

static inline void env_close(struct env *e)
{
    daoc__lua_close(e->ls);
    daoc_config_free(e->db.cfg);
}

#endif
