/*
 * config.h -- internal layout of daoc_config.
 */
#ifndef DAOC_CONFIG_CONFIG_H
#define DAOC_CONFIG_CONFIG_H

#include "daoc.h"

struct daoc_config {
    char *database;         /* "sqlite" (default) or "postgres" */
    char *sqlite_path;      /* default "./daoc.db" */
    char **plugins;         /* NULL-terminated list of plugin names */
    size_t nplugins;
    char *plugins_raw;      /* the text as given ("a, b") */
    char *lua_package_path; /* default "./?.lua;./?/init.lua" */
    char *prefix;           /* default "." */
    daoc_log_fn log;
    void *log_ud;
};

/* Deep copy; NULL on ENOMEM. */
daoc_config *daoc__config_copy(const daoc_config *cfg);

#endif
