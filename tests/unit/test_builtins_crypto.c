/*
 * test_builtins_crypto.c -- the certificate, key, pem and jwk typedefs and
 * the certificates key-pair check (src/schema/builtins_crypto.c), on the
 * store DAOC_DATABASE names.  Every PEM is made at test time by the
 * openssl command line in $DAOC_TEST_TMP (the EC JWK's point is read from
 * openssl's text output), so no result is a hard-coded answer.  A plugin's daos.lua uses
 * kong.db.schema.typedefs as Kong's plugins do; the key-pair check is
 * given in a JSON definition, as the core entities are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"
#include "harness.h"

static char dir[512];

/* runs a shell command in `d`: sh(d, "cmd") */
static int sh(const char *d, const char *cmd)
{
    char full[2048];
    snprintf(full, sizeof full, "cd '%s' && %s", d, cmd);
    return system(full);
}

/* r[k] = string v; aborts on ENOMEM */
static void set(daoc_value *r, const char *k, const char *v)
{
    if (daoc_obj_set(r, k, daoc_str(v)) != DAOC_OK)
        abort();
}

static char *slurp(const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char bufs[8][16384];
    static int next;
    char *b = bufs[next++ % 8];
    size_t n = fread(b, 1, sizeof bufs[0] - 1, f);
    b[n] = '\0';
    fclose(f);
    return b;
}

/* keys and certificates: rsa (k1 + c1 self-signed), a second rsa k2, an EC key */
static int make_material(void)
{
    static int made = -1;
    if (made != -1)
        return made;
    const char *tmp = getenv("DAOC_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/crypto_%d", tmp && *tmp ? tmp : "/tmp", (int)getpid());
    mkdir(dir, 0700);
    int rc = 0;
    rc |= sh(dir, "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out k1.pem"
             " 2>/dev/null");
    rc |= sh(dir, "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out k2.pem"
             " 2>/dev/null");
    rc |= sh(dir, "openssl pkey -in k1.pem -pubout -out p1.pem && "
             "openssl pkey -in k2.pem -pubout -out p2.pem");
    rc |= sh(dir, "openssl req -x509 -new -key k1.pem -subj /CN=daoc.test -days 2 "
             "-out c1.pem 2>/dev/null");
    rc |= sh(dir, "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out e1.pem"
             " && openssl pkey -in e1.pem -pubout -out ep1.pem");
    /* the EC public point as hex (04 || x || y), for the JWK */
    rc |= sh(dir, "openssl pkey -pubin -in ep1.pem -noout -text | "
             "sed -n '/^pub:/,/^ASN1/p' | grep -v -e pub: -e ASN1 | tr -d ' :\\n' > ep1.hex");
    made = rc;
    return rc;
}

static char *b64url_of_hex(const char *hex, size_t from, size_t nbytes)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[256];
    for (size_t i = 0; i < nbytes; i++) {
        unsigned v;
        if (sscanf(hex + 2 * (from + i), "%2x", &v) != 1)
            return NULL;
        raw[i] = (unsigned char)v;
    }
    char *out = calloc(1, nbytes * 2 + 4);
    size_t o = 0;
    for (size_t i = 0; i < nbytes; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (i + 1 < nbytes ? (unsigned)raw[i + 1] << 8 : 0) |
                     (i + 2 < nbytes ? raw[i + 2] : 0);
        out[o++] = al[v >> 18 & 63];
        out[o++] = al[v >> 12 & 63];
        if (i + 1 < nbytes)
            out[o++] = al[v >> 6 & 63];
        if (i + 2 < nbytes)
            out[o++] = al[v & 63];
    }
    return out;
}

static const char DAOS[] =
    "local typedefs = require 'kong.db.schema.typedefs'\n"
    "return { { name = 'crypto_things', primary_key = { 'id' },\n"
    "  fields = { { id = typedefs.uuid }, { cert = typedefs.certificate },\n"
    "             { key = typedefs.key }, { pem = typedefs.pem }, { jwk = typedefs.jwk } } } }\n";

static daoc_db *open_db(void)
{
    char pdir[700], file[800], ppath[800];
    snprintf(pdir, sizeof pdir, "%s/kong/plugins/crypto-things", dir);
    if (sh(dir, "mkdir -p kong/plugins/crypto-things") != 0)
        return NULL;
    snprintf(file, sizeof file, "%s/daos.lua", pdir);
    FILE *f = fopen(file, "w");
    if (!f)
        return NULL;
    fputs(DAOS, f);
    fclose(f);
    snprintf(ppath, sizeof ppath, "%s/?.lua", dir);
    setenv("DAOC_LUA_PACKAGE_PATH", ppath, 1);
    setenv("DAOC_PLUGINS", "crypto-things", 1);
    static const char *const defs[] = {
        "{'name':'cert_pairs','primary_key':['id'],'fields':[{'id':{'type':'string','uuid':true,"
        "'auto':true}},{'cert':{'type':'string','custom_validator':'certificate'}},"
        "{'key':{'type':'string','custom_validator':'key'}}],'entity_checks':["
        "{'custom_entity_check':{'field_sources':['cert','key'],'fn':'certificate_key_pair'}}]}",
        NULL};
    return fixture_open(defs, "crypto");
}

/* inserts {field = value} (value a JSON-less raw string) into entity */
static char *insert_one(daoc_db *db, const char *entity, const char *f1, const char *v1,
                        const char *f2, const char *v2)
{
    static char msg[1024];
    daoc_value *e = daoc_obj();
    if (v1)
        set(e, f1, v1);
    if (v2)
        set(e, f2, v2);
    daoc_value *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, entity), e, NULL, &out, &err);
    daoc_value_free(e);
    daoc_value_free(out);
    if (rc == DAOC_OK) {
        daoc_error_free(err);
        return NULL;
    }
    snprintf(msg, sizeof msg, "%s", err ? daoc_error_message(err) : daoc_strerror(rc));
    daoc_error_free(err);
    return msg;
}

static char *insert_record(daoc_db *db, const char *field, daoc_value *rec)
{
    static char msg[1024];
    daoc_value *e = daoc_obj();
    if (daoc_obj_set(e, field, rec) != DAOC_OK)
        abort();
    daoc_value *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, "crypto_things"), e, NULL, &out, &err);
    daoc_value_free(e);
    daoc_value_free(out);
    if (rc == DAOC_OK) {
        daoc_error_free(err);
        return NULL;
    }
    snprintf(msg, sizeof msg, "%s", err ? daoc_error_message(err) : daoc_strerror(rc));
    daoc_error_free(err);
    return msg;
}

#define EXPECT_OK(m)                                                                               \
    do {                                                                                           \
        const char *m_ = (m);                                                                      \
        if (m_)                                                                                    \
            T_FAIL_AT("expected success, got: %s", m_);                                            \
    } while (0)
#define EXPECT_MSG(m, text)                                                                        \
    do {                                                                                           \
        const char *m_ = (m);                                                                      \
        if (!m_ || !strstr(m_, (text)))                                                            \
            T_FAIL_AT("expected '%s' in: %s", (text), m_ ? m_ : "(success)");                      \
    } while (0)

static const char FRAMED_JUNK_CERT[] =
    "-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
static const char FRAMED_JUNK_KEY[] =
    "-----BEGIN PRIVATE KEY-----\nTm90IGEga2V5\n-----END PRIVATE KEY-----\n";

TEST(certificate_and_key_are_parsed)
{
    ASSERT_INT(make_material(), 0);
    daoc_db *db = open_db();
    ASSERT_NOT_NULL(db);
    EXPECT_OK(insert_one(db, "crypto_things", "cert", slurp("c1.pem"), "key", slurp("k1.pem")));
    /* Kong's pkey.new(key) also loads a public key */
    EXPECT_OK(insert_one(db, "crypto_things", "key", slurp("p1.pem"), NULL, NULL));
    EXPECT_MSG(insert_one(db, "crypto_things", "cert", FRAMED_JUNK_CERT, NULL, NULL),
               "cert: invalid certificate: x509.new: ");
    EXPECT_MSG(insert_one(db, "crypto_things", "cert", slurp("k1.pem"), NULL, NULL),
               "invalid certificate: x509.new: ");
    EXPECT_MSG(insert_one(db, "crypto_things", "key", FRAMED_JUNK_KEY, NULL, NULL),
               "key: invalid key: pkey.new:load_key: ");
    EXPECT_MSG(insert_one(db, "crypto_things", "key", "not a pem", NULL, NULL), "invalid key: ");
    daoc_db_close(db);
}

TEST(pem_keys_are_loaded_as_their_kind_and_must_pair)
{
    ASSERT_INT(make_material(), 0);
    daoc_db *db = open_db();
    ASSERT_NOT_NULL(db);
    daoc_value *r = daoc_obj();
    set(r, "private_key", slurp("k1.pem"));
    set(r, "public_key", slurp("p1.pem"));
    EXPECT_OK(insert_record(db, "pem", r));
    r = daoc_obj();
    set(r, "private_key", slurp("k1.pem"));
    set(r, "public_key", slurp("p2.pem"));
    EXPECT_MSG(insert_record(db, "pem", r), "public key does not match private key");
    r = daoc_obj();
    set(r, "public_key", slurp("k1.pem")); /* a private key is not "pu" */
    EXPECT_MSG(insert_record(db, "pem", r), "could not load public key");
    r = daoc_obj();
    set(r, "private_key", slurp("p1.pem"));
    EXPECT_MSG(insert_record(db, "pem", r), "could not load private key");
    r = daoc_obj();
    set(r, "private_key", FRAMED_JUNK_KEY);
    EXPECT_MSG(insert_record(db, "pem", r), "could not load private key");
    r = daoc_obj();
    set(r, "public_key", "{vault://env/pub}");
    EXPECT_OK(insert_record(db, "pem", r));
    daoc_db_close(db);
}

TEST(jwk_is_loaded_as_a_key)
{
    ASSERT_INT(make_material(), 0);
    daoc_db *db = open_db();
    ASSERT_NOT_NULL(db);
    const char *hex = slurp("ep1.hex");
    ASSERT_NOT_NULL(hex);
    ASSERT_INT((int)strlen(hex), 130);
    char *x = b64url_of_hex(hex, 1, 32), *y = b64url_of_hex(hex, 33, 32);
    ASSERT_NOT_NULL(x);
    daoc_value *r = daoc_obj();
    set(r, "kid", "k1");
    set(r, "kty", "EC");
    set(r, "crv", "P-256");
    set(r, "x", x);
    set(r, "y", y);
    EXPECT_OK(insert_record(db, "jwk", r));
    /* the same point with y changed is not on the curve */
    char *bad = strdup(y);
    bad[3] = bad[3] == 'A' ? 'B' : 'A';
    r = daoc_obj();
    set(r, "kid", "k2");
    set(r, "kty", "EC");
    set(r, "crv", "P-256");
    set(r, "x", x);
    set(r, "y", bad);
    EXPECT_MSG(insert_record(db, "jwk", r), "could not load JWK, likely not a valid key");
    r = daoc_obj();
    set(r, "kid", "k3");
    set(r, "kty", "oct");
    set(r, "k", "c2VjcmV0");
    EXPECT_MSG(insert_record(db, "jwk", r), "could not load JWK, likely not a valid key");
    free(x);
    free(y);
    free(bad);
    daoc_db_close(db);
}

TEST(certificate_must_match_its_key)
{
    ASSERT_INT(make_material(), 0);
    daoc_db *db = open_db();
    ASSERT_NOT_NULL(db);
    EXPECT_OK(insert_one(db, "cert_pairs", "cert", slurp("c1.pem"), "key", slurp("k1.pem")));
    EXPECT_MSG(insert_one(db, "cert_pairs", "cert", slurp("c1.pem"), "key", slurp("k2.pem")),
               "certificate does not match key");
    EXPECT_MSG(insert_one(db, "cert_pairs", "cert", slurp("c1.pem"), "key", slurp("e1.pem")),
               "certificate does not match key");
    daoc_db_close(db);
}
