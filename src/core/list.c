/*
 * list.c -- walking a comma-separated configuration list item by item
 * (list.h): the one tokeniser of `plugins` and `db_cache_warmup_entities`.
 */
#include "core/list.h"

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

bool daoc__list_item(const char **p, const char **item, size_t *len)
{
    const char *s = *p;
    while (*s == ',' || blank(*s))
        s++;
    if (!*s) {
        *p = s;
        return false;
    }
    const char *e = s;
    while (*e && *e != ',')
        e++;
    *p = e;
    while (e > s && blank(e[-1]))
        e--;
    *item = s;
    *len = (size_t)(e - s);
    return true;
}
