/*
 * targets_dao.c -- the custom DAO of the targets core entity (Kong's
 * kong/db/dao/targets.lua).  The target's normalisation (host:port, port
 * 8000 by default) is the entity's on_write transformation
 * (src/lua/core_entities.lua).  No hook yet: docs/entities.md lists what
 * of Kong's targets DAO is not done.
 */
#include "dao/dao.h"
#include "db/db.h"

void daoc__db_targets_dao(daoc_db *db, daoc__dao_custom *c)
{
    *c = (daoc__dao_custom){.ud = db};
}
