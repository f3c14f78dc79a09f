/*
 * write_internal.h -- the steps the write pipelines of src/dao share
 * (internal to src/dao).  Files: write_insert.c, write_update.c,
 * write_upsert.c and write_delete.c (one pipeline each), write_api.c (the
 * public _by forms), resolve_foreign.c, write_checks.c (checks that
 * refuse a write) and write_entity.c (the entity a write works on).
 * Every function returns DAOC_OK, DAOC_ENOMEM, or DAOC_EDAO with Kong's
 * error in *err (err may be NULL).
 */
#ifndef DAOC_DAO_WRITE_INTERNAL_H
#define DAOC_DAO_WRITE_INTERNAL_H

#include <stdbool.h>

#include "dao/dao.h"

/* The strategy name Kong's errors carry ("sqlite", "postgres"). */
static inline const char *daoc__dao_strategy(const daoc_dao *dao)
{
    return dao->store->ops->name;
}

/* ---- resolve_foreign.c ---- */
/* Replaces each foreign value of e given by a unique field of the
 * referenced entity by that entity's primary key; misses are code 13. */
int daoc__dao_resolve_foreign(daoc_dao *dao, daoc_value *e, daoc_error **err);

/* The DAO's write rule (dao.h), when it has one. */
static inline int daoc__dao_run_rule(daoc_dao *dao, bool update, const daoc_value *input,
                                     const daoc_value *entity, const daoc_value *opts,
                                     daoc_error **err)
{
    return dao->custom.write_rule ? dao->custom.write_rule(dao->custom.ud, dao, update, input,
                                                           entity, opts, err)
                                  : DAOC_OK;
}

/* The DAO's after_write hook (dao.h), when it has one. */
static inline int daoc__dao_run_after_write(daoc_dao *dao, daoc__write_kind kind,
                                            const daoc_value *input, daoc_value *row,
                                            const daoc_value *opts, daoc_error **err)
{
    return dao->custom.after_write
               ? dao->custom.after_write(dao->custom.ud, dao, kind, input, row, opts, err)
               : DAOC_OK;
}

/* Whether the owner wants to be told of changes (dao.h, env->crud). */
static inline bool daoc__dao_crud_on(const daoc_dao *dao)
{
    return dao->env && dao->env->crud;
}

/* Tells the owner of a change (env->crud), when it wants to be told. */
static inline int daoc__dao_crud(daoc_dao *dao, int op, const daoc_value *entity,
                                 const daoc_value *old, const char *ws, daoc_error **err)
{
    return daoc__dao_crud_on(dao) ? dao->env->crud(dao->env->ud, dao, op, entity, old, ws, err)
                                  : DAOC_OK;
}

/* ---- write_checks.c ---- */
/* The input's shorthand fields applied in place (daoc__schema_shorthands);
 * their errors => code 2. */
int daoc__dao_shorthands(daoc_dao *dao, daoc_value *e, daoc_error **err);
/* Kong's validate (full insert/upsert, or update) => code 2; _ex also
 * passes the caller's original input and the stored entity (update) for
 * the implicit checks of transformations. */
int daoc__dao_validate_ex(daoc_dao *dao, const daoc_value *e, bool full, bool update,
                          const daoc_value *original, const daoc_value *rbw, daoc_error **err);
/* The on_write transformations, unless options.transform is false (code 15). */
int daoc__dao_transform(daoc_dao *dao, daoc_value *e, const daoc_value *original,
                        const daoc__dao_opts *o, daoc_error **err);
/* Kong's validate (full insert/upsert, or update) => code 2. */
int daoc__dao_validate(daoc_dao *dao, const daoc_value *e, bool full, bool update,
                       daoc_error **err);
/* Refuses a stored (non-transient) field holding a NUL byte => code 8. */
int daoc__dao_check_nul(daoc_dao *dao, const daoc_value *e, daoc_error **err);
/* Kong's validate_immutable_fields of upd against stored => code 2. */
int daoc__dao_check_immutable(daoc_dao *dao, const daoc_value *upd, const daoc_value *stored,
                              daoc_error **err);

/* ---- write_entity.c ---- */
/* A private deep copy of the caller's entity as an object (DAOC_EINVAL
 * when it is not a table). */
int daoc__dao_copy_entity(const daoc__schema *s, const daoc_value *entity, daoc_value **out,
                          daoc_error **err);
/* The composite cache_key column value of e written in workspace ws (the
 * operation's, NULL: global), or *ck = NULL. */
int daoc__dao_cache_key_column(const daoc_dao *dao, const daoc_value *e, const char *ws,
                               char **ck);
/* row_to_entity of a stored row with the options, into *out (row is
 * consumed whatever the outcome). */
int daoc__dao_finish_row(daoc_dao *dao, daoc_value *row, const daoc__dao_opts *o, daoc_value **out,
                         daoc_error **err);
/* The read-before-write of update (and of upsert with immutable fields):
 * opens the store transaction (*in_tx true once it is open, for the
 * caller's rollback) and reads the stored row of k into *stored (NULL when
 * there is none).  Store failures are code 8 in *err. */
int daoc__dao_begin_read(daoc_dao *dao, const daoc__key *k, const daoc__read_opts *ro,
                         bool *in_tx, daoc_value **stored, daoc_error **err);
/* Commits that transaction (*in_tx false afterwards); a failed commit is
 * rolled back and is code 8 in *err. */
int daoc__dao_commit_write(daoc_dao *dao, bool *in_tx, daoc_error **err);
/* The common start of update/upsert by key; *e is the caller's. */
int daoc__dao_prepare_keyed_write(daoc_dao *dao, long field, const daoc_value *key,
                                  const daoc_value *entity, const daoc_value *opts, daoc__ctx ctx,
                                  daoc__dao_opts *o, daoc_value **e, daoc_error **err);

#endif
