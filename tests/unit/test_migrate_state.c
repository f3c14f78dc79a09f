/*
 * test_migrate_state.c -- the classification of migrations against
 * schema_meta rows (src/migrate/state.c, Kong's state.lua, reference A2.3)
 * and its listing: executed, pending, new, missing with Kong's walk quirk,
 * subsystems without rows, names the code no longer has, and the
 * right-aligned "<subsystem>: a, b" lines.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "fixture.h"
#include "harness.h"
#include "migrate/state.h"

static const char *const CORE[] = {"000_base", "003_100_to_110", "004_110_to_120"};
static const char *const ACL[] = {"000_base_acl", "002_130_to_140", "003_200_to_210"};

static const char *classes(const daoc__mig_subsystem *s, char *buf)
{
    static const char letters[] = {'N', 'E', 'P', 'M'};
    for (size_t i = 0; i < s->n; i++)
        buf[i] = letters[s->cls[i]];
    buf[s->n] = '\0';
    return buf;
}

TEST(executed_pending_new_and_missing_as_kong_walks_them)
{
    daoc__mig_class c1[3], c2[3];
    daoc__mig_subsystem subs[2] = {{"core", "kong.db.migrations.core", CORE, 3, c1},
                                   {"acl", "kong.plugins.acl.migrations", ACL, 3, c2}};
    char buf[8];
    /* no schema_meta: every migration is new */
    daoc__mig_classify(subs, 2, NULL);
    ASSERT_STR(classes(&subs[0], buf), "NNN");
    /* core: two executed; acl: first executed, second pending */
    daoc_value *rows = J("[{'subsystem':'acl','last_executed':'000_base_acl',"
                         "'executed':['000_base_acl'],'pending':['002_130_to_140']},"
                         "{'subsystem':'core','last_executed':'003_100_to_110',"
                         "'executed':['000_base','003_100_to_110'],'pending':[]}]");
    daoc__mig_classify(subs, 2, rows);
    ASSERT_STR(classes(&subs[0], buf), "EEN");
    ASSERT_STR(classes(&subs[1], buf), "EPN");
    ASSERT_INT((long)daoc__mig_count(subs, 2, DAOC__MIG_NEW), 2);
    ASSERT_INT((long)daoc__mig_count(subs, 2, DAOC__MIG_PENDING), 1);
    daoc_value_free(rows);
    /* Kong's quirk: a never-run migration before last_executed is new when
     * the walk has not reached last_executed yet, missing after it */
    rows = J("[{'subsystem':'core','last_executed':'004_110_to_120',"
             "'executed':['004_110_to_120','gone_from_the_code'],'pending':null}]");
    daoc__mig_classify(subs, 1, rows);
    ASSERT_STR(classes(&subs[0], buf), "NNE");
    daoc_value_free(rows);
    rows = J("[{'subsystem':'core','last_executed':'000_base','executed':['003_100_to_110'],"
             "'pending':[]}]");
    daoc__mig_classify(subs, 1, rows);
    ASSERT_STR(classes(&subs[0], buf), "MEN");
    daoc_value_free(rows);
}

TEST(listing_right_aligns_subsystem_names)
{
    daoc__mig_class c1[3] = {DAOC__MIG_EXECUTED, DAOC__MIG_EXECUTED, DAOC__MIG_NEW};
    daoc__mig_class c2[3] = {DAOC__MIG_EXECUTED, DAOC__MIG_NEW, DAOC__MIG_NEW};
    daoc__mig_subsystem subs[2] = {{"core", "kong.db.migrations.core", CORE, 3, c1},
                                   {"acl", "kong.plugins.acl.migrations", ACL, 3, c2}};
    char *text = NULL;
    ASSERT_INT(daoc__mig_listing(subs, 2, DAOC__MIG_EXECUTED, &text), DAOC_OK);
    ASSERT_STR(text, "core: 000_base, 003_100_to_110\n acl: 000_base_acl");
    daoc__free(text);
    text = NULL;
    ASSERT_INT(daoc__mig_listing(subs, 2, DAOC__MIG_NEW, &text), DAOC_OK);
    ASSERT_STR(text, "core: 004_110_to_120\n acl: 002_130_to_140, 003_200_to_210");
    daoc__free(text);
    text = NULL;
    ASSERT_INT(daoc__mig_listing(subs, 2, DAOC__MIG_PENDING, &text), DAOC_OK);
    ASSERT_TRUE(text == NULL);
}

