/*
 * value.h -- internal layout of daoc_value and helpers the library uses on
 * hot paths (key lookups with explicit lengths, stealing children).
 *
 * A value tree has one owner: containers own their children.  Objects keep
 * insertion order and unique keys; lookups are linear, which is the fastest
 * option for entity-sized objects (a few dozen keys).  Code that builds a
 * big object from keys known to be unique (decoders) appends without
 * looking (daoc__obj_append); daoc__obj_setn looks first, so building an
 * object of n keys with it costs n^2/2 key comparisons.  Comparing big
 * objects (daoc__value_equal) sorts their keys.
 */
#ifndef DAOC_CORE_VALUE_H
#define DAOC_CORE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daoc.h"

/* A callable carried by a DAOC_TFUNC value: a Lua function of a definition
 * file, or a built-in C validator.  Reference counted: copies of the value
 * share it.
 *
 * call(): invoked with `nargs` arguments.  Returns 1 when the callee
 * answered truthy, 0 when it answered false/nil (then *msg, when the callee
 * gave a message, receives a string owned by the caller, else NULL), or a
 * negative status when the call itself failed (a Lua error: *msg receives
 * the Lua message).  *ret (optional) receives the first return value as a
 * new value, or NULL. */
typedef struct daoc__callable daoc__callable;
struct daoc__callable {
    int refs;
    int (*call)(daoc__callable *self, const daoc_value *const *args, size_t nargs,
                daoc_value **ret, char **msg);
    void (*release)(daoc__callable *self); /* frees self when refs drop to 0 */
    const char *builtin;                   /* name of a built-in validator, or NULL */
    void *ud;
    /* Optional (NULL for built-ins): as call() without `ret`, but when the
     * callee answers false/nil its second result, whatever its type (a
     * string, a table of errors), is converted into *second (NULL when
     * absent or unconvertible); *msg only carries a failed call's message.
     * The schema-level `check` function needs it. */
    int (*call_err)(daoc__callable *self, const daoc_value *const *args, size_t nargs,
                    daoc_value **second, char **msg);
};

typedef struct daoc__kv {
    char *key;
    size_t klen;
    daoc_value *val;
    bool borrowed; /* key is interned (daoc__key_intern): never freed, shared by copies */
    uint8_t keytype; /* DAOC__KEY_*: what the key was in the Lua table it came from */
} daoc__kv;
/* Keys of objects converted from Lua tables (convert.c): a string (also
 * every key made in C), a number in a table that also has other keys
 * (text "%.14g"), or anything else: a boolean, a table, a function (text
 * as Lua's tostring; only daoc__lua_to_input keeps those).  Map validation
 * refuses a non-string key as Kong's validate_field(keys, k) does. */
#define DAOC__KEY_STR 0
#define DAOC__KEY_NUM 1
#define DAOC__KEY_OTHER 2
/* qsort comparator over pointers to daoc__kv: keys bytewise, a shorter
 * prefix first (value.c; equality and Penlight's rendering sort by it). */
int daoc__kv_cmp(const void *a, const void *b);

/* flags */
#define DAOC__VF_SET 0x01     /* array produced for a `set` field (informational) */
#define DAOC__VF_INTKEYS 0x02 /* object whose keys are 1-based array indices ("2"):
                                 Kong's sparse error tables {[2] = "msg"}.  Lua
                                 gets integer keys; JSON gets an array padded
                                 with nulls, as cjson encodes it. */
#define DAOC__VF_EMPTYTABLE 0x04 /* an empty Lua table `{}`: array or object */
#define DAOC__VF_INLINE 0x08     /* the elements / key-value array lives in the value's own
                                    allocation (daoc__arr_sized, daoc__obj_sized): it is
                                    never freed or reallocated on its own; growing moves it
                                    out and clears the flag */
#define DAOC__VF_EMBEDDED 0x10   /* the value was carved from another value's block (a row a
                                    store built in one allocation, daoc__obj_block): freeing
                                    it releases what it owns but not the value itself, which
                                    goes with the block; taking it out of its container
                                    (daoc__obj_take, daoc__arr_take) hands out a copy.  Copies
                                    never carry the flag. */

struct daoc_value {
    uint8_t type; /* daoc_type */
    uint8_t flags;
    size_t len; /* string bytes, array elements, object keys */
    size_t cap;
    union {
        bool b;
        int64_t i;
        double n;
        char *s;
        daoc_value **a;
        daoc__kv *o;
        daoc__callable *f;
    } u;
};

daoc_value *daoc__func(daoc__callable *c); /* takes one reference */
void daoc__callable_ref(daoc__callable *c);
void daoc__callable_unref(daoc__callable *c);

/* A new empty object / array with room for `cap` entries (rows whose size
 * is known), in one allocation with the value (DAOC__VF_INLINE); NULL on
 * ENOMEM. */
daoc_value *daoc__obj_sized(size_t cap);
/* A deep copy of object v (as daoc_value_copy) with inline room for at
 * least `room` entries: an entity about to gain fields copies once. */
daoc_value *daoc__obj_copy_room(const daoc_value *v, size_t room);
daoc_value *daoc__arr_sized(size_t cap);

/* Rows in one allocation.  daoc__obj_block returns an object with room for
 * `cap` entries (as daoc__obj_sized) and `extra` more bytes in the same
 * block, and points *b at them; the daoc__bump_* constructors carve values
 * (DAOC__VF_EMBEDDED) out of that room, each falling back to its ordinary
 * constructor when b is NULL or the room is used up, so a short estimate
 * costs allocations, never correctness.  A row of n leaves costs one
 * allocation instead of n + 1, and freeing it one free.  The object owns
 * the block: free it with daoc_value_free as usual. */
typedef struct daoc__bump {
    char *p, *end;
} daoc__bump;
daoc_value *daoc__obj_block(size_t cap, size_t extra, daoc__bump *b);
/* Bytes a bump needs for a string of n bytes / a scalar / an array of cap
 * elements (the array value and its entry slots; not the elements). */
#define DAOC__BUMP_STR(n) ((sizeof(daoc_value) + (n) + 1 + 7) & ~(size_t)7)
#define DAOC__BUMP_SCALAR sizeof(daoc_value)
#define DAOC__BUMP_ARR(cap) (sizeof(daoc_value) + (cap) * sizeof(daoc_value *))
daoc_value *daoc__bump_strn(daoc__bump *b, const char *s, size_t n);
daoc_value *daoc__bump_int(daoc__bump *b, int64_t i);
daoc_value *daoc__bump_num(daoc__bump *b, double n);
daoc_value *daoc__bump_bool(daoc__bump *b, bool v);
daoc_value *daoc__bump_null(daoc__bump *b);
daoc_value *daoc__bump_arr(daoc__bump *b, size_t cap);
/* An object with `cap` entries carved from b (a foreign key {id = ...}). */
daoc_value *daoc__bump_obj(daoc__bump *b, size_t cap);
/* Bytes daoc__bump_copy needs for v, and the copy itself: scalars, strings
 * and arrays are carved from b (room permitting), objects and functions
 * are ordinary copies. */
size_t daoc__bump_size(const daoc_value *v);
daoc_value *daoc__bump_copy(daoc__bump *b, const daoc_value *v);

/* value_size.c: an estimate of the heap bytes v holds (nodes, string
 * bytes, slots, non-interned keys, malloc overhead); 0 for NULL.  For
 * memory accounting (the entity cache), not an exact figure. */
size_t daoc__value_bytes(const daoc_value *v);

/* Object lookups with explicit key length; borrowed, NULL when absent. */
daoc_value *daoc__obj_getn(const daoc_value *o, const char *key, size_t klen);
/* Index of key or -1. */
long daoc__obj_find(const daoc_value *o, const char *key, size_t klen);
int daoc__obj_setn(daoc_value *o, const char *key, size_t klen, daoc_value *item);
/* Appends key without looking for it first: the caller guarantees the key is
 * not present (building rows column by column).  Takes item; a NULL item
 * returns DAOC_ENOMEM (the result of a failed constructor). */
int daoc__obj_append(daoc_value *o, const char *key, size_t klen, daoc_value *item);
/* daoc__obj_append with an interned key (a non-NULL daoc__key_intern
 * result), which the object points at instead of copying. */
int daoc__obj_append_interned(daoc_value *o, const char *ikey, size_t klen, daoc_value *item);
/* The process-lifetime copy of key (intern.c), made on first use; NULL when
 * key is NULL, on ENOMEM, or once the table is full (callers then copy). */
const char *daoc__key_intern(const char *key, size_t klen);
/* Removes and returns the value of key (caller owns it); NULL when absent. */
daoc_value *daoc__obj_take(daoc_value *o, const char *key, size_t klen);
/* Removes element i of an array and returns it (caller owns). */
daoc_value *daoc__arr_take(daoc_value *a, size_t i);

/* Deep equality (integers and numbers compare numerically; object key order
 * is ignored; functions compare by identity). */
bool daoc__value_equal(const daoc_value *a, const daoc_value *b);
/* value_order.c.  A total order over values (null < booleans < numbers <
 * strings < arrays < objects < functions; numbers by exact value, strings
 * bytewise, arrays element-wise, objects by size and then by hash): values
 * daoc__value_equal calls equal rank equal, except integers beyond 2^53
 * against floats; objects that rank equal may still differ (a hash
 * collision).  daoc__value_hash ignores object key order and agrees with
 * daoc__value_equal. */
int daoc__value_cmp(const daoc_value *a, const daoc_value *b);
uint64_t daoc__value_hash(const daoc_value *v);
/* Are arrays a and b equal as multisets (same length, every element of a
 * matched by a distinct daoc__value_equal element of b: Penlight's
 * compare_no_order)?  O(n log n).  False when either is not an array.
 * DAOC_OK or DAOC_ENOMEM. */
int daoc__value_same_elements(const daoc_value *a, const daoc_value *b, bool *same);
/* Removes from array arr every element that is not a table (array or
 * object) and is daoc__value_equal to an earlier kept one, keeping the
 * first occurrences in order (Kong's make_set).  O(n log n); pairwise when
 * memory for the sort is short, so it cannot fail. */
void daoc__arr_dedupe_scalars(daoc_value *arr);
/* Kong's "empty": absent, null, "" or an empty array/object. */
bool daoc__value_is_empty(const daoc_value *v);
static inline bool daoc__is_null(const daoc_value *v) { return v && v->type == DAOC_TNULL; }
static inline bool daoc__is_nil_or_null(const daoc_value *v) { return !v || v->type == DAOC_TNULL; }
static inline bool daoc__is_number(const daoc_value *v)
{
    return v && (v->type == DAOC_TINT || v->type == DAOC_TNUM);
}

/* Penlight pretty.write(t, "") rendering used in Kong messages:
 * {k="v",k2=1,sub={id="x"}} with sorted keys, arrays first, null as
 * "userdata: NULL" unless null_as is given (the unique-violation formatter
 * passes "null").  Appends to buf; returns a new string (caller frees with
 * daoc__free) or NULL on ENOMEM. */
char *daoc__value_pretty(const daoc_value *v, const char *null_as);

/* Lua tostring() of a scalar: integers as "%d", numbers as "%.14g", booleans
 * "true"/"false", strings verbatim, null "userdata: NULL".  Appends to buf. */
struct daoc__buf;
void daoc__value_tostring(struct daoc__buf *b, const daoc_value *v);

#endif
