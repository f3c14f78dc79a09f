/*
 * luapat.c -- Lua 5.1 patterns (as LuaJIT runs them) in C, for the schema
 * validators match, not_match, match_all, match_none and match_any.
 *
 * Kong runs those validators as `value:match(pattern)`, so this file answers
 * one question: does the pattern match somewhere in the subject (only at the
 * start when it begins with '^')?  It follows LuaJIT's behaviour to the
 * letter, quirks included, because a schema must accept exactly the values
 * Kong accepts: a NUL byte ends the pattern, classes use the C locale, %g and
 * %f[set] exist, malformed parts are reported only when the matcher reaches
 * them, a successful match with an unclosed capture is an error, and more
 * than 200 nested matcher calls are "pattern too complex".  On top of that, a
 * step budget (2^20 steps plus 64 per subject byte, milliseconds of CPU)
 * stops runaway backtracking with the same error where LuaJIT would spin.
 * daoc__luapat_check() is the strict, subject-free counterpart used when a
 * definition loads: it refuses every pattern that could raise an error.
 *
 * It deliberately does not return captures or match positions, does not do
 * gsub/gmatch, and never allocates: all state lives on the stack.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "daoc.h"
#include "schema/schema.h"

#define MAX_CAPTURES 32 /* LuaJIT's LUA_MAXCAPTURES */
#define MAX_DEPTH 200   /* LuaJIT's limit on nested matcher calls */
#define STEP_BASE (1ul << 20)
#define STEP_PER_BYTE 64ul

/* Results of the matcher: an end offset in the subject, or one of these. */
#define NO_MATCH ((size_t)-1)
#define FAILED ((size_t)-2) /* an error was recorded in the state */

/* Capture lengths that are not lengths. */
#define CAP_OPEN ((ptrdiff_t)-1)
#define CAP_POSITION ((ptrdiff_t)-2)

static const char E_ENDS_PCT[] = "malformed pattern (ends with '%')";
static const char E_NO_BRACKET[] = "malformed pattern (missing ']')";
static const char E_UNBALANCED[] = "unbalanced pattern";
static const char E_FRONTIER[] = "missing '[' after '%f' in pattern";
static const char E_UNFINISHED[] = "unfinished capture";
static const char E_CAP_INDEX[] = "invalid capture index";
static const char E_CAP_CLOSE[] = "invalid pattern capture";
static const char E_TOO_MANY[] = "too many captures";
static const char E_COMPLEX[] = "pattern too complex";

struct capture {
    size_t start;
    ptrdiff_t len; /* bytes, or CAP_OPEN / CAP_POSITION */
};

struct mstate {
    const unsigned char *src;
    size_t slen;
    const unsigned char *pat;
    size_t plen; /* up to the first NUL byte */
    int level;   /* captures opened so far */
    int depth;   /* nested matcher calls */
    unsigned long steps, max_steps;
    const char *err;
    struct capture cap[MAX_CAPTURES];
};

/* ---- character classes (C locale, independent of setlocale) --------- */

static bool is_upper(int c)
{
    return c >= 'A' && c <= 'Z';
}
static bool is_lower(int c)
{
    return c >= 'a' && c <= 'z';
}
static bool is_alpha(int c)
{
    return is_upper(c) || is_lower(c);
}
static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}
static bool is_alnum(int c)
{
    return is_alpha(c) || is_digit(c);
}
static bool is_space(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}
static bool is_cntrl(int c)
{
    return c < 32 || c == 127;
}
static bool is_graph(int c)
{
    return c > 32 && c < 127;
}
static bool is_punct(int c)
{
    return is_graph(c) && !is_alnum(c);
}
static bool is_xdigit(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Does byte c belong to the class named by the letter after '%'?  Letters
 * that name no class, and everything else, stand for themselves. */
static bool class_has(int c, int letter)
{
    bool in;
    switch (is_upper(letter) ? letter + ('a' - 'A') : letter) {
    case 'a':
        in = is_alpha(c);
        break;
    case 'c':
        in = is_cntrl(c);
        break;
    case 'd':
        in = is_digit(c);
        break;
    case 'g':
        in = is_graph(c);
        break;
    case 'l':
        in = is_lower(c);
        break;
    case 'p':
        in = is_punct(c);
        break;
    case 's':
        in = is_space(c);
        break;
    case 'u':
        in = is_upper(c);
        break;
    case 'w':
        in = is_alnum(c);
        break;
    case 'x':
        in = is_xdigit(c);
        break;
    case 'z':
        in = c == 0;
        break;
    default:
        return c == letter;
    }
    return is_upper(letter) ? !in : in;
}

/* ---- pattern items ----------------------------------------------------- */

/* Pattern byte at i, 0 past the end (the end behaves like Lua's NUL). */
static int pat_at(const struct mstate *ms, size_t i)
{
    return i < ms->plen ? ms->pat[i] : 0;
}

static size_t fail(struct mstate *ms, const char *msg)
{
    ms->err = msg;
    return FAILED;
}

/* Where the single-character item starting at p ends (one past it): ".",
 * "x", "%x" or "[...]".  In a set the first byte (after an optional '^') is
 * never the closing bracket, and "%" protects the byte after it. */
static size_t item_end(struct mstate *ms, size_t p)
{
    int c = ms->pat[p++];
    if (c == '%') {
        if (p >= ms->plen)
            return fail(ms, E_ENDS_PCT);
        return p + 1;
    }
    if (c == '[') {
        if (pat_at(ms, p) == '^')
            p++;
        do {
            if (p >= ms->plen)
                return fail(ms, E_NO_BRACKET);
            if (ms->pat[p++] == '%' && p < ms->plen)
                p++;
        } while (pat_at(ms, p) != ']');
        return p + 1;
    }
    return p;
}

/* Does c belong to the set whose '[' is at lb and ']' at rb?  Read the
 * way LuaJIT reads it: "a-z" is a range only when a byte other than the
 * closing bracket follows the dash, and "%x" is a class even when the x is
 * that bracket (reachable only through odd ranges such as "[a-%%]"). */
static bool set_has(const struct mstate *ms, int c, size_t lb, size_t rb)
{
    bool found = true;
    size_t q = lb + 1;
    if (ms->pat[q] == '^') {
        found = false;
        q++;
    }
    for (; q < rb; q++) {
        int b = ms->pat[q];
        if (b == '%') {
            q++;
            if (class_has(c, ms->pat[q]))
                return found;
        } else if (ms->pat[q + 1] == '-' && q + 2 < rb) {
            if (b <= c && c <= ms->pat[q + 2])
                return found;
            q += 2;
        } else if (b == c) {
            return found;
        }
    }
    return !found;
}

/* Does subject byte c match the item [p, ep)? */
static bool item_has(const struct mstate *ms, int c, size_t p, size_t ep)
{
    switch (ms->pat[p]) {
    case '.':
        return true;
    case '%':
        return class_has(c, ms->pat[p + 1]);
    case '[':
        return set_has(ms, c, p, ep - 1);
    default:
        return ms->pat[p] == c;
    }
}

/* ---- the matcher ------------------------------------------------------- */

static size_t match(struct mstate *ms, size_t s, size_t p);

static bool spend(struct mstate *ms, unsigned long n)
{
    ms->steps += n;
    if (ms->steps > ms->max_steps) {
        ms->err = E_COMPLEX;
        return false;
    }
    return true;
}

/* Greedy repetition: the longest run first, then shorter ones. */
static size_t repeat_greedy(struct mstate *ms, size_t s, size_t p, size_t ep)
{
    size_t n = 0;
    while (s + n < ms->slen && item_has(ms, ms->src[s + n], p, ep))
        n++;
    if (!spend(ms, n))
        return FAILED;
    for (;;) {
        size_t r = match(ms, s + n, ep + 1);
        if (r != NO_MATCH)
            return r;
        if (n == 0)
            return NO_MATCH;
        n--;
    }
}

/* Lazy repetition: the shortest run first, one more byte at a time. */
static size_t repeat_lazy(struct mstate *ms, size_t s, size_t p, size_t ep)
{
    for (;;) {
        size_t r = match(ms, s, ep + 1);
        if (r != NO_MATCH)
            return r;
        if (s < ms->slen && item_has(ms, ms->src[s], p, ep))
            s++;
        else
            return NO_MATCH;
    }
}

static size_t open_capture(struct mstate *ms, size_t s, size_t p, ptrdiff_t kind)
{
    size_t r;
    if (ms->level >= MAX_CAPTURES)
        return fail(ms, E_TOO_MANY);
    ms->cap[ms->level].start = s;
    ms->cap[ms->level].len = kind;
    ms->level++;
    r = match(ms, s, p);
    if (r == NO_MATCH)
        ms->level--;
    return r;
}

static size_t close_capture(struct mstate *ms, size_t s, size_t p)
{
    int l = ms->level - 1;
    size_t r;
    while (l >= 0 && ms->cap[l].len != CAP_OPEN)
        l--;
    if (l < 0)
        return fail(ms, E_CAP_CLOSE);
    ms->cap[l].len = (ptrdiff_t)(s - ms->cap[l].start);
    r = match(ms, s, p);
    if (r == NO_MATCH)
        ms->cap[l].len = CAP_OPEN;
    return r;
}

/* %bxy at s: x, then everything up to the y that balances it. */
static size_t balanced(struct mstate *ms, size_t s, size_t p)
{
    int opener, closer, depth = 1;
    size_t i;
    if (p + 1 >= ms->plen)
        return fail(ms, E_UNBALANCED);
    opener = ms->pat[p];
    closer = ms->pat[p + 1];
    if (s >= ms->slen || ms->src[s] != opener)
        return NO_MATCH;
    for (i = s + 1; i < ms->slen; i++) {
        int c = ms->src[i];
        if (c == closer) {
            if (--depth == 0)
                break;
        } else if (c == opener) {
            depth++;
        }
    }
    if (!spend(ms, i - s))
        return FAILED;
    return i < ms->slen ? i + 1 : NO_MATCH;
}

/* %1..%9 at s: the same bytes as that capture.  A position capture never
 * matches (LuaJIT compares with its length marker). */
static size_t back_reference(struct mstate *ms, size_t s, int digit)
{
    int l = digit - '1';
    size_t len;
    if (l < 0 || l >= ms->level || ms->cap[l].len == CAP_OPEN)
        return fail(ms, E_CAP_INDEX);
    if (ms->cap[l].len == CAP_POSITION)
        return NO_MATCH;
    len = (size_t)ms->cap[l].len;
    if (ms->slen - s < len || memcmp(ms->src + ms->cap[l].start, ms->src + s, len) != 0)
        return NO_MATCH;
    return s + len;
}

/* Matches pattern[p..] against subject[s..]; returns the end offset of the
 * match, NO_MATCH, or FAILED.  Plain items loop; quantifiers and captures
 * recurse, and each recursion counts towards MAX_DEPTH. */
static size_t match_items(struct mstate *ms, size_t s, size_t p)
{
    for (;;) {
        size_t ep, r;
        bool m;
        if (!spend(ms, 1))
            return FAILED;
        if (p >= ms->plen)
            return s;
        switch (ms->pat[p]) {
        case '(':
            if (pat_at(ms, p + 1) == ')')
                return open_capture(ms, s, p + 2, CAP_POSITION);
            return open_capture(ms, s, p + 1, CAP_OPEN);
        case ')':
            return close_capture(ms, s, p + 1);
        case '$':
            if (p + 1 == ms->plen)
                return s == ms->slen ? s : NO_MATCH;
            break;
        case '%': {
            int next = pat_at(ms, p + 1);
            if (next == 'b') {
                s = balanced(ms, s, p + 2);
                if (s == NO_MATCH || s == FAILED)
                    return s;
                p += 4;
                continue;
            }
            if (next == 'f') {
                int before, here;
                p += 2;
                if (pat_at(ms, p) != '[')
                    return fail(ms, E_FRONTIER);
                ep = item_end(ms, p);
                if (ep == FAILED)
                    return FAILED;
                before = s == 0 ? 0 : ms->src[s - 1];
                here = s < ms->slen ? ms->src[s] : 0;
                if (set_has(ms, before, p, ep - 1) || !set_has(ms, here, p, ep - 1))
                    return NO_MATCH;
                p = ep;
                continue;
            }
            if (is_digit(next)) {
                s = back_reference(ms, s, next);
                if (s == NO_MATCH || s == FAILED)
                    return s;
                p += 2;
                continue;
            }
            break;
        }
        default:
            break;
        }
        /* a single-character item, perhaps followed by a quantifier */
        ep = item_end(ms, p);
        if (ep == FAILED)
            return FAILED;
        m = s < ms->slen && item_has(ms, ms->src[s], p, ep);
        switch (pat_at(ms, ep)) {
        case '?':
            if (m) {
                r = match(ms, s + 1, ep + 1);
                if (r != NO_MATCH)
                    return r;
            }
            p = ep + 1;
            continue;
        case '*':
            return repeat_greedy(ms, s, p, ep);
        case '+':
            return m ? repeat_greedy(ms, s + 1, p, ep) : NO_MATCH;
        case '-':
            return repeat_lazy(ms, s, p, ep);
        default:
            if (!m)
                return NO_MATCH;
            s++;
            p = ep;
            continue;
        }
    }
}

static size_t match(struct mstate *ms, size_t s, size_t p)
{
    size_t r;
    if (ms->depth >= MAX_DEPTH)
        return fail(ms, E_COMPLEX);
    ms->depth++;
    r = match_items(ms, s, p);
    ms->depth--;
    return r;
}

static size_t pattern_length(const char *p, size_t plen)
{
    const char *nul = plen ? memchr(p, 0, plen) : NULL;
    return nul ? (size_t)(nul - p) : plen;
}

int daoc__luapat_match(const char *s, size_t slen, const char *p, size_t plen, const char **err)
{
    struct mstate ms;
    size_t start = 0, from = 0;
    bool anchored;

    if ((!s && slen) || (!p && plen)) {
        if (err)
            *err = "no subject or pattern";
        return DAOC_EINVAL;
    }
    memset(&ms, 0, sizeof ms);
    ms.src = (const unsigned char *)(s ? s : "");
    ms.slen = slen;
    ms.pat = (const unsigned char *)(p ? p : "");
    ms.plen = pattern_length((const char *)ms.pat, plen);
    ms.max_steps = STEP_BASE + (slen > (~0ul - STEP_BASE) / STEP_PER_BYTE ? ~0ul - STEP_BASE
                                                                          : slen * STEP_PER_BYTE);
    anchored = pat_at(&ms, 0) == '^';
    if (anchored)
        from = 1;
    for (;;) {
        size_t r;
        ms.level = 0;
        r = match(&ms, start, from);
        if (r == FAILED) {
            if (err)
                *err = ms.err;
            return DAOC_EINVAL;
        }
        if (r != NO_MATCH) {
            for (int i = 0; i < ms.level; i++) {
                if (ms.cap[i].len == CAP_OPEN) {
                    if (err)
                        *err = E_UNFINISHED;
                    return DAOC_EINVAL;
                }
            }
            return 1;
        }
        if (anchored || start >= slen)
            return 0;
        start++;
    }
}

/* ---- the strict check ---------------------------------------------------- */

int daoc__luapat_check(const char *p, size_t plen, const char **err)
{
    struct mstate ms;
    size_t i;
    int open_idx[MAX_CAPTURES]; /* indices of captures still open */
    int nopen = 0, ncaps = 0;
    bool closed[MAX_CAPTURES];
    int depth = 1; /* worst-case nested matcher calls */
    const char *why = NULL;

    if (!p && plen) {
        why = "no pattern";
        goto bad;
    }
    memset(&ms, 0, sizeof ms);
    ms.pat = (const unsigned char *)(p ? p : "");
    ms.plen = pattern_length((const char *)ms.pat, plen);
    i = pat_at(&ms, 0) == '^' ? 1 : 0;
    while (i < ms.plen) {
        int c = ms.pat[i];
        size_t ep;
        if (c == '(') {
            if (ncaps >= MAX_CAPTURES) {
                why = E_TOO_MANY;
                goto bad;
            }
            depth++;
            if (pat_at(&ms, i + 1) == ')') {
                closed[ncaps++] = true;
                i += 2;
            } else {
                closed[ncaps] = false;
                open_idx[nopen++] = ncaps++;
                i++;
            }
            continue;
        }
        if (c == ')') {
            if (nopen == 0) {
                why = E_CAP_CLOSE;
                goto bad;
            }
            closed[open_idx[--nopen]] = true;
            depth++;
            i++;
            continue;
        }
        if (c == '$' && i + 1 == ms.plen)
            break;
        if (c == '%') {
            int next = pat_at(&ms, i + 1);
            if (next == 'b') {
                if (i + 3 >= ms.plen) {
                    why = E_UNBALANCED;
                    goto bad;
                }
                i += 4;
                continue;
            }
            if (next == 'f') {
                i += 2;
                if (pat_at(&ms, i) != '[') {
                    why = E_FRONTIER;
                    goto bad;
                }
                ep = item_end(&ms, i);
                if (ep == FAILED) {
                    why = ms.err;
                    goto bad;
                }
                i = ep;
                continue;
            }
            if (is_digit(next)) {
                int l = next - '1';
                if (l < 0 || l >= ncaps || !closed[l]) {
                    why = E_CAP_INDEX;
                    goto bad;
                }
                i += 2;
                continue;
            }
        }
        ep = item_end(&ms, i);
        if (ep == FAILED) {
            why = ms.err;
            goto bad;
        }
        switch (pat_at(&ms, ep)) {
        case '?':
        case '*':
        case '+':
        case '-':
            depth++;
            ep++;
            break;
        default:
            break;
        }
        i = ep;
    }
    if (nopen > 0) {
        why = E_UNFINISHED;
        goto bad;
    }
    if (depth > MAX_DEPTH) {
        why = E_COMPLEX;
        goto bad;
    }
    return DAOC_OK;
bad:
    if (err)
        *err = why;
    return DAOC_EINVAL;
}
