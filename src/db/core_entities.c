/*
 * core_entities.c -- the definitions of daoc's core entities, in the same
 * shape a daos.lua table has, as JSON text compiled at open time.
 *
 * `workspaces` comes first (every workspaceable table references it), as
 * Kong's kong/db/schema/entities/workspaces.lua has it: a unique utf8 name
 * that is not a core entity name, comment, timestamps, meta and config
 * records; not workspaceable itself.  `consumers` follows Kong's
 * consumers.lua (username and custom_id unique per workspace, at least one
 * of the two, tags).  `apis` is Kong 0.5's (kong/dao/schemas/apis.lua):
 * unique name, request_host and request_path, at least one of the two,
 * upstream_url a required URL, strip_request_path and preserve_host
 * booleans; scoped to a workspace like every later core entity.  0.5's
 * default name is filled by the `dao` global (legacy_dao.lua); its
 * request_path normalisation and wildcard-host checks are not reproduced
 * (docs/legacy.md).  `tags` is Kong's read-only view of the tags table.
 * Services are in src/lua/core_entities.lua (their url
 * shorthand is a Lua function), loaded after these; routes and plugins
 * come with later work.  docs/entities.md lists what is defined.
 */
#include "db/core_entities.h"

#include <stddef.h>

static const char CONSUMERS[] =
    "{\"name\":\"consumers\",\"primary_key\":[\"id\"],\"endpoint_key\":\"username\","
    "\"workspaceable\":true,\"fields\":["
    "{\"id\":{\"type\":\"string\",\"uuid\":true,\"auto\":true}},"
    "{\"created_at\":{\"type\":\"integer\",\"timestamp\":true,\"auto\":true}},"
    "{\"updated_at\":{\"type\":\"integer\",\"timestamp\":true,\"auto\":true}},"
    "{\"username\":{\"type\":\"string\",\"unique\":true}},"
    "{\"custom_id\":{\"type\":\"string\",\"unique\":true}},"
    "{\"tags\":{\"type\":\"set\",\"elements\":{\"type\":\"string\",\"required\":true,"
    "\"custom_validator\":\"tag\"}}}"
    "],\"entity_checks\":[{\"at_least_one_of\":[\"custom_id\",\"username\"]}]}";

static const char WORKSPACES[] =
    "{\"name\":\"workspaces\",\"primary_key\":[\"id\"],\"cache_key\":[\"name\"],"
    "\"endpoint_key\":\"name\",\"generate_admin_api\":false,\"fields\":["
    "{\"id\":{\"type\":\"string\",\"uuid\":true,\"auto\":true}},"
    "{\"name\":{\"type\":\"string\",\"required\":true,\"unique\":true,"
    "\"custom_validator\":\"utf8_name\",\"not_one_of\":[\"workspaces\",\"consumers\","
    "\"certificates\",\"services\",\"routes\",\"snis\",\"upstreams\",\"targets\","
    "\"plugins\",\"tags\",\"ca_certificates\",\"clustering_data_planes\",\"parameters\","
    "\"vaults\",\"key_sets\",\"keys\",\"filter_chains\"]}},"
    "{\"comment\":{\"type\":\"string\"}},"
    "{\"created_at\":{\"type\":\"integer\",\"timestamp\":true,\"auto\":true}},"
    "{\"updated_at\":{\"type\":\"integer\",\"timestamp\":true,\"auto\":true}},"
    "{\"meta\":{\"type\":\"record\",\"fields\":[]}},"
    "{\"config\":{\"type\":\"record\",\"fields\":[]}}"
    "]}";

static const char APIS[] =
    "{\"name\":\"apis\",\"primary_key\":[\"id\"],\"endpoint_key\":\"name\","
    "\"workspaceable\":true,\"fields\":["
    "{\"id\":{\"type\":\"string\",\"uuid\":true,\"auto\":true}},"
    "{\"created_at\":{\"type\":\"integer\",\"timestamp\":true,\"auto\":true}},"
    "{\"name\":{\"type\":\"string\",\"unique\":true}},"
    "{\"request_host\":{\"type\":\"string\",\"unique\":true}},"
    "{\"request_path\":{\"type\":\"string\",\"unique\":true}},"
    "{\"strip_request_path\":{\"type\":\"boolean\",\"default\":false}},"
    "{\"upstream_url\":{\"type\":\"string\",\"required\":true,"
    "\"custom_validator\":\"url\"}},"
    "{\"preserve_host\":{\"type\":\"boolean\",\"default\":false}}"
    "],\"entity_checks\":[{\"at_least_one_of\":[\"request_host\",\"request_path\"]}]}";

/* Kong's kong/db/schema/entities/tags.lua: a read-only view of the tags
 * table the store keeps (store/tags.h, dao/tags_view.c); no table of its
 * own, not exported. */
static const char TAGS[] =
    "{\"name\":\"tags\",\"primary_key\":[\"tag\"],\"endpoint_key\":\"tag\","
    "\"db_export\":false,\"fields\":["
    "{\"tag\":{\"type\":\"string\",\"required\":true,\"custom_validator\":\"tag\"}},"
    "{\"entity_name\":{\"type\":\"string\",\"required\":true}},"
    "{\"entity_id\":{\"type\":\"string\",\"uuid\":true,\"required\":true}}"
    "]}";

const char *const daoc__core_entities[] = {WORKSPACES, CONSUMERS, APIS, TAGS, NULL};
