/*
 * test_builtins.c -- the typedef custom validators in C: for each built-in,
 * inputs Kong accepts and inputs it refuses with the exact message.
 */
#include "harness.h"

#include "core/alloc.h"
#include "core/value.h"
#include "schema/schema.h"

/* "OK" when the built-in accepts `in` (len bytes), else its message. */
static const char *runn(const char *name, const char *in, size_t len)
{
    static char out[512];
    daoc__callable *c = daoc__builtin_validator(name);
    daoc_value *arg;
    const daoc_value *args[1];
    daoc_value *ret = NULL;
    char *msg = NULL;
    int rc;

    if (!c)
        return "(unknown builtin)";
    arg = daoc_strn(in, len);
    args[0] = arg;
    rc = c->call(c, args, 1, &ret, &msg);
    if (rc == 1)
        snprintf(out, sizeof out, "%s", ret && daoc_value_bool(ret) ? "OK" : "(no ret)");
    else if (rc == 0)
        snprintf(out, sizeof out, "%s", msg ? msg : "(no message)");
    else
        snprintf(out, sizeof out, "(status %d)", rc);
    daoc_value_free(ret);
    daoc__free(msg);
    daoc_value_free(arg);
    daoc__callable_unref(c);
    return out;
}

static const char *run(const char *name, const char *in) { return runn(name, in, strlen(in)); }

typedef struct bcase {
    const char *name, *in, *want;
} bcase;

static const bcase CASES[] = {
    /* tag */
    {"tag", "hello world", "OK"},
    {"tag", "caf\xc3\xa9-\xe2\x82\xac", "OK"},
    {"tag", "\xc2{", "OK"}, /* Kong's UTF-8 check starts the 2nd byte at \123 */
    {"tag", "a,b",
     "invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"},
    {"tag", "a/b",
     "invalid tag 'a/b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"},
    {"tag", "tab\t",
     "invalid tag 'tab\t': expected printable ascii (except `,` and `/`) or valid utf-8 "
     "sequences"},
    {"tag", "\xff", "invalid utf-8 character sequence detected at position 1"},
    {"tag", "ab\xc3", "invalid utf-8 character sequence detected at position 3"},
    {"tag", "ab\xed\xa0\x80", "invalid utf-8 character sequence detected at position 3"},
    /* name */
    {"name", "my-service_1.0~x", "OK"},
    {"name", "a b", "invalid value 'a b': it must only contain alphanumeric and '., -, _, ~' characters"},
    {"name", "caf\xc3\xa9",
     "invalid value 'caf\xc3\xa9': it must only contain alphanumeric and '., -, _, ~' "
     "characters"},
    /* utf8_name */
    {"utf8_name", "caf\xc3\xa9-1", "OK"},
    {"utf8_name", "a b",
     "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~"},
    {"utf8_name", "\xc0\x80", "invalid utf-8 character sequence detected at position 1"},
    /* ip */
    {"ip", "127.0.0.1", "OK"},
    {"ip", "::1", "OK"},
    {"ip", "[::1]", "OK"},
    {"ip", "fe80::1:2", "OK"},
    {"ip", "1.2.3", "not an ip address: 1.2.3"},
    {"ip", "256.1.1.1", "not an ip address: 256.1.1.1"},
    {"ip", "10.0.0.0/8", "not an ip address: 10.0.0.0/8"},
    /* ip_or_cidr */
    {"ip_or_cidr", "10.0.0.0/8", "OK"},
    {"ip_or_cidr", "10.0.0.1", "OK"},
    {"ip_or_cidr", "::/0", "OK"},
    {"ip_or_cidr", "fe80::/128", "OK"},
    {"ip_or_cidr", "10.0.0.0/33", "invalid ip or cidr range: '10.0.0.0/33'"},
    {"ip_or_cidr", "10.0.0.0/08", "invalid ip or cidr range: '10.0.0.0/08'"},
    {"ip_or_cidr", "fe80::/129", "invalid ip or cidr range: 'fe80::/129'"},
    {"ip_or_cidr", "x", "invalid ip or cidr range: 'x'"},
    /* cidr_v4, cidr */
    {"cidr_v4", "192.168.0.0/16", "OK"},
    {"cidr_v4", "192.168.1.1", "OK"},
    {"cidr_v4", "::/0", "invalid ipv4 cidr range: '::/0'"},
    {"cidr_v4", "1.2.3.4/", "invalid ipv4 cidr range: '1.2.3.4/'"},
    {"cidr", "1.2.3.4/32/1", "invalid ipv4 cidr range: '1.2.3.4/32/1'"},
    {"cidr", "0.0.0.0/0", "OK"},
    /* host, redis_host */
    {"host", "example.com", "OK"},
    {"host", "example.com.", "OK"},
    {"host", "-a.example", "OK"},
    {"host", "under_score.io", "OK"},
    {"host", "1.2.3.4", "OK"},
    {"host", "[::1]", "OK"},
    {"host", "example.com:80", "must not have a port"},
    {"host", "example.com:99999", "must not have a port"},
    {"host", "1.2.3.4:80", "must not have a port"},
    {"host", "[::1]:80", "must not have a port"},
    {"host", "exa mple.com", "invalid value: exa mple.com"},
    {"host", "a..b", "invalid value: a..b"},
    {"host", "a-.com", "invalid value: a-.com"},
    {"host", ".a.com", "invalid value: .a.com"},
    {"host", "1.2.3.256", "invalid value: 1.2.3.256"},
    {"redis_host", "redis:abc", "invalid value: redis:abc"},
    /* host_with_optional_port */
    {"host_with_optional_port", "example.com:8000", "OK"},
    {"host_with_optional_port", "example.com", "OK"},
    {"host_with_optional_port", "[::1]:8000", "OK"},
    {"host_with_optional_port", "example.com:65536", "invalid port number"},
    {"host_with_optional_port", "ex ample", "invalid hostname: ex ample"},
    {"host_with_optional_port", ":80", "invalid ipv4 address: :80"}, /* digits: ipv4-shaped */
    {"host_with_optional_port", ":abc", "invalid hostname: :abc"},
    {"host_with_optional_port", "1.2.3.256", "invalid ipv4 address: 1.2.3.256"},
    {"host_with_optional_port", "1.2.3.4:", "invalid ipv4 address: 1.2.3.4:"},
    {"host_with_optional_port", "[::1]x", "invalid ipv6 address"},
    {"host_with_optional_port", "::g", "invalid ipv6 address: ::g"},
    {"host_with_optional_port", "1:2:3:4:5:6:7:8:9", "invalid ipv6 address: 1:2:3:4:5:6:7:8:9"},
    /* wildcard_host */
    {"wildcard_host", "*.example.com", "OK"},
    {"wildcard_host", "example.*", "OK"},
    {"wildcard_host", "*", "OK"},
    {"wildcard_host", "plain.example.com", "OK"},
    {"wildcard_host", "ex*ample.com", "wildcard must be leftmost or rightmost character"},
    {"wildcard_host", "*.example.*", "only one wildcard must be specified"},
    {"wildcard_host", "1.2.3.4", "must not be an IP"},
    {"wildcard_host", "*.a.com:80", "must not have a port"},
    {"wildcard_host", "*.a b", "invalid value: wildcard.a b"},
    /* sni, redis_server_name */
    {"sni", "example.com", "OK"},
    {"sni", "1.2.3.4", "must not be an IP"},
    {"sni", "[::1]", "must not be an IP"},
    {"sni", "example.com:443", "must not have a port"},
    {"sni", "example.com:70000", "must not have a port"},
    {"sni", "bad host", "invalid value: bad host"},
    {"redis_server_name", "r.local", "OK"},
    /* path */
    {"path", "/foo/bar", "OK"},
    {"path", "/a%2Fb~!$&'()*+,;=:@", "OK"},
    {"path", "/foo bar",
     "invalid path: '/foo bar' (characters outside of the reserved list of RFC 3986 found)"},
    {"path", "foo", "invalid path: 'foo' (characters outside of the reserved list of RFC 3986 found)"},
    {"path", "/abc%zz", "invalid url-encoded value: '%zz'"},
    {"path", "/abc%2", "invalid url-encoded value: '%2'"},
    {"path", "/a%%41", "invalid url-encoded value: '%__'"},
    /* header_name */
    {"header_name", "X-My_Header1", "OK"},
    {"header_name", "x y", "bad header name 'x y', allowed characters are A-Z, a-z, 0-9, '_', and '-'"},
    {"header_name", "", "no header name provided"},
    /* cookie_name */
    {"cookie_name", "session~id!", "OK"},
    {"cookie_name", "a;b",
     "contains one or more invalid characters. ASCII control characters (0-31;127), space, tab "
     "and the characters ()<>@,;:\\\"/?={}[] are not allowed."},
    {"cookie_name", "", "no token provided"},
    /* url */
    {"url", "http://example.com", "OK"},
    {"url", "https://user:pw@[::1]:8443/x?y#z", "OK"},
    {"url", "example.com", "missing host in url"},
    {"url", "localhost:8000", "missing host in url"},
    {"url", "http://", "missing host in url"},
    {"url", "http://user@:80/", "missing host in url"},
    {"url", "//example.com", "missing scheme in url"},
    {"url", "", "could not parse url. invalid url"},
    /* router_path */
    {"router_path", "/foo", "OK"},
    {"router_path", "/", "OK"},
    {"router_path", "~/foo[", "OK"}, /* regexes are not compiled */
    {"router_path", "/a b", "OK"},   /* RFC 3986 complaints are not router_path's */
    {"router_path", "/foo/../bar", "non-normalized path, consider use '/bar' instead"},
    {"router_path", "/a//b", "non-normalized path, consider use '/a/b' instead"},
    {"router_path", "/./a", "non-normalized path, consider use '/a' instead"},
    {"router_path", "/..", "non-normalized path, consider use '/' instead"},
    {"router_path", "/a%41", "non-normalized path, consider use '/aA' instead"},
    {"router_path", "/a%2f", "non-normalized path, consider use '/a%2F' instead"},
    {"router_path", "/a%2F", "OK"},
    {"router_path", "/foo%zz", "invalid url-encoded value: '%zz'"},
};

TEST(every_builtin_golden)
{
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const char *got = run(CASES[i].name, CASES[i].in);
        if (strcmp(got, CASES[i].want) != 0)
            fprintf(stderr, "  case %zu: %s(\"%s\")\n", i, CASES[i].name, CASES[i].in);
        ASSERT_STR(got, CASES[i].want);
    }
}

TEST(embedded_nul_is_refused)
{
    ASSERT_STR(runn("ip", "1.2.3.4\0x", 9), "not an ip address: 1.2.3.4");
    ASSERT_STR(runn("name", "a\0b", 3), "invalid value 'a");
    ASSERT_STR(runn("host", "a\0b", 3), "invalid value: a");
}

TEST(callable_shape)
{
    daoc__callable *c = daoc__builtin_validator("url");
    daoc_value *num = daoc_int(1);
    const daoc_value *args[1] = {num};
    char *msg = NULL;
    ASSERT_NOT_NULL(c);
    ASSERT_STR(c->builtin, "url");
    ASSERT_INT(c->refs, 1);
    daoc__callable_ref(c);
    ASSERT_INT(c->refs, 2);
    daoc__callable_unref(c);
    /* no message pointer, no ret pointer: still answers */
    ASSERT_INT(c->call(c, args, 1, NULL, NULL), 0);
    ASSERT_INT(c->call(c, args, 1, NULL, &msg), 0);
    ASSERT_STR(msg, "expected a string");
    daoc__free(msg);
    daoc_value_free(num);
    daoc__callable_unref(c);
    ASSERT_NULL(daoc__builtin_validator("nope"));
    ASSERT_NULL(daoc__builtin_validator(NULL));
    c = daoc__builtin_validator("cidr");
    ASSERT_STR(c->builtin, "cidr");
    daoc__callable_unref(c);
}

TEST(builtins_out_of_memory)
{
    for (long n = 0; n < 50; n++) {
        daoc__callable *c;
        daoc_value *arg = daoc_str("/foo/../bar");
        const daoc_value *args[1] = {arg};
        char *msg = NULL;
        int rc;
        daoc__alloc_fail_after(n);
        c = daoc__builtin_validator("router_path");
        rc = c ? c->call(c, args, 1, NULL, &msg) : DAOC_ENOMEM;
        daoc__alloc_fail_after(-1);
        daoc__free(msg);
        daoc__callable_unref(c);
        daoc_value_free(arg);
        if (rc == 0)
            break;
        ASSERT_INT(rc, DAOC_ENOMEM);
    }
}
