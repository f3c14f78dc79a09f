/*
 * test_luapat.c -- Lua patterns in C (src/schema/luapat.c): golden cases,
 * Kong's own patterns, error messages, limits, the strict load-time check,
 * and a differential run over tests/data/luapat_vectors.txt, which holds
 * what LuaJIT's string.match answered for the same inputs.
 */
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "schema/schema.h"

/* match() on C strings; the NUL-carrying cases use m2(). */
static int m(const char *s, const char *p)
{
    return daoc__luapat_match(s, strlen(s), p, strlen(p), NULL);
}

static int m2(const char *s, size_t sl, const char *p, size_t pl)
{
    return daoc__luapat_match(s, sl, p, pl, NULL);
}

/* The error message of a match that must fail, or "(no error)". */
static const char *merr(const char *s, const char *p)
{
    const char *err = NULL;
    int rc = daoc__luapat_match(s, strlen(s), p, strlen(p), &err);
    if (rc != DAOC_EINVAL)
        return "(no error)";
    return err ? err : "(null message)";
}

static const char *cerr(const char *p)
{
    const char *err = NULL;
    if (daoc__luapat_check(p, strlen(p), &err) == DAOC_OK)
        return "(ok)";
    return err ? err : "(null message)";
}

static char *repeat(const char *unit, int n, const char *tail)
{
    size_t ul = strlen(unit), tl = strlen(tail);
    char *out = malloc(ul * (size_t)n + tl + 1);
    if (!out)
        return NULL;
    for (int i = 0; i < n; i++)
        memcpy(out + ul * (size_t)i, unit, ul);
    memcpy(out + ul * (size_t)n, tail, tl + 1);
    return out;
}

TEST(plain_and_anchors)
{
    ASSERT_INT(m("hello world", "^hello"), 1);
    ASSERT_INT(m("say hello", "^hello"), 0);
    ASSERT_INT(m("hello world", "world$"), 1);
    ASSERT_INT(m("world peace", "world$"), 0);
    ASSERT_INT(m("abc", ""), 1);
    ASSERT_INT(m("", ""), 1);
    ASSERT_INT(m("", "^$"), 1);
    ASSERT_INT(m("a", "^$"), 0);
    ASSERT_INT(m("a^b", "a^b"), 1); /* '^' is literal after the start */
    ASSERT_INT(m("a$b", "a$b"), 1); /* '$' is literal before the end */
    ASSERT_INT(m("a$", "a$$"), 1);
    ASSERT_INT(m("abc", "$$"), 0);
    ASSERT_INT(m("xabc", "abc$"), 1);
    ASSERT_INT(m("abcd", "^abc$"), 0);
}

TEST(classes)
{
    ASSERT_INT(m("GET", "^%u+$"), 1);
    ASSERT_INT(m("Get", "^%u+$"), 0);
    ASSERT_INT(m("a1", "^%a%d$"), 1);
    ASSERT_INT(m("1a", "^%a%d$"), 0);
    ASSERT_INT(m(" \t\n\v\f\r", "^%s+$"), 1);
    ASSERT_INT(m("_", "%w"), 0);
    ASSERT_INT(m("_", "%p"), 1);
    ASSERT_INT(m("fF9", "^%x+$"), 1);
    ASSERT_INT(m("g", "%x"), 0);
    ASSERT_INT(m("\x7f", "%c"), 1);
    ASSERT_INT(m("~", "%g"), 1);
    ASSERT_INT(m(" ", "%g"), 0);
    ASSERT_INT(m("abc", "%A"), 0);
    ASSERT_INT(m("ab1", "%D"), 1);
    ASSERT_INT(m("\xc3\xa9", "%a"), 0); /* C locale: bytes >= 128 are in no class */
    ASSERT_INT(m("\xc3\xa9", "^%A%A$"), 1);
    ASSERT_INT(m("q", "%q"), 1); /* not a class letter: itself */
    ASSERT_INT(m("Q", "%Q"), 1);
    ASSERT_INT(m("a.b", "a%.b"), 1);
    ASSERT_INT(m("axb", "a%.b"), 0);
    ASSERT_INT(m("axb", "a.b"), 1);
    ASSERT_INT(m2("\0", 1, "%z", 2), 1);
    ASSERT_INT(m2("a", 1, "%z", 2), 0);
    ASSERT_INT(m2("a", 1, "%Z", 2), 1);
}

TEST(sets)
{
    ASSERT_INT(m("b", "[a-c]"), 1);
    ASSERT_INT(m("d", "[a-c]"), 0);
    ASSERT_INT(m("d", "[^a-c]"), 1);
    ASSERT_INT(m("]", "[]]"), 1);
    ASSERT_INT(m("]", "[^]]"), 0);
    ASSERT_INT(m("-", "[a-]"), 1);
    ASSERT_INT(m("-", "[-a]"), 1);
    ASSERT_INT(m("b", "[z-a]"), 0);
    ASSERT_INT(m("5", "[%d]"), 1);
    ASSERT_INT(m("5", "[^%d]"), 0);
    ASSERT_INT(m("a", "[.]"), 0);
    ASSERT_INT(m("^", "[a^]"), 1);
    ASSERT_INT(m("%", "[%%]"), 1);
    ASSERT_INT(m("]", "[a-%%]"), 1); /* LuaJIT's reading: range a-%, then "%]" */
    ASSERT_INT(m("%", "[a-%%]"), 0);
    ASSERT_INT(m("\xff", "[\x80-\xff]"), 1);
    ASSERT_INT(m2("\0", 1, "[%z]", 4), 1);
}

TEST(quantifiers)
{
    ASSERT_INT(m("aaa", "^a*$"), 1);
    ASSERT_INT(m("", "^a*$"), 1);
    ASSERT_INT(m("", "^a+$"), 0);
    ASSERT_INT(m("aab", "^a+b$"), 1);
    ASSERT_INT(m("aab", "^a-b$"), 1);
    ASSERT_INT(m("b", "^a?b$"), 1);
    ASSERT_INT(m("aab", "^a?b$"), 0);
    ASSERT_INT(m("a*", "a**"), 1); /* the second '*' is literal */
    ASSERT_INT(m("a", "a**"), 0);
    ASSERT_INT(m("*", "^*"), 1);
    ASSERT_INT(m("abc", "*"), 0);
    ASSERT_INT(m("  x  ", "^%s*(.-)%s*$"), 1);
    ASSERT_INT(m("xay", "^x.-y$"), 1);
}

TEST(captures_and_back_references)
{
    ASSERT_INT(m("abab", "^(ab)%1$"), 1);
    ASSERT_INT(m("abac", "^(ab)%1$"), 0);
    ASSERT_INT(m("xyzxyz", "^(.+)%1$"), 1);
    ASSERT_INT(m("abcabc", "(a)(b)(c)%1%2%3"), 1);
    ASSERT_INT(m("abcab", "(a)(b)(c)%1%2%3"), 0);
    ASSERT_INT(m("abcabc", "^(a)(b)(c)()"), 1);
    ASSERT_INT(m("[==[x]==]", "%[(=*)%[(.-)%]%1%]"), 1);
    ASSERT_INT(m("[==[x]=]", "%[(=*)%[(.-)%]%1%]"), 0);
    ASSERT_INT(m("aa", "()a%1"), 0); /* a position capture never matches */
    ASSERT_INT(m("abc", "()"), 1);
    ASSERT_INT(m("(x)", "^%b()$"), 1);
    ASSERT_INT(m("f(a(b)c", "^f%b()"), 0);
    ASSERT_INT(m("f(a(b)c)", "^f%b()$"), 1);
    ASSERT_INT(m("aa", "%baa"), 1);
    ASSERT_INT(m("THE (quick) fox", "%f[%a]%a+%f[%A]"), 1);
    ASSERT_INT(m("hello", "%f[%w]%w+%f[%W]$"), 1);
    ASSERT_INT(m("abc", "%f[%z]"), 1); /* at the end: the subject reads as NUL there */
    ASSERT_INT(m("abc", "%f[%z]."), 0);
    ASSERT_INT(m("abc", "%f[^%z]"), 1);
}

TEST(kong_patterns)
{
    ASSERT_INT(m("a.b-c_d~e", "^[%w%.%-%_~]+$"), 1);
    ASSERT_INT(m("a b", "^[%w%.%-%_~]+$"), 0);
    ASSERT_INT(m("*.example.com", "^[^*]*%*?[^*]*$"), 1);
    ASSERT_INT(m("a**b", "^[^*]*%*?[^*]*$"), 0);
    ASSERT_INT(m("*.example.com", "^%*%."), 1);
    ASSERT_INT(m("*example", "^%*%."), 0);
    ASSERT_INT(m("example.*", "%.%*$"), 1);
    ASSERT_INT(m("example*", "%.%*$"), 0);
    ASSERT_INT(m("abc", "^[^*]*$"), 1);
    ASSERT_INT(m("a*c", "^[^*]*$"), 0);
    ASSERT_INT(m("a//b", "//"), 1);
    ASSERT_INT(m("/a/b", "//"), 0);
    ASSERT_INT(m("1.2.3", "^%d+[%.%d]*$"), 1);
    ASSERT_INT(m(".1", "^%d+[%.%d]*$"), 0);
    ASSERT_INT(m("1.2.3-rc.1", "^%d+[%.%d]*%-?.*$"), 1);
    ASSERT_INT(m("v1", "^%d+[%.%d]*%-?.*$"), 0);
    ASSERT_INT(m("a..b", "%.%."), 1);
    ASSERT_INT(m("a.b", "%.%."), 0);
    const char *path = "^/[%w%.%-%_%~%/%%%:%@!$&'()*+,;=]*$";
    ASSERT_INT(m("/a/b:c@d%20", path), 1);
    ASSERT_INT(m("/", path), 1);
    ASSERT_INT(m("/a b", path), 0);
    ASSERT_INT(m("/x?y", path), 0);
    ASSERT_INT(m("a/", path), 0);
    ASSERT_STR(cerr(path), "(ok)");
}

TEST(nul_bytes)
{
    /* NULs in the subject are ordinary bytes */
    ASSERT_INT(m2("a\0b", 3, "^a%zb$", 6), 1);
    ASSERT_INT(m2("a\0b", 3, "^a.b$", 5), 1);
    ASSERT_INT(m2("a\0b", 3, "b$", 2), 1);
    /* a NUL ends the pattern, as it does in LuaJIT */
    ASSERT_INT(m2("a", 1, "a\0b", 3), 1);
    ASSERT_INT(m2("ab", 2, "a$\0x", 4), 0);
    ASSERT_INT(m2("xyz", 3, "x\0%", 3), 1);
    ASSERT_INT(daoc__luapat_check("a\0%", 3, NULL), DAOC_OK);
    /* the pattern is not read past its length */
    ASSERT_INT(m2("ab", 2, "ab%", 2), 1);
    ASSERT_INT(m2("ab", 2, "abc", 2), 1);
    ASSERT_INT(m2(NULL, 0, "^$", 2), 1);
    ASSERT_INT(m2("x", 1, NULL, 0), 1);
}

TEST(error_messages)
{
    ASSERT_STR(merr("xyz", "x%"), "malformed pattern (ends with '%')");
    ASSERT_STR(merr("xyz", "[a"), "malformed pattern (missing ']')");
    ASSERT_STR(merr("xyz", "[]"), "malformed pattern (missing ']')");
    ASSERT_STR(merr("xyz", "[%"), "malformed pattern (missing ']')");
    ASSERT_STR(merr("xyz", "%b("), "unbalanced pattern");
    ASSERT_STR(merr("xyz", "%fa"), "missing '[' after '%f' in pattern");
    ASSERT_STR(merr("abc", "(a"), "unfinished capture");
    ASSERT_STR(merr("abc", "a)"), "invalid pattern capture");
    ASSERT_STR(merr("abc", "%1"), "invalid capture index");
    ASSERT_STR(merr("abc", "%0"), "invalid capture index");
    ASSERT_STR(merr("abc", "(a%1)"), "invalid capture index");
    ASSERT_STR(merr("abc", "(((((((((((((((((((((((((((((((((((("), "too many captures");
    /* errors come only when the matcher reaches the bad part, as in LuaJIT */
    ASSERT_INT(m("abc", "x%"), 0);
    ASSERT_INT(m("xyz", "(a"), 0);
    /* no err pointer is fine */
    ASSERT_INT(daoc__luapat_match("a", 1, "%", 1, NULL), DAOC_EINVAL);
}

TEST(depth_limit)
{
    char *ok = repeat("x*", 199, ""), *deep = repeat("x*", 200, "");
    char *opt = repeat("x?", 500, "");
    ASSERT_TRUE(ok && deep && opt);
    int r1 = m("abc", ok), r2 = m("abc", deep), r3 = m("abc", opt);
    const char *e2 = merr("abc", deep);
    const char *c1 = cerr(ok), *c2 = cerr(deep), *c3 = cerr(opt);
    free(ok);
    free(deep);
    free(opt);
    ASSERT_INT(r1, 1);
    ASSERT_INT(r2, DAOC_EINVAL);
    ASSERT_STR(e2, "pattern too complex");
    ASSERT_INT(r3, 1); /* '?' recurses only when its byte matches */
    ASSERT_STR(c1, "(ok)");
    ASSERT_STR(c2, "pattern too complex");
    ASSERT_STR(c3, "pattern too complex"); /* the check assumes the worst */
}

TEST(step_budget)
{
    /* polynomial blow-up that LuaJIT would grind through for ages */
    size_t n = 20000;
    char *s = malloc(n + 1);
    ASSERT_NOT_NULL(s);
    memset(s, 'a', n);
    s[n] = 0;
    const char *err = NULL;
    int rc = daoc__luapat_match(s, n, "a*a*a*a*a*b", 11, &err);
    /* long but linear work stays within the budget */
    int lin = daoc__luapat_match(s, n, "^[^*]*%*?[^*]*$", 15, NULL);
    int scan = daoc__luapat_match(s, n, "%.%.", 4, NULL);
    free(s);
    ASSERT_INT(rc, DAOC_EINVAL);
    ASSERT_STR(err, "pattern too complex");
    ASSERT_INT(lin, 1);
    ASSERT_INT(scan, 0);
}

TEST(check)
{
    ASSERT_STR(cerr("^%u+$"), "(ok)");
    ASSERT_STR(cerr("^[^*]*%*?[^*]*$"), "(ok)");
    ASSERT_STR(cerr("(a)%1"), "(ok)");
    ASSERT_STR(cerr("()%1"), "(ok)");
    ASSERT_STR(cerr("%b()*"), "(ok)");
    ASSERT_STR(cerr("%f[%a]%w+"), "(ok)");
    ASSERT_STR(cerr("[]]"), "(ok)");
    ASSERT_STR(cerr("[a-%%]"), "(ok)");
    ASSERT_STR(cerr(""), "(ok)");
    ASSERT_STR(cerr("^"), "(ok)");
    ASSERT_STR(cerr("a$"), "(ok)");
    ASSERT_STR(cerr("x%"), "malformed pattern (ends with '%')");
    ASSERT_STR(cerr("[%a"), "malformed pattern (missing ']')");
    ASSERT_STR(cerr("[]"), "malformed pattern (missing ']')");
    ASSERT_STR(cerr("%f[a"), "malformed pattern (missing ']')");
    ASSERT_STR(cerr("%bx"), "unbalanced pattern");
    ASSERT_STR(cerr("%f"), "missing '[' after '%f' in pattern");
    ASSERT_STR(cerr("x(a"), "unfinished capture");
    ASSERT_STR(cerr("a)"), "invalid pattern capture");
    ASSERT_STR(cerr("(a)%2"), "invalid capture index");
    ASSERT_STR(cerr("(a%1)"), "invalid capture index");
    ASSERT_STR(cerr("%0"), "invalid capture index");
    char *many = repeat("()", 33, "");
    ASSERT_NOT_NULL(many);
    const char *e = cerr(many);
    free(many);
    ASSERT_STR(e, "too many captures");
    ASSERT_INT(daoc__luapat_check("%", 1, NULL), DAOC_EINVAL);
}

/* ---- differential run against LuaJIT's answers -------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Unescapes [in, end) into out (same size suffices); returns the length or
 * -1 on a bad escape. */
static long unescape(const char *in, const char *end, char *out)
{
    long n = 0;
    while (in < end) {
        char c = *in++;
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        if (in >= end)
            return -1;
        c = *in++;
        switch (c) {
        case '\\':
            out[n++] = '\\';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case '0':
            out[n++] = '\0';
            break;
        case 'x': {
            int hi, lo;
            if (end - in < 2 || (hi = hexval(in[0])) < 0 || (lo = hexval(in[1])) < 0)
                return -1;
            out[n++] = (char)(hi * 16 + lo);
            in += 2;
            break;
        }
        default:
            return -1;
        }
    }
    return n;
}

#define VECTORS "tests/data/luapat_vectors.txt"

/* The vector file: under $DAOC_SRC_DIR, else the current directory, else the
 * nearest ancestor of this executable that has it (build/<dir>/tests/...). */
static FILE *open_vectors(void)
{
    const char *dir = getenv("DAOC_SRC_DIR");
    char path[4200], exe[4096];
    FILE *f;
    if (dir && *dir) {
        snprintf(path, sizeof path, "%s/" VECTORS, dir);
        return fopen(path, "rb");
    }
    if ((f = fopen(VECTORS, "rb")) != NULL)
        return f;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = 0;
    for (char *slash = strrchr(exe, '/'); slash; slash = strrchr(exe, '/')) {
        *slash = 0;
        snprintf(path, sizeof path, "%s/" VECTORS, exe);
        if ((f = fopen(path, "rb")) != NULL)
            return f;
    }
    return NULL;
}

static char *slurp_vectors(size_t *len)
{
    FILE *f = open_vectors();
    if (!f) {
        fprintf(stderr, "  cannot find " VECTORS " (set DAOC_SRC_DIR to the repo root)\n");
        return NULL;
    }
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

TEST(differential_luajit_vectors)
{
    size_t len = 0;
    char *text = slurp_vectors(&len);
    ASSERT_NOT_NULL(text);
    char *subj = malloc(len + 1), *pat = malloc(len + 1);
    int cases = 0, bad = 0, errors_seen = 0, unsound = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (eol > p && *p != '#') {
            const char *t1 = memchr(p, '\t', (size_t)(eol - p));
            const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(eol - t1 - 1)) : NULL;
            long sl = -1, pl = -1;
            if (t2) {
                sl = unescape(t1 + 1, t2, subj);
                pl = unescape(t2 + 1, eol, pat);
            }
            if (sl < 0 || pl < 0) {
                T_FAIL_AT("malformed vector line: %.*s", (int)(eol - p), p);
                bad++;
            } else {
                const char *err = NULL;
                int rc = daoc__luapat_match(subj, (size_t)sl, pat, (size_t)pl, &err);
                int crc = daoc__luapat_check(pat, (size_t)pl, NULL);
                char got[200];
                if (rc == DAOC_EINVAL)
                    snprintf(got, sizeof got, "E:%s", err ? err : "(null)");
                else
                    snprintf(got, sizeof got, "%d", rc);
                size_t wl = (size_t)(t1 - p);
                if (strlen(got) != wl || memcmp(got, p, wl) != 0) {
                    if (bad < 20)
                        T_FAIL_AT("line '%.*s': got %s", (int)(eol - p), p, got);
                    bad++;
                }
                /* the load-time check must refuse whatever can fail */
                if (rc == DAOC_EINVAL && crc == DAOC_OK) {
                    if (unsound < 20)
                        T_FAIL_AT("check accepted a failing pattern: %.*s", (int)(eol - p), p);
                    unsound++;
                }
                errors_seen += rc == DAOC_EINVAL;
                cases++;
            }
        }
        p = eol + 1;
    }
    free(subj);
    free(pat);
    free(text);
    ASSERT_INT(bad, 0);
    ASSERT_INT(unsound, 0);
    ASSERT_TRUE(cases >= 500);
    ASSERT_TRUE(errors_seen >= 50);
}
