/*
 * config.c -- daoc.conf (kong.conf style) parsing and DAOC_<KEY> overrides.
 *
 * Format: one `key = value` per line; `#` starts a comment (a literal `#` is
 * written `\#`, as in kong.conf); blank lines are ignored; surrounding spaces
 * are trimmed.  Every key may be overridden by the environment variable
 * DAOC_<KEY> (upper case).  Unknown keys and bad values are errors: a typo
 * must not silently fall back to a default.
 *
 * Keys are Kong's where Kong has them (pg_host, pg_port, ... with Kong's
 * defaults).  It does not open databases or check that paths exist; the
 * layers that use a setting report problems with it.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/list.h"

typedef int (*setter_fn)(daoc_config *cfg, const char *value, char **why);

static int set_str(char **slot, const char *value, char **why)
{
    (void)why;
    char *v = daoc__strdup(value);
    if (!v)
        return DAOC_ENOMEM;
    daoc__free(*slot);
    *slot = v;
    return DAOC_OK;
}

static int set_database(daoc_config *cfg, const char *value, char **why)
{
    if (strcmp(value, "sqlite") != 0 && strcmp(value, "postgres") != 0) {
        *why = daoc__asprintf("expected one of: sqlite, postgres (got '%s')", value);
        return DAOC_ECONFIG;
    }
    return set_str(&cfg->database, value, why);
}

static int set_sqlite_path(daoc_config *cfg, const char *value, char **why)
{
    if (!*value) {
        *why = daoc__strdup("must not be empty");
        return DAOC_ECONFIG;
    }
    return set_str(&cfg->sqlite_path, value, why);
}

static void free_plugins(daoc_config *cfg)
{
    for (size_t i = 0; i < cfg->nplugins; i++)
        daoc__free(cfg->plugins[i]);
    daoc__free(cfg->plugins);
    cfg->plugins = NULL;
    cfg->nplugins = 0;
}

static int valid_plugin_name(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

static int set_plugins(daoc_config *cfg, const char *value, char **why)
{
    char **list = NULL;
    size_t n = 0;
    const char *p = value, *s = NULL;
    size_t len = 0;
    while (daoc__list_item(&p, &s, &len)) {
        const char *e = s + len;
        if (!valid_plugin_name(s, (size_t)(e - s))) {
            *why = daoc__asprintf("invalid plugin name '%.*s'", (int)(e - s), s);
            goto fail;
        }
        /* "bundled" and "off" are Kong keywords: daoc bundles no plugins. */
        if ((size_t)(e - s) == 3 && memcmp(s, "off", 3) == 0)
            continue;
        if ((size_t)(e - s) == 7 && memcmp(s, "bundled", 7) == 0)
            continue;
        char **nl = daoc__realloc(list, (n + 2) * sizeof *nl);
        if (!nl)
            goto nomem;
        list = nl;
        list[n] = daoc__strndup(s, (size_t)(e - s));
        if (!list[n])
            goto nomem;
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup = dup || strcmp(list[i], list[n]) == 0;
        if (dup)
            daoc__free(list[n]);
        else
            n++;
        list[n] = NULL;
    }
    free_plugins(cfg);
    cfg->plugins = list;
    cfg->nplugins = n;
    if (!cfg->plugins) {
        cfg->plugins = daoc__calloc(1, sizeof *cfg->plugins);
        if (!cfg->plugins)
            return DAOC_ENOMEM;
    }
    return set_str(&cfg->plugins_raw, value, why);
nomem:
    for (size_t i = 0; i < n; i++)
        daoc__free(list[i]);
    daoc__free(list);
    return DAOC_ENOMEM;
fail:
    for (size_t i = 0; i < n; i++)
        daoc__free(list[i]);
    daoc__free(list);
    return DAOC_ECONFIG;
}

static int set_lua_package_path(daoc_config *cfg, const char *value, char **why)
{
    if (!strchr(value, '?')) {
        *why = daoc__strdup("must contain at least one '?' template (e.g. ./?.lua)");
        return DAOC_ECONFIG;
    }
    return set_str(&cfg->lua_package_path, value, why);
}

static int set_prefix(daoc_config *cfg, const char *value, char **why)
{
    if (!*value) {
        *why = daoc__strdup("must not be empty");
        return DAOC_ECONFIG;
    }
    return set_str(&cfg->prefix, value, why);
}

/* ---- PostgreSQL keys ------------------------------------------------- */

/* Parses a whole decimal integer in [lo, hi]; "" only when allow_empty. */
static int parse_int(const char *value, long lo, long hi, bool allow_empty, int *out,
                     char **why)
{
    if (!*value && allow_empty) {
        *out = 0;
        return DAOC_OK;
    }
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (!*value || *end || errno || v < lo || v > hi || !isdigit((unsigned char)value[0])) {
        *why = daoc__asprintf("expected an integer between %ld and %ld (got '%s')", lo, hi, value);
        return DAOC_ECONFIG;
    }
    *out = (int)v;
    return DAOC_OK;
}

/* Kong's sizes: digits with an optional k, m or g suffix ("128m");
 * plain digits are bytes. */
static int parse_size(const char *value, size_t *out, char **why)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    unsigned long long mul = 1;
    if (end && (*end == 'k' || *end == 'K'))
        mul = 1ull << 10;
    else if (end && (*end == 'm' || *end == 'M'))
        mul = 1ull << 20;
    else if (end && (*end == 'g' || *end == 'G'))
        mul = 1ull << 30;
    if (mul != 1)
        end++;
    if (!isdigit((unsigned char)value[0]) || errno || *end || v > (1ull << 40) / mul) {
        *why = daoc__asprintf("expected a size such as 512m, 2g or 0 for no limit (got '%s')",
                              value);
        return DAOC_ECONFIG;
    }
    *out = (size_t)(v * mul);
    return DAOC_OK;
}

/* Kong's booleans: on/off, true/false. */
static int parse_bool(const char *value, bool *out, char **why)
{
    if (strcmp(value, "on") == 0 || strcmp(value, "true") == 0) {
        *out = true;
        return DAOC_OK;
    }
    if (strcmp(value, "off") == 0 || strcmp(value, "false") == 0) {
        *out = false;
        return DAOC_OK;
    }
    *why = daoc__asprintf("expected on or off (got '%s')", value);
    return DAOC_ECONFIG;
}

static int set_nonempty(char **slot, const char *value, char **why)
{
    if (!*value) {
        *why = daoc__strdup("must not be empty");
        return DAOC_ECONFIG;
    }
    return set_str(slot, value, why);
}

static int set_pg_host(daoc_config *cfg, const char *value, char **why)
{
    return set_nonempty(&cfg->pg.host, value, why);
}
static int set_pg_port(daoc_config *cfg, const char *value, char **why)
{
    int rc = parse_int(value, 1, 65535, false, &cfg->pg.port, why);
    return rc == DAOC_OK ? set_str(&cfg->pg.port_raw, value, why) : rc;
}
static int set_pg_user(daoc_config *cfg, const char *value, char **why)
{
    return set_nonempty(&cfg->pg.user, value, why);
}
static int set_pg_password(daoc_config *cfg, const char *value, char **why)
{
    return set_str(&cfg->pg.password, value, why);
}
static int set_pg_database(daoc_config *cfg, const char *value, char **why)
{
    return set_nonempty(&cfg->pg.database, value, why);
}
static int set_pg_schema(daoc_config *cfg, const char *value, char **why)
{
    return set_str(&cfg->pg_schema, value, why);
}
static int set_pg_ssl(daoc_config *cfg, const char *value, char **why)
{
    int rc = parse_bool(value, &cfg->pg_ssl, why);
    return rc == DAOC_OK ? set_str(&cfg->pg_ssl_raw, value, why) : rc;
}
static int set_pg_ssl_verify(daoc_config *cfg, const char *value, char **why)
{
    int rc = parse_bool(value, &cfg->pg_ssl_verify, why);
    return rc == DAOC_OK ? set_str(&cfg->pg_ssl_verify_raw, value, why) : rc;
}
static int set_pg_timeout(daoc_config *cfg, const char *value, char **why)
{
    int rc = parse_int(value, 1, 2147483647, false, &cfg->pg_timeout, why);
    return rc == DAOC_OK ? set_str(&cfg->pg_timeout_raw, value, why) : rc;
}
static int set_lua_memory_limit(daoc_config *cfg, const char *value, char **why)
{
    int rc = parse_size(value, &cfg->lua_memory_limit, why);
    return rc == DAOC_OK ? set_str(&cfg->lua_memory_limit_raw, value, why) : rc;
}

static int set_pg_pool_size(daoc_config *cfg, const char *value, char **why)
{
    int rc = parse_int(value, 1, 10000, false, &cfg->pg_pool_size, why);
    return rc == DAOC_OK ? set_str(&cfg->pg_pool_size_raw, value, why) : rc;
}
/* "" = not set: off for the library, on for `daoc runner` (cli/main.c). */
static int set_create_tables(daoc_config *cfg, const char *value, char **why)
{
    cfg->create_tables = false;
    int rc = *value ? parse_bool(value, &cfg->create_tables, why) : DAOC_OK;
    return rc == DAOC_OK ? set_str(&cfg->create_tables_raw, value, why) : rc;
}
/* Replica keys: "" means "not set" (host: no replica; others: as pg_*). */
static int set_pg_ro_host(daoc_config *cfg, const char *value, char **why)
{
    return set_str(&cfg->pg_ro.host, value, why);
}
static int set_pg_ro_port(daoc_config *cfg, const char *value, char **why)
{
    int rc = parse_int(value, 1, 65535, true, &cfg->pg_ro.port, why);
    return rc == DAOC_OK ? set_str(&cfg->pg_ro.port_raw, value, why) : rc;
}
static int set_pg_ro_user(daoc_config *cfg, const char *value, char **why)
{
    return set_str(&cfg->pg_ro.user, value, why);
}
static int set_pg_ro_password(daoc_config *cfg, const char *value, char **why)
{
    return set_str(&cfg->pg_ro.password, value, why);
}
static int set_pg_ro_database(daoc_config *cfg, const char *value, char **why)
{
    return set_str(&cfg->pg_ro.database, value, why);
}

/* Kong's admin_listen: "off", or a comma-separated list of
 * "<address>:<port> [flag ...]" (the address an IPv4 address, a name, or
 * [IPv6]); the listeners are opened by daoc serve (src/admin/listen.c),
 * here only the shape is checked. */
static int set_admin_listen(daoc_config *cfg, const char *value, char **why)
{
    const char *p = value;
    while (*p == ' ')
        p++;
    if (strcmp(p, "off") != 0) {
        for (const char *item = p; *item;) {
            size_t n = strcspn(item, ",");
            while (n && *item == ' ')
                item++, n--;
            size_t alen = strcspn(item, " ,");
            const char *colon = NULL;
            for (size_t i = 0; i < alen; i++)
                if (item[i] == ':')
                    colon = item + i;
            long port = colon ? strtol(colon + 1, NULL, 10) : 0;
            bool digits = colon && colon + 1 < item + alen;
            for (const char *d = colon ? colon + 1 : item; digits && d < item + alen; d++)
                digits = *d >= '0' && *d <= '9';
            if (!colon || colon == item || !digits || port < 0 || port > 65535) {
                *why = daoc__strdup("must be 'off' or a list of '<address>:<port> [ssl]' "
                                    "(e.g. '127.0.0.1:8001')");
                return DAOC_ECONFIG;
            }
            item += n + (item[n] == ',');
            if (item[-1] == ',' && !item[strspn(item, " ")]) { /* "a:1," */
                *why = daoc__strdup("must be 'off' or a list of '<address>:<port> [ssl]' "
                                    "(e.g. '127.0.0.1:8001')");
                return DAOC_ECONFIG;
            }
        }
    }
    return set_str(&cfg->admin_listen, value, why);
}
static int set_admin_token(daoc_config *cfg, const char *value, char **why)
{
    return set_str(&cfg->admin_token, value, why);
}
static int set_admin_gui_url(daoc_config *cfg, const char *value, char **why)
{
    if (*value && !strstr(value, "://")) {
        *why = daoc__strdup("must be a URL such as 'http://admin.example:8002'");
        return DAOC_ECONFIG;
    }
    return set_str(&cfg->admin_gui_url, value, why);
}

static int set_admin_access_log(daoc_config *cfg, const char *value, char **why)
{
    if (!*value) {
        *why = daoc__strdup("must be 'off' or a file path");
        return DAOC_ECONFIG;
    }
    return set_str(&cfg->admin_access_log, value, why);
}

static int set_admin_ssl_cert(daoc_config *cfg, const char *value, char **why)
{
    return set_str(&cfg->admin_ssl_cert, value, why);
}
static int set_admin_ssl_cert_key(daoc_config *cfg, const char *value, char **why)
{
    return set_str(&cfg->admin_ssl_cert_key, value, why);
}

static int set_pg_pooling(daoc_config *cfg, const char *value, char **why)
{
    if (strcmp(value, "session") != 0 && strcmp(value, "transaction") != 0) {
        *why = daoc__strdup("must be 'session' or 'transaction'");
        return DAOC_ECONFIG;
    }
    cfg->pg_tx_pooling = strcmp(value, "transaction") == 0;
    return set_str(&cfg->pg_pooling, value, why);
}

/* A number of seconds: > 0 (positive) or >= 0. */
static int seconds(const char *value, bool positive, char **why)
{
    char *end = NULL;
    double d = strtod(value, &end);
    if (!*value || !end || *end || d != d || d < 0 || (positive && d <= 0) || d > 3.2e8) {
        *why = daoc__strdup(positive ? "must be a number of seconds greater than 0"
                                     : "must be a number of seconds, 0 or more");
        return DAOC_ECONFIG;
    }
    return DAOC_OK;
}

static int set_db_update_frequency(daoc_config *cfg, const char *value, char **why)
{
    int rc = seconds(value, true, why);
    return rc == DAOC_OK ? set_str(&cfg->db_update_frequency, value, why) : rc;
}

static int set_db_update_propagation(daoc_config *cfg, const char *value, char **why)
{
    int rc = seconds(value, false, why);
    return rc == DAOC_OK ? set_str(&cfg->db_update_propagation, value, why) : rc;
}

static int set_mem_cache_size(daoc_config *cfg, const char *value, char **why)
{
    size_t n = 0;
    if (daoc_cache_parse_size(value, &n) != DAOC_OK || n < 4096) {
        *why = daoc__strdup("must be a size such as '128m' (k, m, g; at least 4k)");
        return DAOC_ECONFIG;
    }
    return set_str(&cfg->mem_cache_size, value, why);
}

static int set_db_cache_ttl(daoc_config *cfg, const char *value, char **why)
{
    int rc = seconds(value, false, why);
    return rc == DAOC_OK ? set_str(&cfg->db_cache_ttl, value, why) : rc;
}

static int set_db_cache_neg_ttl(daoc_config *cfg, const char *value, char **why)
{
    int rc = *value ? seconds(value, false, why) : DAOC_OK; /* "": db_cache_ttl's */
    return rc == DAOC_OK ? set_str(&cfg->db_cache_neg_ttl, value, why) : rc;
}

static int set_db_resurrect_ttl(daoc_config *cfg, const char *value, char **why)
{
    int rc = seconds(value, false, why);
    return rc == DAOC_OK ? set_str(&cfg->db_resurrect_ttl, value, why) : rc;
}

static int set_db_cache_warmup(daoc_config *cfg, const char *value, char **why)
{
    return set_str(&cfg->db_cache_warmup, value, why); /* names checked when it runs, as Kong */
}

static int set_log_level(daoc_config *cfg, const char *value, char **why)
{
    if (daoc_log_level_index(value) < 0) {
        *why = daoc__strdup("must be one of debug, info, notice, warn, error, crit, alert, emerg");
        return DAOC_ECONFIG;
    }
    return set_str(&cfg->log_level, value, why);
}

int daoc_log_level_index(const char *name)
{
    static const char *const names[] = {"debug", "info",  "notice", "warn",
                                        "error", "crit", "alert",  "emerg"};
    for (int i = 0; name && i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

#define SLOT(member) offsetof(daoc_config, member)

/* Every key: its setter, Kong's default, and where its text is kept. */
static const struct key_def {
    const char *key;
    setter_fn set;
    const char *def;
    size_t raw; /* offset of the char * holding the text as set */
} KEYS[] = {
    {"database", set_database, "sqlite", SLOT(database)},
    {"sqlite_path", set_sqlite_path, "./daoc.db", SLOT(sqlite_path)},
    {"plugins", set_plugins, "", SLOT(plugins_raw)},
    {"lua_package_path", set_lua_package_path, "./?.lua;./?/init.lua", SLOT(lua_package_path)},
    {"lua_memory_limit", set_lua_memory_limit, "512m", SLOT(lua_memory_limit_raw)},
    {"prefix", set_prefix, ".", SLOT(prefix)},
    {"create_tables", set_create_tables, "", SLOT(create_tables_raw)},
    {"pg_host", set_pg_host, "127.0.0.1", SLOT(pg.host)},
    {"pg_port", set_pg_port, "5432", SLOT(pg.port_raw)},
    {"pg_user", set_pg_user, "kong", SLOT(pg.user)},
    {"pg_password", set_pg_password, "", SLOT(pg.password)},
    {"pg_database", set_pg_database, "kong", SLOT(pg.database)},
    {"pg_schema", set_pg_schema, "", SLOT(pg_schema)},
    {"pg_ssl", set_pg_ssl, "off", SLOT(pg_ssl_raw)},
    {"pg_ssl_verify", set_pg_ssl_verify, "off", SLOT(pg_ssl_verify_raw)},
    {"pg_pooling", set_pg_pooling, "session", SLOT(pg_pooling)},
    {"pg_timeout", set_pg_timeout, "5000", SLOT(pg_timeout_raw)},
    {"pg_pool_size", set_pg_pool_size, "4", SLOT(pg_pool_size_raw)},
    {"pg_ro_host", set_pg_ro_host, "", SLOT(pg_ro.host)},
    {"pg_ro_port", set_pg_ro_port, "", SLOT(pg_ro.port_raw)},
    {"pg_ro_user", set_pg_ro_user, "", SLOT(pg_ro.user)},
    {"pg_ro_password", set_pg_ro_password, "", SLOT(pg_ro.password)},
    {"pg_ro_database", set_pg_ro_database, "", SLOT(pg_ro.database)},
    {"admin_listen", set_admin_listen, "127.0.0.1:8001", SLOT(admin_listen)},
    {"admin_token", set_admin_token, "", SLOT(admin_token)},
    {"admin_gui_url", set_admin_gui_url, "", SLOT(admin_gui_url)},
    {"admin_access_log", set_admin_access_log, "off", SLOT(admin_access_log)},
    {"admin_ssl_cert", set_admin_ssl_cert, "", SLOT(admin_ssl_cert)},
    {"admin_ssl_cert_key", set_admin_ssl_cert_key, "", SLOT(admin_ssl_cert_key)},
    {"log_level", set_log_level, "notice", SLOT(log_level)},
    {"db_update_frequency", set_db_update_frequency, "5", SLOT(db_update_frequency)},
    {"db_update_propagation", set_db_update_propagation, "0", SLOT(db_update_propagation)},
    {"mem_cache_size", set_mem_cache_size, "128m", SLOT(mem_cache_size)},
    {"db_cache_ttl", set_db_cache_ttl, "0", SLOT(db_cache_ttl)},
    {"db_cache_neg_ttl", set_db_cache_neg_ttl, "", SLOT(db_cache_neg_ttl)},
    {"db_resurrect_ttl", set_db_resurrect_ttl, "30", SLOT(db_resurrect_ttl)},
    {"db_cache_warmup_entities", set_db_cache_warmup, "services", SLOT(db_cache_warmup)},
};
#define NKEYS (sizeof KEYS / sizeof KEYS[0])

static char **raw_slot(const daoc_config *cfg, const struct key_def *k)
{
    return (char **)(void *)((char *)(uintptr_t)cfg + k->raw); /* offsetof a char * */
}

const char *daoc__config_key_at(size_t i) { return i < NKEYS ? KEYS[i].key : NULL; }

static const struct key_def *find_key(const char *k)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(KEYS[i].key, k) == 0)
            return &KEYS[i];
    return NULL;
}

static void put_err(char *errbuf, size_t size, const char *where, const char *why)
{
    if (errbuf && size)
        snprintf(errbuf, size, "%s: %s", where, why ? why : "out of memory");
}

static int set_key(daoc_config *cfg, const char *key, const char *value, char *errbuf,
                   size_t errbuf_size)
{
    if (!cfg || !key || !value)
        return DAOC_EINVAL;
    const struct key_def *k = find_key(key);
    if (!k) {
        if (errbuf && errbuf_size)
            snprintf(errbuf, errbuf_size, "unknown configuration key '%s'", key);
        return DAOC_ECONFIG;
    }
    char *why = NULL;
    int rc = k->set(cfg, value, &why);
    if (rc != DAOC_OK)
        put_err(errbuf, errbuf_size, key, why);
    daoc__free(why);
    return rc;
}

const char *daoc_config_get(const daoc_config *cfg, const char *key)
{
    if (!cfg || !key)
        return NULL;
    const struct key_def *k = find_key(key);
    return k ? *raw_slot(cfg, k) : NULL;
}

void daoc_config_get_log(const daoc_config *cfg, daoc_log_fn *fn, void **ud)
{
    *fn = cfg ? cfg->log : NULL;
    *ud = cfg ? cfg->log_ud : NULL;
}

void daoc_config_set_log(daoc_config *cfg, daoc_log_fn fn, void *ud)
{
    cfg->log = fn;
    cfg->log_ud = ud;
}

void daoc_config_free(daoc_config *cfg)
{
    if (!cfg)
        return;
    free_plugins(cfg);
    for (size_t i = 0; i < NKEYS; i++)
        daoc__free(*raw_slot(cfg, &KEYS[i]));
    daoc__free(cfg);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

/* Strips an unescaped '#' comment and turns "\#" into "#", in place. */
static void strip_comment(char *line)
{
    char *w = line;
    for (char *r = line; *r; r++) {
        if (r[0] == '\\' && r[1] == '#') {
            *w++ = '#';
            r++;
        } else if (*r == '#') {
            break;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static int load_file(daoc_config *cfg, const char *path, char *errbuf, size_t errbuf_size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        put_err(errbuf, errbuf_size, path, strerror(errno));
        return DAOC_ECONFIG;
    }
    char line[8192];
    int lineno = 0;
    int rc = DAOC_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t ll = strlen(line);
        if (ll == sizeof line - 1 && line[ll - 1] != '\n') {
            char where[512];
            snprintf(where, sizeof where, "%s:%d", path, lineno);
            put_err(errbuf, errbuf_size, where, "line too long");
            rc = DAOC_ECONFIG;
            break;
        }
        strip_comment(line);
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            char where[512];
            snprintf(where, sizeof where, "%s:%d", path, lineno);
            put_err(errbuf, errbuf_size, where, "expected 'key = value'");
            rc = DAOC_ECONFIG;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        char why[512] = "";
        rc = set_key(cfg, key, value, why, sizeof why);
        if (rc != DAOC_OK) {
            char where[512];
            snprintf(where, sizeof where, "%s:%d", path, lineno);
            put_err(errbuf, errbuf_size, where, why);
            break;
        }
    }
    if (rc == DAOC_OK && ferror(f)) {
        put_err(errbuf, errbuf_size, path, "read error");
        rc = DAOC_ECONFIG;
    }
    fclose(f);
    return rc;
}

/* Applies DAOC_<KEY> for every known key.  As with Kong's KONG_* variables,
 * other DAOC_* variables are not configuration and are left alone (the test
 * and bench tools use a few). */
static int load_env(daoc_config *cfg, char *errbuf, size_t errbuf_size)
{
    for (size_t k = 0; k < NKEYS; k++) {
        char name[64] = "DAOC_";
        size_t n = 5;
        for (const char *p = KEYS[k].key; *p && n < sizeof name - 1; p++)
            name[n++] = (char)toupper((unsigned char)*p);
        name[n] = '\0';
        const char *v = getenv(name);
        if (!v)
            continue;
        char why[512] = "";
        int rc = set_key(cfg, KEYS[k].key, v, why, sizeof why);
        if (rc != DAOC_OK) {
            const char *colon = strstr(why, ": ");
            put_err(errbuf, errbuf_size, name, colon ? colon + 2 : why);
            return rc;
        }
    }
    return DAOC_OK;
}

static int load(daoc_config **out, const char *path, char *errbuf, size_t errbuf_size)
{
    if (!out)
        return DAOC_EINVAL;
    *out = NULL;
    daoc_config *cfg = daoc__calloc(1, sizeof *cfg);
    if (!cfg)
        return DAOC_ENOMEM;
    int rc = DAOC_OK;
    for (size_t i = 0; i < NKEYS && rc == DAOC_OK; i++) {
        char *why = NULL;
        rc = KEYS[i].set(cfg, KEYS[i].def, &why);
        daoc__free(why);
    }
    if (rc == DAOC_OK && path)
        rc = load_file(cfg, path, errbuf, errbuf_size);
    if (rc == DAOC_OK)
        rc = load_env(cfg, errbuf, errbuf_size);
    if (rc != DAOC_OK) {
        daoc_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return DAOC_OK;
}

/* The public forms report through a daoc_error (code 0, "configuration
 * error", the message the file and environment readers wrote). */
int daoc_config_set(daoc_config *cfg, const char *key, const char *value, daoc_error **err)
{
    daoc__err_reset(err);
    char why[640] = "";
    int rc = set_key(cfg, key, value, why, sizeof why);
    return daoc__err_fail(err, rc, "%s", why[0] ? why : daoc_strerror(rc));
}

int daoc_config_load(daoc_config **out, const char *path, daoc_error **err)
{
    daoc__err_reset(err);
    char why[1024] = "";
    int rc = load(out, path, why, sizeof why);
    return daoc__err_fail(err, rc, "%s", why[0] ? why : daoc_strerror(rc));
}

daoc_config *daoc__config_copy(const daoc_config *src)
{
    daoc_config *cfg = daoc__calloc(1, sizeof *cfg);
    if (!cfg)
        return NULL;
    cfg->log = src->log;
    cfg->log_ud = src->log_ud;
    int rc = DAOC_OK;
    for (size_t i = 0; i < NKEYS && rc == DAOC_OK; i++) {
        const char *v = daoc_config_get(src, KEYS[i].key);
        char *why = NULL;
        rc = KEYS[i].set(cfg, v ? v : KEYS[i].def, &why);
        daoc__free(why);
    }
    if (rc != DAOC_OK) {
        daoc_config_free(cfg);
        return NULL;
    }
    return cfg;
}
