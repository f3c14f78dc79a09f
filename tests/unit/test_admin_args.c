/*
 * test_admin_args.c -- the Admin API's request-argument decoders (issue 11,
 * reference C2.1): query strings and form bodies into pairs (escapes, '+',
 * separators, the 1000-argument limit, NUL bytes), Kong's arguments.decode
 * nesting (dots, [n], [], maps, literal keys, repeated keys, JSON parts),
 * schema-driven inference, and multipart/form-data bodies, malformed and
 * truncated ones included.
 */
#include <stdlib.h>
#include <string.h>

#include "admin/args.h"
#include "admin/multipart.h"
#include "core/alloc.h"
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

/* JSON text (with ' for ") of a value, in a static buffer. */
static const char *enc(const daoc_value *v)
{
    static char out[16384];
    char *s = NULL;
    size_t n = 0;
    if (daoc_json_encode(v, &s, &n) != DAOC_OK)
        return "(encode failed)";
    for (size_t i = 0; i < n && i < sizeof out - 1; i++)
        out[i] = s[i] == '"' ? '\'' : s[i];
    out[n < sizeof out - 1 ? n : sizeof out - 1] = 0;
    daoc_free(s);
    return out;
}

/* qs -> parse -> nest (-> infer against fields when not NULL) -> JSON. */
static const char *decode(const char *qs, bool maps, const char *fields)
{
    static char err[64];
    daoc__args a = {0};
    int rc = daoc__args_parse_urlencoded(qs, strlen(qs), DAOC__ARGS_MAX, &a);
    daoc_value *v = NULL;
    if (rc == DAOC_OK)
        rc = daoc__args_nest(&a, maps, &v);
    daoc__args_free(&a);
    if (rc == DAOC_OK && fields) {
        daoc_value *f = J(fields);
        rc = daoc__args_infer(v, f);
        daoc_value_free(f);
    }
    if (rc != DAOC_OK) {
        daoc_value_free(v);
        snprintf(err, sizeof err, "rc %d", rc);
        return err;
    }
    const char *s = enc(v);
    daoc_value_free(v);
    return s;
}

TEST(urlencoded_pairs_escapes_and_plus)
{
    daoc__args a = {0};
    const char *qs = "a=1&b=x+y&c=%41%5a%2b&d%2Ee=%26";
    ASSERT_INT(daoc__args_parse_urlencoded(qs, strlen(qs), 1000, &a), DAOC_OK);
    ASSERT_INT(a.n, 4);
    ASSERT_STR(a.v[0].key, "a");
    ASSERT_STR(a.v[0].val, "1");
    ASSERT_STR(a.v[1].val, "x y");
    ASSERT_STR(a.v[2].val, "AZ+");
    ASSERT_STR(a.v[3].key, "d.e");
    ASSERT_INT(a.v[3].key_len, 3);
    ASSERT_STR(a.v[3].val, "&");
    ASSERT_TRUE(a.v[3].has_value && !a.v[3].json);
    daoc__args_free(&a);
    ASSERT_INT(a.n, 0);
    ASSERT_NULL(a.v);
}

TEST(urlencoded_bad_escapes_kept_literally)
{
    daoc__args a = {0};
    const char *qs = "a=%zz&b=%4&c=100%&d=%%41&e=%4g";
    ASSERT_INT(daoc__args_parse_urlencoded(qs, strlen(qs), 1000, &a), DAOC_OK);
    ASSERT_INT(a.n, 5);
    ASSERT_STR(a.v[0].val, "%zz");
    ASSERT_STR(a.v[1].val, "%4");
    ASSERT_STR(a.v[2].val, "100%");
    ASSERT_STR(a.v[3].val, "%A");
    ASSERT_STR(a.v[4].val, "%4g");
    daoc__args_free(&a);
}

TEST(urlencoded_separators_and_empty_pairs)
{
    daoc__args a = {0};
    const char *qs = "&&a=1;b=2&&=v&&c=&d";
    ASSERT_INT(daoc__args_parse_urlencoded(qs, strlen(qs), 1000, &a), DAOC_OK);
    ASSERT_INT(a.n, 3);
    ASSERT_STR(a.v[0].key, "a");
    ASSERT_STR(a.v[0].val, "1;b=2"); /* ';' is not a separator */
    ASSERT_STR(a.v[1].key, "c");
    ASSERT_TRUE(a.v[1].has_value);
    ASSERT_INT(a.v[1].val_len, 0);
    ASSERT_STR(a.v[2].key, "d");
    ASSERT_TRUE(!a.v[2].has_value);
    ASSERT_STR(a.v[2].val, "");
    daoc__args_free(&a);
    /* an empty string, and NULL with length 0 */
    ASSERT_INT(daoc__args_parse_urlencoded("", 0, 1000, &a), DAOC_OK);
    ASSERT_INT(daoc__args_parse_urlencoded(NULL, 0, 1000, &a), DAOC_OK);
    ASSERT_INT(a.n, 0);
    ASSERT_INT(daoc__args_parse_urlencoded("a", 1, 1000, NULL), DAOC_EINVAL);
}

TEST(urlencoded_nul_bytes_in_values_and_keys)
{
    daoc__args a = {0};
    const char qs[] = "a=x%00y&k%00z=1&raw=p\0q";
    ASSERT_INT(daoc__args_parse_urlencoded(qs, sizeof qs - 1, 1000, &a), DAOC_OK);
    ASSERT_INT(a.n, 3);
    ASSERT_INT(a.v[0].val_len, 3);
    ASSERT_TRUE(memcmp(a.v[0].val, "x\0y", 4) == 0);
    ASSERT_INT(a.v[1].key_len, 3);
    ASSERT_TRUE(memcmp(a.v[1].key, "k\0z", 4) == 0);
    ASSERT_INT(a.v[2].val_len, 3);
    ASSERT_TRUE(memcmp(a.v[2].val, "p\0q", 4) == 0);
    daoc_value *v = NULL;
    ASSERT_INT(daoc__args_nest(&a, false, &v), DAOC_OK);
    size_t n = 0;
    const char *s = daoc_value_str(daoc_obj_get(v, "a"), &n);
    ASSERT_INT(n, 3);
    ASSERT_TRUE(memcmp(s, "x\0y", 3) == 0);
    ASSERT_INT(daoc_value_len(v), 3);
    daoc_value_free(v);
    daoc__args_free(&a);
}

TEST(urlencoded_1000_args_ok_1001_too_many)
{
    char *qs = malloc(1001 * 8 + 1);
    size_t n = 0;
    for (int i = 0; i < 1001; i++)
        n += (size_t)sprintf(qs + n, "%sa%d=1", i ? "&" : "", i);
    size_t n1000 = (size_t)(strstr(qs, "&a1000=") - qs);
    daoc__args a = {0};
    ASSERT_INT(daoc__args_parse_urlencoded(qs, n1000, DAOC__ARGS_MAX, &a), DAOC_OK);
    ASSERT_INT(a.n, 1000);
    daoc__args_free(&a);
    ASSERT_INT(daoc__args_parse_urlencoded(qs, n, DAOC__ARGS_MAX, &a), DAOC__ARGS_ETOOMANY);
    ASSERT_INT(DAOC__ARGS_ETOOMANY, DAOC_ECONSTRAINT);
    daoc__args_free(&a);
    /* empty pairs do not count */
    ASSERT_INT(daoc__args_parse_urlencoded("a=1&&&&b=2", 10, 2, &a), DAOC_OK);
    daoc__args_free(&a);
    ASSERT_INT(daoc__args_parse_urlencoded("a=1&b=2&c", 9, 2, &a), DAOC__ARGS_ETOOMANY);
    daoc__args_free(&a);
    free(qs);
}

TEST(nest_kong_examples)
{
    ASSERT_STR(decode("a.b=1", false, NULL), "{'a':{'b':'1'}}");
    ASSERT_STR(decode("a[1]=x", false, NULL), "{'a':['x']}");
    ASSERT_STR(decode("a[]=x", false, NULL), "{'a':['x']}");
    ASSERT_STR(decode("a[]=x&a[]=y", false, NULL), "{'a':['x','y']}");
    ASSERT_STR(decode("x[2]=a", false, NULL), "{'x':[null,'a']}");
    ASSERT_STR(decode("x[2]=a&x[1]=b", false, NULL), "{'x':['b','a']}");
    ASSERT_STR(decode("a[1].b=1", false, NULL), "{'a':[{'b':'1'}]}");
    ASSERT_STR(decode("a[1][2]=z", false, NULL), "{'a':[[null,'z']]}");
    ASSERT_STR(decode("a[1].x=1&a[1].y=2&a[2].x=3", false, NULL),
               "{'a':[{'x':'1','y':'2'},{'x':'3'}]}");
    ASSERT_STR(decode("a.b.c=1&a.b.d=2&a.e=3", false, NULL),
               "{'a':{'b':{'c':'1','d':'2'},'e':'3'}}");
}

TEST(nest_maps_only_when_allowed)
{
    ASSERT_STR(decode("a[key]=v", true, NULL), "{'a':{'key':'v'}}");
    ASSERT_STR(decode("a[key]=v", false, NULL), "{'a[key]':'v'}");
    ASSERT_STR(decode("config.headers[x-a]=1&config.headers[x-b]=2", true, NULL),
               "{'config':{'headers':{'x-a':'1','x-b':'2'}}}");
    ASSERT_STR(decode("m[k][1]=v", true, NULL), "{'m':{'k':['v']}}");
    ASSERT_STR(decode("m[k][1]=v", false, NULL), "{'m[k]':['v']}");
}

TEST(nest_encoded_brackets_and_literal_keys)
{
    ASSERT_STR(decode("a%5B1%5D=x&b%5b%5d=y", false, NULL), "{'a':['x'],'b':['y']}");
    ASSERT_STR(decode(".a=1", false, NULL), "{'.a':'1'}");
    ASSERT_STR(decode("a.=1", false, NULL), "{'a.':'1'}");
    ASSERT_STR(decode(".=1", false, NULL), "{'.':'1'}");
    ASSERT_STR(decode("a..b=1", false, NULL), "{'a':{'b':'1'}}");
    ASSERT_STR(decode("[1]=x", false, NULL), "{'[1]':'x'}");
    ASSERT_STR(decode("a[x]=1", false, NULL), "{'a[x]':'1'}");
    ASSERT_STR(decode("a[0]=x&b[1001]=y", false, NULL), "{'a[0]':'x','b[1001]':'y'}");
    const char *s = decode("c[1000]=z", false, NULL);
    ASSERT_INT(strlen(s), strlen("{'c':[]}") + 999 * 5 + 3);
    ASSERT_STR(decode("a]=1&b[=2&c[1=3", false, NULL), "{'a]':'1','b[':'2','c[1':'3'}");
}

TEST(nest_repeated_keys_merge)
{
    ASSERT_STR(decode("hosts=a&hosts=b", false, NULL), "{'hosts':['a','b']}");
    ASSERT_STR(decode("hosts=a&hosts=b&hosts=c", false, NULL), "{'hosts':['a','b','c']}");
    ASSERT_STR(decode("r.hosts=a&r.hosts=b&r.x=1", false, NULL),
               "{'r':{'hosts':['a','b'],'x':'1'}}");
    ASSERT_STR(decode("h[1]=a&h=b", false, NULL), "{'h':['a','b']}");
    /* another container type: the later pair wins (Kong's merge) */
    ASSERT_STR(decode("h=a&h[]=b", false, NULL), "{'h':['b']}");
    ASSERT_STR(decode("a=1&a.b=2", false, NULL), "{'a':{'b':'2'}}");
    ASSERT_STR(decode("a.b=2&a=1", false, NULL), "{'a':'1'}");
    ASSERT_STR(decode("a[1]=x&a.b=2", false, NULL), "{'a':{'b':'2'}}");
}

TEST(nest_bounds_array_holes)
{
    /* 1000 sparse arrays of 1000 would be a million nulls from 12 KB */
    char *qs = malloc(1000 * 16);
    size_t n = 0;
    for (int i = 0; i < 11; i++)
        n += (size_t)sprintf(qs + n, "%sa%d[1000]=x", i ? "&" : "", i);
    qs[n] = 0;
    ASSERT_INT(strncmp(decode(qs, false, NULL), "rc ", 3), 0);
    ASSERT_STR(decode(qs, false, NULL), "rc -10"); /* DAOC__ARGS_ETOOMANY */
    n = (size_t)(strstr(qs, "&a10[") - qs);        /* ten of them: 9990 holes */
    qs[n] = 0;
    ASSERT_TRUE(strncmp(decode(qs, false, NULL), "{'a0':[null,", 12) == 0);
    free(qs);
}

TEST(nest_key_without_value_is_true)
{
    ASSERT_STR(decode("custom_id", false, NULL), "{'custom_id':true}");
    ASSERT_STR(decode("custom_id=", false, NULL), "{'custom_id':''}");
}

TEST(nest_deep_path_stays_literal)
{
    char key[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(key, "a.");
    strcat(key, "b=1");
    const char *s = decode(key, false, NULL);
    ASSERT_TRUE(strncmp(s, "{'a.a.a.", 8) == 0); /* one literal key */
    ASSERT_STR(decode("a.a.a.b=1", false, NULL), "{'a':{'a':{'a':{'b':'1'}}}}");
}

TEST(nest_json_parts)
{
    daoc__args a = {0};
    ASSERT_INT(daoc__args_push(&a, "config", 6, "{\"x\":1,\"l\":[true]}", 18, true, true), DAOC_OK);
    ASSERT_INT(daoc__args_push(&a, "bad", 3, "{nope", 5, true, true), DAOC_OK);
    ASSERT_INT(daoc__args_push(&a, "config.y", 8, "2", 1, true, false), DAOC_OK);
    ASSERT_INT(daoc__args_push(&a, "n", 1, "null", 4, true, true), DAOC_OK);
    daoc_value *v = NULL;
    ASSERT_INT(daoc__args_nest(&a, true, &v), DAOC_OK);
    ASSERT_STR(enc(v), "{'config':{'x':1,'l':[true],'y':'2'},'bad':'{nope','n':null}");
    daoc_value_free(v);
    daoc__args_free(&a);
    ASSERT_INT(daoc__args_nest(NULL, true, &v), DAOC_EINVAL);
    ASSERT_NULL(v);
}

#define FIELDS                                                                                     \
    "[{'name':{'type':'string'}},{'port':{'type':'integer'}},{'w':{'type':'number'}},"             \
    "{'on':{'type':'boolean'}},{'hosts':{'type':'array','elements':{'type':'string'}}},"           \
    "{'ports':{'type':'set','elements':{'type':'integer'}}},"                                      \
    "{'rec':{'type':'record','fields':[{'n':{'type':'integer'}},{'s':{'type':'string'}}]}},"       \
    "{'m':{'type':'map','keys':{'type':'string'},'values':{'type':'integer'}}},"                   \
    "{'service':{'type':'foreign','reference':'services'}},{'j':{'type':'json'}}]"

TEST(infer_by_field_type)
{
    ASSERT_STR(decode("port=12&w=1.5&on=true&hosts=a&ports=1&ports=2&rec.n=3&m[a]=4&service.id=&"
                      "name=&other=&j=",
                      true, FIELDS),
               "{'port':12,'w':1.5,'on':true,'hosts':['a'],'ports':[1,2],'rec':{'n':3},'m':{'a':4},"
               "'service':{'id':null},'name':null,'other':'','j':null}");
    ASSERT_STR(decode("on=false&w=12&port=1.5", false, FIELDS), "{'on':false,'w':12,'port':1.5}");
    ASSERT_STR(decode("rec.s=&rec.n=&rec.z=", false, FIELDS), "{'rec':{'s':null,'n':null,'z':''}}");
    ASSERT_STR(decode("hosts=&ports[1]=&ports[2]=5", false, FIELDS),
               "{'hosts':null,'ports':[null,5]}");
    ASSERT_STR(decode("service.id=abc&service.x=1", false, FIELDS),
               "{'service':{'id':'abc','x':'1'}}");
    ASSERT_STR(decode("name=12&other=12", false, FIELDS), "{'name':'12','other':'12'}");
}

TEST(infer_numbers_like_tonumber)
{
    ASSERT_STR(decode("port=abc", false, FIELDS), "{'port':'abc'}");
    ASSERT_STR(decode("port=0x10", false, FIELDS), "{'port':16}");
    ASSERT_STR(decode("port=+7+", false, FIELDS), "{'port':7}"); /* "+7 " */
    ASSERT_STR(decode("port=1e3", false, FIELDS), "{'port':1000}");
    ASSERT_STR(decode("port=-5", false, FIELDS), "{'port':-5}");
    ASSERT_STR(decode("port=9007199254740993", false, FIELDS), "{'port':9007199254740993}");
    ASSERT_STR(decode("port=inf&w=nan&ports=infinity", false, FIELDS),
               "{'port':'inf','w':'nan','ports':['infinity']}");
    ASSERT_STR(decode("port=1e999", false, FIELDS), "{'port':'1e999'}");
    char longnum[700] = "port=";
    memset(longnum + 5, '0', 600);
    strcpy(longnum + 605, "42");
    ASSERT_STR(decode(longnum, false, FIELDS), "{'port':42}");
    ASSERT_STR(decode("port=12abc&w=1.5.5", false, FIELDS), "{'port':'12abc','w':'1.5.5'}");
    ASSERT_STR(decode("port=%20", false, FIELDS), "{'port':' '}");
    ASSERT_STR(decode("port=1%002", false, FIELDS), "{'port':'1\\u00002'}");
    ASSERT_STR(decode("on=yes&on2=true", false, FIELDS), "{'on':'yes','on2':'true'}");
    ASSERT_STR(decode("on=true%00", false, FIELDS), "{'on':'true\\u0000'}");
}

TEST(infer_leaves_non_objects_alone)
{
    daoc_value *f = J(FIELDS);
    daoc_value *s = daoc_str("x");
    ASSERT_INT(daoc__args_infer(s, f), DAOC_OK);
    ASSERT_STR(daoc_value_str(s, NULL), "x");
    daoc_value *o = J("{'port':'1'}");
    ASSERT_INT(daoc__args_infer(o, NULL), DAOC_OK);
    ASSERT_STR(enc(o), "{'port':'1'}");
    /* typed values (a JSON part) are not changed */
    daoc_value *t = J("{'port':true,'on':1,'hosts':{'a':'1'},'ports':null}");
    ASSERT_INT(daoc__args_infer(t, f), DAOC_OK);
    ASSERT_STR(enc(t), "{'port':true,'on':1,'hosts':{'a':'1'},'ports':null}");
    daoc_value_free(t);
    daoc_value_free(o);
    daoc_value_free(s);
    daoc_value_free(f);
}

/* ---- multipart ---------------------------------------------------------- */

#define CT "multipart/form-data; boundary=XyZ"

/* Parses body[0..len) from an exact-size copy (ASan sees overreads). */
static int mp(const char *body, size_t len, const char *ct, size_t max, daoc__args *a)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    int rc = daoc__args_parse_multipart(copy, len, ct, max, a);
    free(copy);
    return rc;
}

static const char BODY[] = "--XyZ\r\n"
                           "Content-Disposition: form-data; name=\"name\"\r\n"
                           "\r\n"
                           "svc\r\n"
                           "--XyZ\r\n"
                           "content-disposition: form-data; name=\"config\"\r\n"
                           "Content-Type: application/json; charset=utf-8\r\n"
                           "\r\n"
                           "{\"a\":[1,2]}\r\n"
                           "--XyZ\r\n"
                           "Content-Disposition: form-data; name=\"cert\"; filename=\"c.pem\"\r\n"
                           "Content-Type: application/octet-stream\r\n"
                           "\r\n"
                           "bin\0ary\r\n--XyZnot\r\n\r\n"
                           "--XyZ\r\n"
                           "Content-Disposition: form-data; name=\"empty\"\r\n"
                           "\r\n"
                           "\r\n"
                           "--XyZ--\r\n"
                           "epilogue";

TEST(multipart_parts)
{
    daoc__args a = {0};
    ASSERT_INT(mp(BODY, sizeof BODY - 1, CT, 1000, &a), DAOC_OK);
    ASSERT_INT(a.n, 4);
    ASSERT_STR(a.v[0].key, "name");
    ASSERT_STR(a.v[0].val, "svc");
    ASSERT_TRUE(!a.v[0].json && a.v[0].has_value);
    ASSERT_STR(a.v[1].key, "config");
    ASSERT_TRUE(a.v[1].json);
    ASSERT_STR(a.v[2].key, "cert");
    ASSERT_INT(a.v[2].val_len, 19);
    ASSERT_TRUE(memcmp(a.v[2].val, "bin\0ary\r\n--XyZnot\r\n", 19) == 0);
    ASSERT_TRUE(!a.v[2].json);
    ASSERT_STR(a.v[3].key, "empty");
    ASSERT_INT(a.v[3].val_len, 0);
    daoc_value *v = NULL;
    ASSERT_INT(daoc__args_nest(&a, true, &v), DAOC_OK);
    ASSERT_STR(daoc_value_str(daoc_obj_get(v, "name"), NULL), "svc");
    ASSERT_INT(daoc_value_len(daoc_obj_get(daoc_obj_get(v, "config"), "a")), 2);
    daoc_value_free(v);
    daoc__args_free(&a);
}

TEST(multipart_boundary_forms)
{
    static const char b[] =
        "preamble\r\n--a b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--a b--";
    daoc__args a = {0};
    ASSERT_INT(mp(b, sizeof b - 1, "multipart/form-data; charset=x; boundary=\"a b\"", 10, &a),
               DAOC_OK);
    ASSERT_INT(a.n, 1);
    ASSERT_STR(a.v[0].key, "x");
    ASSERT_STR(a.v[0].val, "1");
    daoc__args_free(&a);
    /* LF line ends, an unquoted boundary, a part with no name (skipped) */
    static const char c[] =
        "--q\nContent-Disposition: form-data\n\nskip\n--q\n"
        "Content-Disposition: form-data; filename=\"f\"; name=\"n\"\n\nv\n--q--\n";
    ASSERT_INT(mp(c, sizeof c - 1, "multipart/form-data;boundary=q", 10, &a), DAOC_OK);
    ASSERT_INT(a.n, 1);
    ASSERT_STR(a.v[0].key, "n");
    ASSERT_STR(a.v[0].val, "v");
    daoc__args_free(&a);
    /* a body of only the close delimiter has no parts */
    ASSERT_INT(mp("--q--", 5, "multipart/form-data; boundary=q", 10, &a), DAOC_OK);
    ASSERT_INT(a.n, 0);
    /* no boundary, an empty one, one too long */
    ASSERT_INT(mp(c, sizeof c - 1, "multipart/form-data", 10, &a), DAOC_EINVAL);
    ASSERT_INT(mp(c, sizeof c - 1, "multipart/form-data; boundary=", 10, &a), DAOC_EINVAL);
    ASSERT_INT(mp(c, sizeof c - 1, "multipart/form-data; boundary=\"\"", 10, &a), DAOC_EINVAL);
    ASSERT_INT(mp(c, sizeof c - 1, "multipart/form-data; xboundary=q", 10, &a), DAOC_EINVAL);
    ASSERT_INT(mp(c, sizeof c - 1, "multipart/form-data; boundary=\"q\nq\"", 10, &a), DAOC_EINVAL);
    char ct[300] = "multipart/form-data; boundary=";
    memset(ct + strlen(ct), 'b', 201);
    ASSERT_INT(mp(c, sizeof c - 1, ct, 10, &a), DAOC_EINVAL);
    ASSERT_INT(a.n, 0);
}

TEST(multipart_malformed_and_truncated)
{
    daoc__args a = {0};
    ASSERT_INT(mp("", 0, CT, 10, &a), DAOC_EINVAL);
    ASSERT_INT(mp("hello", 5, CT, 10, &a), DAOC_EINVAL);
    ASSERT_INT(mp("--XyZ", 5, CT, 10, &a), DAOC_EINVAL);
    ASSERT_INT(mp("--XyZjunk\r\n", 11, CT, 10, &a), DAOC_EINVAL);
    static const char noend[] = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n";
    ASSERT_INT(mp(noend, sizeof noend - 1, CT, 10, &a), DAOC_EINVAL);
    static const char noclose[] =
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue";
    ASSERT_INT(mp(noclose, sizeof noclose - 1, CT, 10, &a), DAOC_EINVAL);
    daoc__args_free(&a);
    /* every prefix of a valid body: no crash, no overread; only prefixes
     * that reach the close delimiter succeed */
    size_t full = sizeof BODY - 1,
           close_at = (size_t)((const char *)memmem(BODY, full, "--XyZ--", 7) - BODY) + 7;
    for (size_t n = 0; n <= full; n++) {
        int rc = mp(BODY, n, CT, 1000, &a);
        if (n >= close_at) {
            ASSERT_INT(rc, DAOC_OK);
            ASSERT_INT(a.n, 4);
        } else {
            if (rc != DAOC_EINVAL)
                fprintf(stderr, "prefix %zu\n", n);
            ASSERT_INT(rc, DAOC_EINVAL);
        }
        daoc__args_free(&a);
    }
}

TEST(multipart_too_many_parts)
{
    daoc__args a = {0};
    ASSERT_INT(mp(BODY, sizeof BODY - 1, CT, 4, &a), DAOC_OK);
    daoc__args_free(&a);
    ASSERT_INT(mp(BODY, sizeof BODY - 1, CT, 3, &a), DAOC__ARGS_ETOOMANY);
    daoc__args_free(&a);
    /* 1001 parts against Kong's limit */
    size_t cap = 1001 * 64 + 16, n = 0;
    char *big = malloc(cap);
    for (int i = 0; i < 1001; i++)
        n += (size_t)sprintf(
            big + n, "--XyZ\r\nContent-Disposition: form-data; name=\"k%d\"\r\n\r\nv\r\n", i);
    n += (size_t)sprintf(big + n, "--XyZ--");
    ASSERT_INT(mp(big, n, CT, DAOC__ARGS_MAX, &a), DAOC__ARGS_ETOOMANY);
    daoc__args_free(&a);
    free(big);
    ASSERT_INT(daoc__args_parse_multipart(NULL, 1, CT, 1, &a), DAOC_EINVAL);
    ASSERT_INT(daoc__args_parse_multipart("", 0, NULL, 1, &a), DAOC_EINVAL);
}

/* Every allocation failure is DAOC_ENOMEM, without leaks or crashes. */
TEST(out_of_memory_everywhere)
{
    daoc_value *f = J(FIELDS);
    const char *qs = "a.b=1&hosts=x&hosts=y&m[k][1]=v&port=12&ports[2]=3&custom_id";
    int rc = DAOC_ENOMEM;
    for (long n = 0; rc == DAOC_ENOMEM && n < 10000; n++) {
        daoc__args a = {0};
        daoc_value *v = NULL;
        daoc__alloc_fail_after(n);
        rc = daoc__args_parse_urlencoded(qs, strlen(qs), 1000, &a);
        if (rc == DAOC_OK)
            rc = daoc__args_push(&a, "j", 1, "{\"x\":[1]}", 9, true, true);
        if (rc == DAOC_OK)
            rc = daoc__args_parse_multipart(BODY, sizeof BODY - 1, CT, 1000, &a);
        if (rc == DAOC_OK)
            rc = daoc__args_nest(&a, true, &v);
        if (rc == DAOC_OK)
            rc = daoc__args_infer(v, f);
        daoc__alloc_fail_after(-1);
        ASSERT_TRUE(rc == DAOC_OK || rc == DAOC_ENOMEM);
        daoc_value_free(v);
        daoc__args_free(&a);
    }
    ASSERT_INT(rc, DAOC_OK);
    daoc_value_free(f);
}
