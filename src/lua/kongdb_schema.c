/*
 * kongdb_schema.c -- the `schema` of a kong.db.<entity> object: a read-only
 * Lua description of the compiled schema (name, table_name, primary_key,
 * cache_key, endpoint_key, the entity flags, and fields both as an array of
 * {name = def} and as fields[name] = def), for plugin code that reads it.
 */
#include <stdbool.h>

#include "lua/kongdb.h"

static const char *ftype_name(daoc__ftype t)
{
    static const char *const names[] = {"?",   "string", "integer", "number",  "boolean",
                                        "array", "set",  "map",     "record", "foreign",
                                        "json"};
    return (t >= DAOC__F_STRING && t <= DAOC__F_JSON) ? names[t] : "?";
}

static void push_name_list(lua_State *L, const daoc__schema *s, const size_t *idx, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, s->fields[idx[i]].name);
        lua_rawseti(L, -2, (int)(i + 1));
    }
}

static void set_bool(lua_State *L, const char *k, bool b)
{
    if (b) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, k);
    }
}

/* Pushes s's fields as Kong's schema objects hold them: an array of
 * {name = def} and, by name, the same defs; a record's def has its own
 * fields, an array's or set's its elements. */
static void push_field_def(lua_State *L, struct daoc__lua *ls, const daoc__field *f);

static void push_fields(lua_State *L, struct daoc__lua *ls, const daoc__schema *s)
{
    lua_createtable(L, (int)s->nfields, (int)s->nfields);
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        push_field_def(L, ls, f);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, f->name); /* fields[name] = def */
        lua_newtable(L);
        lua_insert(L, -2);
        lua_setfield(L, -2, f->name); /* {name = def} */
        lua_rawseti(L, -2, (int)(i + 1));
    }
}

static void push_field_def(lua_State *L, struct daoc__lua *ls, const daoc__field *f)
{
    luaL_checkstack(L, 6, "schema nested too deep");
    lua_newtable(L);
    lua_pushstring(L, ftype_name(f->type));
    lua_setfield(L, -2, "type");
    set_bool(L, "required", f->required);
    set_bool(L, "unique", f->unique);
    set_bool(L, "auto", f->auto_);
    set_bool(L, "immutable", f->immutable);
    set_bool(L, "uuid", f->uuid);
    set_bool(L, "timestamp", f->timestamp);
    if (f->reference) {
        lua_pushstring(L, f->reference);
        lua_setfield(L, -2, "reference");
        static const char *const od[] = {"restrict", "cascade", "null"};
        if (f->on_delete_set) {
            lua_pushstring(L, od[f->on_delete]);
            lua_setfield(L, -2, "on_delete");
        }
    }
    if (f->def && daoc__lua_push_value(ls, f->def) == DAOC_OK)
        lua_setfield(L, -2, "default");
    if (f->record) {
        push_fields(L, ls, f->record);
        lua_setfield(L, -2, "fields");
    }
    if (f->elements) {
        push_field_def(L, ls, f->elements);
        lua_setfield(L, -2, "elements");
    }
}

/* A read-only description of the schema: name, primary_key, fields (an
 * array of {name = def} plus fields[name] = def), the entity flags, and
 * subschemas[key] = {name, fields} of a schema that has them (plugins). */
void daoc__kdb_push_schema(lua_State *L, struct daoc__lua *ls, const daoc__schema *s)
{
    lua_newtable(L);
    lua_pushstring(L, s->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, daoc__schema_table(s));
    lua_setfield(L, -2, "table_name");
    push_name_list(L, s, s->pk, s->npk);
    lua_setfield(L, -2, "primary_key");
    if (s->ncache_key) {
        push_name_list(L, s, s->cache_key, s->ncache_key);
        lua_setfield(L, -2, "cache_key");
    }
    if (s->endpoint_key >= 0) {
        lua_pushstring(L, s->fields[s->endpoint_key].name);
        lua_setfield(L, -2, "endpoint_key");
    }
    set_bool(L, "ttl", s->ttl);
    set_bool(L, "workspaceable", s->workspaceable);
    lua_pushboolean(L, s->generate_admin_api);
    lua_setfield(L, -2, "generate_admin_api");
    if (s->admin_api_name) {
        lua_pushstring(L, s->admin_api_name);
        lua_setfield(L, -2, "admin_api_name");
    }
    if (s->plugin) {
        lua_pushstring(L, s->plugin);
        lua_setfield(L, -2, "plugin");
    }
    push_fields(L, ls, s);
    lua_setfield(L, -2, "fields");
    /* Kong's schema.subschemas[key]: each subschema's fields */
    if (s->nsubschemas) {
        lua_createtable(L, 0, (int)s->nsubschemas);
        for (size_t i = 0; i < s->nsubschemas; i++) {
            lua_newtable(L);
            lua_pushlstring(L, s->subschemas[i].key, s->subschemas[i].key_len);
            lua_setfield(L, -2, "name");
            push_fields(L, ls, s->subschemas[i].schema);
            lua_setfield(L, -2, "fields");
            lua_pushlstring(L, s->subschemas[i].key, s->subschemas[i].key_len);
            lua_insert(L, -2);
            lua_rawset(L, -3);
        }
        lua_setfield(L, -2, "subschemas");
    }
}
