/*
 * open.h -- what src/open offers the layers above it besides daoc.h's
 * daoc_db_open: the deferred open of the migrations engine.
 */
#ifndef DAOC_OPEN_OPEN_H
#define DAOC_OPEN_OPEN_H

#include "daoc.h"

/* As daoc_db_open, with every core and plugin definition compiled and every
 * plugin file loaded, but no table made, checked or required and no default
 * workspace looked for (db->defer_tables): the engine runs the migrations,
 * then daoc__db_make_tables.  *out as daoc_db_open's. */
int daoc__db_open_deferred(daoc_db **out, const daoc_config *cfg, daoc_error **err);

#endif
