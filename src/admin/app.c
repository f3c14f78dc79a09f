/*
 * app.c -- the Admin API's route table, built once from the schemas of
 * the entities an open database loaded (daoc_dao_schema), as Kong's
 * kong/api/init.lua builds its routes from the DAOs: for each entity its
 * collection name (admin_api_name or name), its nested name
 * (admin_api_nested_name, else the collection name), its endpoint key,
 * its foreign fields and the entities they reference.  Entities with
 * generate_admin_api = false get no routes.  Also the state GET / shows:
 * the node id, the host name, the enabled plugins, the configuration with
 * secrets masked.  The table is read-only after this and shared by every
 * server thread.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/admin.h"
#include "core/alloc.h"
#include "core/rand.h"

static const char *str_of(const daoc_value *o, const char *key)
{
    const daoc_value *v = daoc_obj_get(o, key);
    return v && daoc_value_type(v) == DAOC_TSTR ? daoc_value_str(v, NULL) : NULL;
}

static bool bool_of(const daoc_value *o, const char *key, bool def)
{
    const daoc_value *v = daoc_obj_get(o, key);
    return v && daoc_value_type(v) == DAOC_TBOOL ? daoc_value_bool(v) : def;
}

const daoc_value *daoc__adm_field(const daoc_value *fields, const char *name)
{
    for (size_t i = 0; fields && i < daoc_value_len(fields); i++) {
        const daoc_value *one = daoc_arr_get(fields, i);
        const daoc_value *def = NULL;
        const char *k = daoc_obj_key_at(one, 0, &def);
        if (k && strcmp(k, name) == 0)
            return def;
    }
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? daoc__strdup(s) : NULL;
}

static void entity_free(daoc__adm_entity *e)
{
    daoc__free(e->name);
    daoc__free(e->coll);
    daoc__free(e->nested);
    daoc__free(e->endpoint_key);
    daoc__free(e->pk);
    for (size_t i = 0; i < e->nfks; i++)
        daoc__free(e->fks[i].field);
    daoc__free(e->fks);
    daoc_value_free(e->schema);
}

void daoc__adm_app_free(daoc__adm_app *app)
{
    if (!app)
        return;
    for (size_t i = 0; i < app->n; i++)
        entity_free(&app->ents[i]);
    daoc__free(app->ents);
    daoc_value_free(app->plugins);
    daoc_value_free(app->endpoints);
    daoc__adm_proutes_free(app);
    daoc__adm_health_free(app);
    daoc_value_free(app->configuration);
    daoc__free(app->token);
    daoc__free(app->gui_origin);
    daoc__free(app);
}

const daoc__adm_entity *daoc__adm_entity_named(const daoc__adm_app *app, const char *name)
{
    for (size_t i = 0; i < app->n; i++)
        if (strcmp(app->ents[i].name, name) == 0)
            return &app->ents[i];
    return NULL;
}

static int read_entity(daoc__adm_entity *e, const char *name, const daoc_value *schema)
{
    memset(e, 0, sizeof *e);
    e->schema = daoc_value_copy(schema);
    e->name = daoc__strdup(name);
    if (!e->schema || !e->name)
        return DAOC_ENOMEM;
    e->fields = daoc_obj_get(e->schema, "fields");
    const char *api = str_of(schema, "admin_api_name");
    const char *nested = str_of(schema, "admin_api_nested_name");
    e->coll = daoc__strdup(api ? api : name);
    e->nested = daoc__strdup(nested ? nested : api ? api : name);
    e->generate = bool_of(schema, "generate_admin_api", true);
    e->ttl = bool_of(schema, "ttl", false);
    e->endpoint_key = dup_or_null(str_of(schema, "endpoint_key"));
    if (!e->coll || !e->nested || (str_of(schema, "endpoint_key") && !e->endpoint_key))
        return DAOC_ENOMEM;
    if (e->endpoint_key) {
        const daoc_value *def = daoc__adm_field(e->fields, e->endpoint_key);
        e->endpoint_type = def ? str_of(def, "type") : NULL;
    }
    const daoc_value *pk = daoc_obj_get(schema, "primary_key");
    if (pk && daoc_value_len(pk) == 1 && daoc_value_type(daoc_arr_get(pk, 0)) == DAOC_TSTR &&
        !(e->pk = daoc__strdup(daoc_value_str(daoc_arr_get(pk, 0), NULL))))
        return DAOC_ENOMEM;
    e->has_tags = daoc__adm_field(e->fields, "tags") != NULL;
    return DAOC_OK;
}

/* The foreign fields of every entity, once all are known. */
static int link_foreign(daoc__adm_app *app)
{
    for (size_t i = 0; i < app->n; i++) {
        daoc__adm_entity *e = &app->ents[i];
        size_t nf = daoc_value_len(e->fields);
        for (size_t f = 0; f < nf; f++) {
            const daoc_value *def = NULL;
            const char *k = daoc_obj_key_at(daoc_arr_get(e->fields, f), 0, &def);
            const char *type = def ? str_of(def, "type") : NULL;
            const char *ref = def ? str_of(def, "reference") : NULL;
            if (!k || !type || strcmp(type, "foreign") != 0 || !ref)
                continue;
            const daoc__adm_entity *p = daoc__adm_entity_named(app, ref);
            if (!p)
                continue;
            daoc__adm_fk *grown = daoc__realloc(e->fks, (e->nfks + 1) * sizeof *grown);
            if (!grown)
                return DAOC_ENOMEM;
            e->fks = grown;
            e->fks[e->nfks].ref = (size_t)(p - app->ents);
            if (!(e->fks[e->nfks].field = daoc__strdup(k)))
                return DAOC_ENOMEM;
            e->nfks++;
        }
    }
    return DAOC_OK;
}

/* Secrets GET / never shows (Kong masks them as "******"). */
static bool secret_key(const char *k)
{
    return strstr(k, "password") || strstr(k, "token") || strstr(k, "_key") || strstr(k, "secret");
}

static int configuration(daoc__adm_app *app, const daoc_config *cfg)
{
    static const char *const keys[] = {
        "database",       "sqlite_path",  "plugins",     "lua_package_path", "prefix",
        "pg_host",        "pg_port",      "pg_user",     "pg_password",      "pg_database",
        "pg_schema",      "pg_ssl",       "pg_timeout",  "pg_pool_size",     "pg_ro_host",
        "pg_ro_password", "admin_listen", "admin_token", "admin_gui_url"};
    app->configuration = daoc_obj();
    for (size_t i = 0; app->configuration && i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = daoc_config_get(cfg, keys[i]);
        if (!v)
            continue;
        daoc_value *val = secret_key(keys[i]) && *v ? daoc_str("******") : daoc_str(v);
        if (daoc_obj_set(app->configuration, keys[i], val) != DAOC_OK)
            return DAOC_ENOMEM;
    }
    return app->configuration ? DAOC_OK : DAOC_ENOMEM;
}

/* "http://admin.api:9100/path" -> "http://admin.api:9100" */
static char *origin_of(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return NULL;
    const char *end = strchr(p + 3, '/');
    return daoc__strndup(url, end ? (size_t)(end - url) : strlen(url));
}

static int plugins(daoc__adm_app *app, const daoc_config *cfg)
{
    app->plugins = daoc_arr();
    const char *list = daoc_config_get(cfg, "plugins");
    if (!app->plugins)
        return DAOC_ENOMEM;
    while (list && *list) {
        size_t n = strcspn(list, ",");
        const char *a = list, *b = list + n;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a && strncmp(a, "bundled", (size_t)(b - a)) != 0 &&
            daoc_arr_push(app->plugins, daoc_strn(a, (size_t)(b - a))) != DAOC_OK)
            return DAOC_ENOMEM;
        list += n + (list[n] == ',');
    }
    return DAOC_OK;
}

int daoc__adm_endpoints(daoc__adm_app *app); /* info.c */

int daoc__adm_app_new(daoc__adm_app **out, daoc_db *db, const daoc_config *cfg, daoc_error **err)
{
    *out = NULL;
    daoc__adm_app *app = daoc__calloc(1, sizeof *app);
    if (!app)
        return DAOC_ENOMEM;
    size_t n = daoc_db_dao_count(db);
    app->ents = daoc__calloc(n ? n : 1, sizeof *app->ents);
    int rc = app->ents ? DAOC_OK : DAOC_ENOMEM;
    for (size_t i = 0; rc == DAOC_OK && i < n; i++) {
        const char *name = daoc_db_dao_name(db, i);
        rc = read_entity(&app->ents[app->n], name, daoc_dao_schema(daoc_db_dao(db, name)));
        app->n++;
    }
    if (rc == DAOC_OK)
        rc = link_foreign(app);
    if (rc == DAOC_OK)
        rc = configuration(app, cfg);
    if (rc == DAOC_OK)
        rc = plugins(app, cfg);
    const char *token = daoc_config_get(cfg, "admin_token");
    if (rc == DAOC_OK && token && *token && !(app->token = daoc__strdup(token)))
        rc = DAOC_ENOMEM;
    const char *gui = daoc_config_get(cfg, "admin_gui_url");
    if (rc == DAOC_OK && gui && *gui)
        app->gui_origin = origin_of(gui);
    if (rc == DAOC_OK) /* the process's, as every server of the process answers */
        memcpy(app->node_id, daoc_node_id(), sizeof app->node_id);
    if (rc == DAOC_OK && gethostname(app->hostname, sizeof app->hostname - 1) != 0)
        strcpy(app->hostname, "localhost");
    app->max_body = 10u << 20;
    if (rc == DAOC_OK)
        rc = daoc__adm_health_new(app);
    if (rc == DAOC_OK)
        rc = daoc__adm_plugin_routes(app, db, err);
    if (rc == DAOC_OK)
        rc = daoc__adm_endpoints(app);
    if (rc != DAOC_OK) {
        daoc__adm_app_free(app);
        return rc;
    }
    *out = app;
    return DAOC_OK;
}
