/*
 * sql_split.c -- cutting a string of several ';'-separated SQL statements
 * into statements, for kong.db.connector:query, which Kong's connector lets
 * plugin code (up_f, teardown, 0.x migrations) call with a whole script.
 *
 * Only the lexical rules that decide where a ';' ends a statement are
 * known here, for both dialects: '...' strings ('' inside; E'...' with
 * backslash escapes), "..." and `...` identifiers, PostgreSQL's $tag$...$tag$
 * bodies, -- and (nested) block comments, and SQLite's CREATE TRIGGER whose
 * BEGIN ... END body holds ';' (CASE ... END nests inside it).  Statements
 * made only of blanks and comments are skipped.  No SQL text is built.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "lua/lua_internal.h"

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* The length of a dollar-quote tag opening at s[i] ("$$", "$body$"), 0 if none. */
static size_t dollar_tag(const char *s, size_t n, size_t i)
{
    if (i > 0 && ident_char(s[i - 1]))
        return 0; /* part of an identifier, e.g. a$b */
    size_t j = i + 1;
    if (j < n && (isdigit((unsigned char)s[j])))
        return 0; /* $1: a parameter */
    while (j < n && ident_char(s[j]))
        j++;
    return j < n && s[j] == '$' ? j + 1 - i : 0;
}

/* Whether the word at s[i..i+len) is kw (case-insensitive). */
static bool word_is(const char *s, size_t i, size_t len, const char *kw)
{
    return strlen(kw) == len && strncasecmp(s + i, kw, len) == 0;
}

/* Skips from s[i] (the opening char of a quoted run or comment) past its
 * end; returns the index after it (n when unterminated). */
static size_t skip_quoted(const char *s, size_t n, size_t i)
{
    char q = s[i];
    if (q == '-') { /* -- comment */
        const char *nl = memchr(s + i, '\n', n - i);
        return nl ? (size_t)(nl - s) + 1 : n;
    }
    if (q == '/') { /* block comment, nested as PostgreSQL does */
        int depth = 0;
        while (i < n) {
            if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
                depth++;
                i += 2;
            } else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
                i += 2;
                if (--depth == 0)
                    return i;
            } else {
                i++;
            }
        }
        return n;
    }
    if (q == '$') {
        size_t t = dollar_tag(s, n, i);
        for (size_t j = i + t; j + t <= n; j++)
            if (memcmp(s + j, s + i, t) == 0)
                return j + t;
        return n;
    }
    bool backslash = q == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                     (i < 2 || !ident_char(s[i - 2]));
    for (size_t j = i + 1; j < n; j++) {
        if (backslash && s[j] == '\\') {
            j++;
            continue;
        }
        if (s[j] == q) {
            if (j + 1 < n && s[j + 1] == q) {
                j++; /* '' or "" inside */
                continue;
            }
            return j + 1;
        }
    }
    return n;
}

bool daoc__sql_next_statement(const char *s, size_t n, size_t *pos, size_t *start, size_t *end)
{
    while (*pos < n) {
        size_t i = *pos, first = n, last = i;
        int words = 0, depth = 0;
        bool trigger = false;
        while (i < n && !(s[i] == ';' && depth == 0)) {
            char c = s[i];
            if ((c == '-' && i + 1 < n && s[i + 1] == '-') ||
                (c == '/' && i + 1 < n && s[i + 1] == '*')) {
                i = skip_quoted(s, n, i);
                continue;
            }
            if (isspace((unsigned char)c)) {
                i++;
                continue;
            }
            if (first == n)
                first = i;
            if (c == '\'' || c == '"' || c == '`' || (c == '$' && dollar_tag(s, n, i))) {
                i = skip_quoted(s, n, i);
                last = i;
                continue;
            }
            if (ident_char(c) && (i == 0 || !ident_char(s[i - 1]))) {
                size_t w = i;
                while (w < n && ident_char(s[w]))
                    w++;
                size_t len = w - i;
                words++;
                /* CREATE [TEMP|TEMPORARY] TRIGGER: its body's ';' do not end it */
                if (words <= 3 && word_is(s, i, len, "TRIGGER") && first + 6 <= n &&
                    word_is(s, first, 6, "CREATE"))
                    trigger = true;
                if (trigger && (word_is(s, i, len, "BEGIN") || word_is(s, i, len, "CASE")))
                    depth++;
                else if (trigger && depth > 0 && word_is(s, i, len, "END"))
                    depth--;
                i = w;
                last = i;
                continue;
            }
            i++;
            last = i;
        }
        *pos = i < n ? i + 1 : n;
        if (first != n) {
            *start = first;
            *end = last;
            return true;
        }
    }
    return false;
}
