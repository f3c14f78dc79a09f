/*
 * core_entities.h -- JSON definitions of the core entities, in load order.
 */
#ifndef DAOC_DB_CORE_ENTITIES_H
#define DAOC_DB_CORE_ENTITIES_H

/* NULL-terminated list of JSON definition texts. */
extern const char *const daoc__core_entities[];

#endif
