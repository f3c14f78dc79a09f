/*
 * config.h -- internal layout of daoc_config.
 *
 * Every key keeps the text it was set from (daoc_config_get returns it, and
 * daoc__config_copy re-applies it); numeric and boolean keys also keep their
 * parsed value.
 */
#ifndef DAOC_CONFIG_CONFIG_H
#define DAOC_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "daoc.h"

/* Connection settings of one PostgreSQL server (primary or read replica). */
typedef struct daoc__pg_conn_cfg {
    char *host;     /* host name, address, or unix-socket directory (starts with '/') */
    char *port_raw; /* text as given; "" on the replica = same as the primary */
    int port;       /* parsed (replica: resolved against the primary at use) */
    char *user;
    char *password;
    char *database;
} daoc__pg_conn_cfg;

struct daoc_config {
    char *database;         /* "sqlite" (default) or "postgres" */
    char *sqlite_path;      /* default "./daoc.db" */
    char **plugins;         /* NULL-terminated list of plugin names */
    size_t nplugins;
    char *plugins_raw;      /* the text as given ("a, b") */
    char *lua_package_path; /* default "./?.lua;./?/init.lua" */
    char *prefix;           /* default "." */
    char *create_tables_raw; /* "" (not set), or on/off as given */
    bool create_tables;      /* open creates the missing tables (default off) */

    /* PostgreSQL (Kong's keys and defaults) */
    daoc__pg_conn_cfg pg;    /* pg_host 127.0.0.1, pg_port 5432, pg_user kong,
                                pg_password "", pg_database kong */
    daoc__pg_conn_cfg pg_ro; /* pg_ro_*: host "" = no replica; other "" = as pg_* */
    char *pg_schema;         /* "" = the server's default search_path */
    char *pg_ssl_raw, *pg_ssl_verify_raw;
    bool pg_ssl, pg_ssl_verify; /* on/off (default off) */
    /* "session" (default) or "transaction": the server is reached through
     * a pooler that hands out its connections per transaction (PgBouncer's
     * pool_mode = transaction), so nothing may rely on a session */
    char *pg_pooling;
    bool pg_tx_pooling;
    char *pg_timeout_raw;
    int pg_timeout;          /* milliseconds, default 5000 */
    char *pg_pool_size_raw;
    int pg_pool_size;        /* default 4 */

    /* the embedded Lua state's heap (plugin files, kong.db scripts) */
    char *lua_memory_limit_raw;
    size_t lua_memory_limit; /* bytes, default 512m; 0 = no limit */

    /* the Admin API (daoc serve) */
    char *admin_listen;   /* Kong's syntax, default "127.0.0.1:8001" */
    char *admin_token;    /* "" = no token required */
    char *admin_gui_url;  /* "" = CORS answers the request's Origin */
    char *admin_access_log; /* a file the access log is appended to, or "off" */
    char *admin_ssl_cert, *admin_ssl_cert_key; /* PEM files of the `ssl` listeners */

    /* Kong's log_level: debug, info, notice (default), warn, error, crit,
     * alert, emerg -- the least severe message the server passes on */
    char *log_level;

    /* Kong's cluster events (src/events): how often a node reads them
     * when no notification wakes it, and how long a change waits before
     * other nodes apply it (a replica's lag), in seconds */
    char *db_update_frequency, *db_update_propagation;
    /* Kong's entity cache (daoc_db_cache_new): its bound and times */
    char *mem_cache_size, *db_cache_ttl, *db_cache_neg_ttl, *db_resurrect_ttl;
    char *db_cache_warmup; /* db_cache_warmup_entities: comma-separated names */

    daoc_log_fn log;
    void *log_ud;
};

/* The name of the i-th configuration key (in the order daoc.h documents
 * them), or NULL past the last: for code that lists every key. */
const char *daoc__config_key_at(size_t i);

/* Deep copy; NULL on ENOMEM. */
daoc_config *daoc__config_copy(const daoc_config *cfg);

#endif
