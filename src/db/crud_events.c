/*
 * crud_events.c -- Kong's post_crud_event (kong/db/dao/init.lua) for a
 * handle's subscribers (daoc_db_on_crud).  Once a handle has one, every
 * change its DAOs make (the DAO's env->crud, dao.h) becomes an event:
 *   - with the change's cache keys: the entity's and, when they differ,
 *     the old entity's (a unique field changed); a delete also tells, after
 *     its own, one delete per entity its cascades will delete, found
 *     (through the DAOs, recursively) before they go, as Kong's
 *     find_cascade_delete_entities;
 *   - held until the change is committed: the store tells this file of
 *     every transaction verb (store.h, tx_hook), the events of a level
 *     rolled back (a savepoint, or the whole transaction) are dropped, so
 *     no subscriber ever hears of a change that did not happen, and at the
 *     outermost commit the events go, in order, to the subscribers, in the
 *     committing thread.  A change outside any transaction (an insert) is
 *     committed when the DAO tells it, and goes at once.
 * A subscriber that reads keys only (the cache's, daoc__db_on_crud_keys)
 * needs no copy of the entities: while all are such, none is made.
 * Other nodes hear of changes through the cluster_events table, which the
 * tables' triggers write in the change's own transaction
 * (store/events_ddl.h).
 */
#include <pthread.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/rand.h"
#include "core/value.h"
#include "db/db.h"

#define CASCADE_DEPTH 8

typedef struct held {
    int op;
    char *entity_name;
    daoc_value *entity, *old; /* nulls removed */
    char **keys;
    size_t nkeys;
} held;

typedef struct sub {
    daoc_crud_fn fn;
    void *ud;
    bool keys_only; /* reads no entity (daoc__db_on_crud_keys) */
} sub;

struct daoc__crud_state {
    held *ev;
    size_t n, cap;
    size_t *marks; /* marks[l - 2]: how many events level l (>= 2) began with */
    size_t nmarks, capmarks;
    sub *subs;
    size_t nsubs;
    size_t nentities; /* the subscribers that read the entities */
    int depth;        /* of the store's transaction (0: none) */
    bool delivering;
    size_t deliver_mark; /* while delivering: where a subscriber's own transaction began */
};

/* ---- the node ------------------------------------------------------------- */

static char node_id[37];
static pthread_once_t node_once = PTHREAD_ONCE_INIT;

static void make_node_id(void)
{
    if (daoc__uuid_v4(node_id) != DAOC_OK)
        memcpy(node_id, "00000000-0000-4000-8000-000000000000", 37);
}

const char *daoc_node_id(void)
{
    pthread_once(&node_once, make_node_id);
    return node_id;
}

/* ---- held events ----------------------------------------------------------- */

static void held_free(held *h)
{
    daoc__free(h->entity_name);
    daoc_value_free(h->entity);
    daoc_value_free(h->old);
    for (size_t i = 0; i < h->nkeys; i++)
        daoc__free(h->keys[i]);
    daoc__free(h->keys);
    memset(h, 0, sizeof *h);
}

static void drop_from(struct daoc__crud_state *c, size_t from)
{
    while (c->n > from)
        held_free(&c->ev[--c->n]);
}

/* The held events to the subscribers, then dropped.  A subscriber's own
 * writes are told by this same loop, after the event that caused them. */
static void deliver(struct daoc__crud_state *c)
{
    c->delivering = true;
    for (size_t i = 0; i < c->n; i++) {
        held *h = &c->ev[i];
        static const char *const ops[] = {"create", "update", "delete"};
        daoc_crud_event e = {ops[h->op], h->entity_name, h->entity, h->old,
                             (const char *const *)h->keys, h->nkeys};
        for (size_t s = 0; s < c->nsubs; s++)
            c->subs[s].fn(c->subs[s].ud, &e); /* may append to c->ev */
    }
    c->delivering = false;
    drop_from(c, 0);
}

/* The store's transaction verbs (store.h tx_hook). */
static void tx_hook(void *ud, daoc__tx_verb verb, int level, bool ok)
{
    daoc_db *db = ud;
    struct daoc__crud_state *c = db->crud;
    c->depth = verb == DAOC__TX_BEGIN ? level : level - 1;
    if (verb == DAOC__TX_BEGIN) {
        if (level == 1 && c->delivering)
            c->deliver_mark = c->n;
        if (level >= 2) {
            if (c->nmarks == c->capmarks) {
                size_t cap = c->capmarks ? 2 * c->capmarks : 8;
                size_t *m = daoc__realloc(c->marks, cap * sizeof *m);
                if (!m) { /* cannot mark: a rollback of this level drops all (safe) */
                    return;
                }
                c->marks = m;
                c->capmarks = cap;
            }
            c->marks[c->nmarks++] = c->n;
        }
        return;
    }
    if (level >= 2) {
        size_t mark = 0;
        if (c->nmarks > 0 && c->nmarks == (size_t)(level - 1))
            mark = c->marks[--c->nmarks];
        else
            c->nmarks = 0; /* lost track: keep nothing a rollback might undo */
        if (verb == DAOC__TX_ROLLBACK)
            drop_from(c, mark);
        return;
    }
    /* the outermost level: deliver (committed) or drop */
    c->nmarks = 0;
    if (c->delivering) { /* a subscriber's own transaction: the loop below delivers it */
        if (!(verb == DAOC__TX_COMMIT && ok))
            drop_from(c, c->deliver_mark);
        return;
    }
    if (verb == DAOC__TX_COMMIT && ok)
        deliver(c);
    else
        drop_from(c, 0);
}

/* ---- a change: its keys and its event ---------------------------------------- */

/* A copy of v without its null members (Kong's remove_nulls). */
static daoc_value *without_nulls(const daoc_value *v)
{
    if (!v)
        return NULL;
    if (daoc_value_type(v) != DAOC_TOBJ)
        return daoc_value_copy(v);
    daoc_value *o = daoc_obj();
    for (size_t i = 0; o && i < daoc_value_len(v); i++) {
        const daoc_value *m = NULL;
        const char *k = daoc_obj_key_at(v, i, &m);
        if (!k || !m || daoc_value_type(m) == DAOC_TNULL)
            continue;
        daoc_value *c = without_nulls(m);
        if (!c || daoc_obj_set(o, k, c) != DAOC_OK) {
            daoc_value_free(o);
            o = NULL;
        }
    }
    return o;
}

static int add_key(held *h, char *key)
{
    for (size_t i = 0; i < h->nkeys; i++)
        if (strcmp(h->keys[i], key) == 0) {
            daoc__free(key);
            return DAOC_OK;
        }
    char **k = daoc__realloc(h->keys, (h->nkeys + 1) * sizeof *k);
    if (!k) {
        daoc__free(key);
        return DAOC_ENOMEM;
    }
    h->keys = k;
    h->keys[h->nkeys++] = key;
    return DAOC_OK;
}

/* The cache key of entity, changed in workspace ws (the DAO's rule for
 * the workspace part: dao.h, daoc__dao_key_ws). */
static int key_of(daoc_dao *dao, const daoc_value *entity, const char *ws, held *h)
{
    if (!entity)
        return DAOC_OK;
    char *key = NULL;
    int rc = daoc__dao_cache_key_of(dao, entity, ws, &key);
    return rc == DAOC_OK ? add_key(h, key) : rc;
}

static int hold(struct daoc__crud_state *c, held *h)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        held *e = daoc__realloc(c->ev, cap * sizeof *e);
        if (!e)
            return DAOC_ENOMEM;
        c->ev = e;
        c->cap = cap;
    }
    c->ev[c->n++] = *h;
    memset(h, 0, sizeof *h);
    return DAOC_OK;
}

static int change(daoc_db *db, daoc_dao *dao, int op, const daoc_value *entity,
                  const daoc_value *old, const char *ws, int depth, daoc_error **err);

/* A delete's cascades: every entity with a foreign field to dao's on
 * delete cascade, of the entity `old`, told as deleted first (Kong's
 * find_cascade_delete_entities). */
static int cascades(daoc_db *db, daoc_dao *dao, const daoc_value *old, const char *ws,
                    int depth, daoc_error **err)
{
    if (depth >= CASCADE_DEPTH)
        return DAOC_OK;
    const daoc__schema *s = dao->schema;
    if (s->npk != 1)
        return DAOC_OK;
    const daoc_value *pkv = daoc_obj_get(old, s->fields[s->pk[0]].name);
    int rc = DAOC_OK;
    for (size_t d = 0; rc == DAOC_OK && d < db->ndaos; d++) {
        daoc_dao *child = db->daos[d];
        const daoc__schema *cs = child->schema;
        for (size_t f = 0; rc == DAOC_OK && f < cs->nfields; f++) {
            const daoc__field *fd = &cs->fields[f];
            if (fd->type != DAOC__F_FOREIGN || fd->on_delete != DAOC__ON_DELETE_CASCADE ||
                !fd->reference || strcmp(fd->reference, s->name) != 0 || !pkv)
                continue;
            daoc_value *fk = daoc_obj(), *opts = daoc_obj(); /* the parent's workspace */
            rc = fk && opts ? daoc_obj_set(fk, s->fields[s->pk[0]].name, daoc_value_copy(pkv))
                            : DAOC_ENOMEM;
            if (rc == DAOC_OK)
                rc = daoc_obj_set(opts, "workspace", ws ? daoc_str(ws) : daoc_null());
            char *offset = NULL;
            do {
                daoc_value *rows = NULL;
                char *next = NULL;
                if (rc == DAOC_OK)
                    rc = daoc_dao_page_for(child, fd->name, fk, 1000, offset, opts, &rows, &next,
                                           err);
                for (size_t i = 0; rc == DAOC_OK && i < daoc_value_len(rows); i++)
                    rc = change(db, child, DAOC__CRUD_DELETE, NULL, daoc_arr_get(rows, i), ws,
                                depth + 1, err);
                daoc_value_free(rows);
                daoc_free(offset);
                offset = next;
            } while (rc == DAOC_OK && offset);
            daoc_free(offset);
            daoc_value_free(fk);
            daoc_value_free(opts);
        }
    }
    return rc;
}

static int change(daoc_db *db, daoc_dao *dao, int op, const daoc_value *entity,
                  const daoc_value *old, const char *ws, int depth, daoc_error **err)
{
    held h = {op, daoc__strdup(dao->schema->name), NULL, NULL, NULL, 0};
    int rc = h.entity_name ? DAOC_OK : DAOC_ENOMEM;
    /* Kong's delete event carries the deleted entity as `entity` */
    const daoc_value *e = op == DAOC__CRUD_DELETE ? old : entity;
    const daoc_value *o = op == DAOC__CRUD_DELETE ? NULL : old;
    bool copies = db->crud->nentities > 0; /* else only keys are read */
    if (rc == DAOC_OK && copies && e && !(h.entity = without_nulls(e)))
        rc = DAOC_ENOMEM;
    if (rc == DAOC_OK && copies && o && !(h.old = without_nulls(o)))
        rc = DAOC_ENOMEM;
    if (rc == DAOC_OK)
        rc = key_of(dao, e, ws, &h);
    if (rc == DAOC_OK)
        rc = key_of(dao, o, ws, &h);
    if (rc == DAOC_OK)
        rc = hold(db->crud, &h);
    held_free(&h);
    if (rc == DAOC_OK && op == DAOC__CRUD_DELETE)
        rc = cascades(db, dao, old, ws, depth, err); /* children after the parent */
    return rc;
}

static int on_crud(void *ud, daoc_dao *dao, int op, const daoc_value *entity,
                   const daoc_value *old, const char *ws, daoc_error **err)
{
    daoc_db *db = ud;
    daoc_error *why = NULL;
    int rc = change(db, dao, op, entity, old, ws, 0, &why);
    /* as Kong, a change that cannot be told is logged, not undone (an
     * insert outside a transaction is committed already) */
    if (rc != DAOC_OK)
        daoc__db_log(db, DAOC_LOG_ERR, "failed to propagate CRUD operation on %s: %s",
                     dao->schema->name, why ? daoc_error_message(why) : daoc_strerror(rc));
    daoc_error_free(why);
    (void)err;
    /* outside a transaction the change is committed already */
    if (db->crud->depth == 0 && !db->crud->delivering)
        deliver(db->crud);
    return DAOC_OK;
}

/* ---- the handle ------------------------------------------------------------------- */

int daoc__db_crud_start(daoc_db *db)
{
    db->crud = daoc__calloc(1, sizeof *db->crud);
    if (!db->crud)
        return DAOC_ENOMEM;
    db->store->tx_hook = tx_hook;
    db->store->tx_hook_ud = db;
    return DAOC_OK;
}

void daoc__db_crud_stop(daoc_db *db)
{
    struct daoc__crud_state *c = db->crud;
    if (!c)
        return;
    db->dao_env.crud = NULL;
    if (db->store) {
        db->store->tx_hook = NULL;
        db->store->tx_hook_ud = NULL;
    }
    drop_from(c, 0);
    daoc__free(c->ev);
    daoc__free(c->marks);
    daoc__free(c->subs);
    daoc__free(c);
    db->crud = NULL;
}

void daoc__db_crud_off(daoc_db *db, daoc_crud_fn fn, void *ud)
{
    struct daoc__crud_state *c = db ? db->crud : NULL;
    if (!c)
        return;
    size_t k = 0;
    for (size_t i = 0; i < c->nsubs; i++)
        if (c->subs[i].fn != fn || c->subs[i].ud != ud)
            c->subs[k++] = c->subs[i];
        else if (!c->subs[i].keys_only)
            c->nentities--;
    c->nsubs = k;
}

static int subscribe(daoc_db *db, daoc_crud_fn fn, void *ud, bool keys_only)
{
    if (!db || !fn)
        return DAOC_EINVAL;
    if (!db->crud)
        return DAOC_EINVAL;
    struct daoc__crud_state *c = db->crud;
    sub *s = daoc__realloc(c->subs, (c->nsubs + 1) * sizeof *s);
    if (!s)
        return DAOC_ENOMEM;
    c->subs = s;
    c->subs[c->nsubs++] = (sub){fn, ud, keys_only};
    c->nentities += !keys_only;
    db->dao_env.crud = on_crud; /* the DAOs tell changes from now on */
    return DAOC_OK;
}

int daoc_db_on_crud(daoc_db *db, daoc_crud_fn fn, void *ud)
{
    return subscribe(db, fn, ud, false);
}

int daoc__db_on_crud_keys(daoc_db *db, daoc_crud_fn fn, void *ud)
{
    return subscribe(db, fn, ud, true);
}
