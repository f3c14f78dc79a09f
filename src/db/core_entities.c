/*
 * core_entities.c -- the definitions of daoc's core entities, in the same
 * shape a daos.lua table has, as JSON text compiled at open time.
 *
 * Only `consumers` exists so far (Kong's kong/db/schema/entities/consumers.lua:
 * username and custom_id unique, at least one of the two, tags).  Services,
 * routes, plugins and workspaces come with later work.
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

const char *const daoc__core_entities[] = {CONSUMERS, NULL};
