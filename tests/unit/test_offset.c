/*
 * test_offset.c -- paging offset tokens: encoding (standard base64, no
 * padding, JSON array of primary-key values) and the two INVALID_OFFSET
 * texts for tokens that are not base64 or not a JSON key array.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dao/dao.h"
#include "harness.h"

static daoc_value *J(const char *text)
{
    size_t n = strlen(text);
    char *t = malloc(n + 1);
    for (size_t i = 0; i <= n; i++)
        t[i] = text[i] == '\'' ? '"' : text[i];
    daoc_value *v = NULL;
    if (daoc_json_decode(t, n, &v, NULL) != DAOC_OK)
        abort();
    free(t);
    return v;
}

static const daoc__schema *lookup_parent(void *ud, const char *name)
{
    return strcmp(name, "parents") == 0 ? ud : NULL;
}

static daoc__schema *compile(const char *json, daoc__schema *parent)
{
    daoc_value *def = J(json);
    daoc__schema *s = NULL;
    char *why = NULL;
    int rc = daoc__schema_compile(def, lookup_parent, parent, &s, &why);
    daoc_value_free(def);
    if (rc != DAOC_OK) {
        fprintf(stderr, "compile: %s\n", why ? why : "?");
        daoc__free(why);
        return NULL;
    }
    return s;
}

#define PARENTS "{'name':'parents','primary_key':['id'],'fields':[{'id':{'type':'string','uuid':true,'auto':true}}]}"

TEST(encode_single_key)
{
    daoc__schema *s = compile(PARENTS, NULL);
    ASSERT_NOT_NULL(s);
    daoc_value *row = J("{'id':'abc','other':1}");
    char *tok = NULL;
    ASSERT_INT(daoc__offset_encode(s, row, &tok), DAOC_OK);
    ASSERT_STR(tok, "WyJhYmMiXQ");
    daoc_value *pkv = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc__offset_decode("sqlite", tok, &pkv, &err), DAOC_OK);
    ASSERT_INT(daoc_value_len(pkv), 1);
    ASSERT_STR(daoc_value_str(daoc_arr_get(pkv, 0), NULL), "abc");
    daoc_value_free(pkv);
    daoc_free(tok);
    daoc_value_free(row);
    daoc__schema_free(s);
}

TEST(encode_composite_and_foreign_keys)
{
    daoc__schema *p = compile(PARENTS, NULL);
    ASSERT_NOT_NULL(p);
    daoc__schema *s = compile("{'name':'m','primary_key':['a','b'],'fields':[{'a':{'type':'string'}},"
                              "{'b':{'type':'integer'}}]}",
                              p);
    ASSERT_NOT_NULL(s);
    daoc_value *row = J("{'b':5,'a':'x'}");
    char *tok = NULL;
    ASSERT_INT(daoc__offset_encode(s, row, &tok), DAOC_OK);
    ASSERT_STR(tok, "WyJ4Iiw1XQ");
    daoc_free(tok);
    daoc_value_free(row);
    daoc__schema_free(s);

    s = compile("{'name':'f','primary_key':['parent'],'fields':[{'parent':{'type':'foreign',"
                "'reference':'parents'}}]}",
                p);
    ASSERT_NOT_NULL(s);
    row = J("{'parent':{'id':'u'}}");
    ASSERT_INT(daoc__offset_encode(s, row, &tok), DAOC_OK);
    ASSERT_STR(tok, "WyJ1Il0");
    daoc_free(tok);
    daoc_value_free(row);
    daoc__schema_free(s);
    daoc__schema_free(p);
}

static void expect_bad(const char *token, const char *msg)
{
    daoc_value *pkv = NULL;
    daoc_error *err = NULL;
    int rc = daoc__offset_decode("postgres", token, &pkv, &err);
    ASSERT_INT(rc, DAOC_EDAO);
    ASSERT_NULL(pkv);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_INVALID_OFFSET);
    ASSERT_STR(daoc_error_name(err), "invalid offset");
    ASSERT_STR(daoc_error_message(err), msg);
    ASSERT_NULL(daoc_error_fields(err));
    char full[512];
    snprintf(full, sizeof full, "[postgres] %s", msg);
    ASSERT_STR(daoc_error_string(err), full);
    daoc_error_free(err);
}

TEST(decode_rejects_bad_tokens)
{
    expect_bad("hello", "'hello' is not a valid offset: bad base64 encoding");
    expect_bad("WyJhYmMiXQ-_", "'WyJhYmMiXQ-_' is not a valid offset: bad base64 encoding");
    expect_bad("bm90IGpzb24", "'bm90IGpzb24' is not a valid offset: bad json encoding");
    expect_bad("e30", "'e30' is not a valid offset: bad json encoding");        /* {} */
    expect_bad("W10", "'W10' is not a valid offset: bad json encoding");        /* [] */
    expect_bad("W3siYSI6MX1d", "'W3siYSI6MX1d' is not a valid offset: bad json encoding");
    expect_bad("", "'' is not a valid offset: bad json encoding");
}

TEST(decode_accepts_padding)
{
    daoc_value *pkv = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc__offset_decode("sqlite", "WyJhYmMiXQ==", &pkv, &err), DAOC_OK);
    ASSERT_STR(daoc_value_str(daoc_arr_get(pkv, 0), NULL), "abc");
    daoc_value_free(pkv);
}

/* Values that cannot be the key are refused before any store sees them. */
TEST(fits_checks_each_key_value_against_its_field)
{
    daoc__schema *p = compile(PARENTS, NULL);
    ASSERT_NOT_NULL(p);
    daoc__schema *s = compile("{'name':'m','primary_key':['a','b','c'],'fields':[{'a':{'type':"
                              "'string'}},{'b':{'type':'integer'}},{'c':{'type':'foreign',"
                              "'reference':'parents'}}]}",
                              p);
    ASSERT_NOT_NULL(s);
    struct {
        const char *json;
        bool fits;
    } cases[] = {
        {"['x',1,'00000000-0000-4000-8000-000000000001']", true},
        {"['x',1,'not-a-uuid']", false},
        {"['x',1.5,'00000000-0000-4000-8000-000000000001']", false},
        {"[true,1,'00000000-0000-4000-8000-000000000001']", false},
        {"['x',1]", false},
        {"['x',1,'00000000-0000-4000-8000-000000000001',2]", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        daoc_value *v = J(cases[i].json);
        if (daoc__offset_fits(s, v) != cases[i].fits)
            fprintf(stderr, "    case %zu: %s\n", i, cases[i].json);
        ASSERT_TRUE(daoc__offset_fits(s, v) == cases[i].fits);
        daoc_value_free(v);
    }
    daoc__schema_free(s);
    daoc__schema_free(p);
}

static const daoc__schema *lookup_mid(void *ud, const char *name)
{
    return strcmp(name, "mid") == 0 ? ud : NULL;
}

/* A primary key that is a foreign key to an entity whose own key is a
 * foreign key holds the final entity's key: its offsets fit. */
TEST(fits_follows_foreign_keys_to_the_stored_key)
{
    daoc__schema *p = compile(PARENTS, NULL);
    ASSERT_NOT_NULL(p);
    daoc__schema *mid = compile("{'name':'mid','primary_key':['parent'],'fields':[{'parent':{"
                                "'type':'foreign','reference':'parents'}}]}",
                                p);
    ASSERT_NOT_NULL(mid);
    daoc_value *def = J("{'name':'leaf','primary_key':['mid'],'fields':[{'mid':{'type':"
                        "'foreign','reference':'mid'}}]}");
    daoc__schema *leaf = NULL;
    char *why = NULL;
    ASSERT_INT(daoc__schema_compile(def, lookup_mid, mid, &leaf, &why), DAOC_OK);
    daoc_value_free(def);
    daoc_value *ok = J("['00000000-0000-4000-8000-000000000001']"), *bad = J("['x']");
    ASSERT_TRUE(daoc__offset_fits(leaf, ok));
    ASSERT_TRUE(!daoc__offset_fits(leaf, bad));
    daoc_value_free(ok);
    daoc_value_free(bad);
    daoc__schema_free(leaf);
    daoc__schema_free(mid);
    daoc__schema_free(p);
}
