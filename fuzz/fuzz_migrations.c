/*
 * fuzz_migrations.c -- libFuzzer target: the input is the text of a
 * plugin's migration module (`return { postgres = { up = ..., up_f = ...,
 * teardown = ... } }` in any shape).  It is written as the one module an
 * index names, under a private package root, and loaded by
 * daoc__lua_load_migrations in the sandbox (instruction budget lowered so
 * loops end fast); the set is then freed.  Nothing may crash, leak or
 * hang.  Each input gets a fresh Lua state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/alloc.h"
#include "db/db.h"
#include "lua/lua_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static daoc_db db;
static char root[256], module[512];

static int setup(void)
{
    snprintf(root, sizeof root, "/tmp/daoc-fuzz-mig-%ld", (long)getpid());
    char dir[512], path[600], lpath[600];
    snprintf(dir, sizeof dir, "%s/kong/plugins/fz/migrations", root);
    char step[512] = "";
    for (const char *p = dir; *p; p++) { /* mkdir -p */
        size_t n = strlen(step);
        step[n] = *p;
        step[n + 1] = '\0';
        if (p[1] == '/' || p[1] == '\0')
            mkdir(step, 0700);
    }
    snprintf(path, sizeof path, "%s/init.lua", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("return { \"000_base_fz\" }\n", f);
    fclose(f);
    snprintf(module, sizeof module, "%s/000_base_fz.lua", dir);
    snprintf(lpath, sizeof lpath, "%s/?.lua;%s/?/init.lua", root, root);
    if (daoc_config_load(&db.cfg, NULL, NULL) != DAOC_OK ||
        daoc_config_set(db.cfg, "lua_package_path", lpath, NULL) != DAOC_OK)
        return -1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db.cfg && setup() != 0)
        return 0;
    FILE *f = fopen(module, "w");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    struct daoc__lua *ls = NULL;
    daoc_error *err = NULL;
    if (daoc__lua_open(&db, &ls, &err) != DAOC_OK) {
        daoc_error_free(err);
        return 0;
    }
    ls->budget = 200000;
    daoc__migration_set set;
    memset(&set, 0, sizeof set);
    char *msg = NULL;
    (void)daoc__lua_load_migrations(ls, "fz", &set, &msg);
    daoc__free(msg);
    daoc__migration_set_free(ls, &set);
    daoc__lua_close(ls);
    return 0;
}
