/*
 * catalog.c -- the part of the catalog reading both stores share
 * (catalog.h): the table description their readers fill (columns,
 * indexes, foreign keys), the lookups `daoc migrations lint` asks of it,
 * and the text of the statements it suggests, in each store's dialect
 * through its hooks.  Runs no SQL.
 */
#include "store/catalog.h"

#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "daoc.h"
#include "store/ddl.h"
#include "store/deploy.h"

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        daoc__free(v[i]);
    daoc__free(v);
}

void daoc__cat_free(daoc__cat_table *t)
{
    daoc__shape_cols_free(&t->cols);
    for (size_t i = 0; i < t->nidx; i++) {
        daoc__free(t->idx[i].name);
        free_strs(t->idx[i].cols, t->idx[i].ncols);
    }
    daoc__free(t->idx);
    for (size_t i = 0; i < t->nfks; i++) {
        daoc__free(t->fks[i].name);
        daoc__free(t->fks[i].ref_table);
        daoc__free(t->fks[i].on_delete);
        free_strs(t->fks[i].cols, t->fks[i].ncols);
        free_strs(t->fks[i].ref_cols, t->fks[i].ncols);
    }
    daoc__free(t->fks);
    t->idx = NULL;
    t->fks = NULL;
    t->nidx = t->nfks = 0;
}

/* Appends a copy of s (NULL: "") to *v of n entries. */
static int push_str(char ***v, size_t n, const char *s)
{
    char **grown = daoc__realloc(*v, (n + 1) * sizeof *grown);
    if (!grown)
        return DAOC_ENOMEM;
    *v = grown;
    return (grown[n] = daoc__strdup(s ? s : "")) ? DAOC_OK : DAOC_ENOMEM;
}

int daoc__cat_add_index_col(daoc__cat_table *t, const char *index, bool unique, bool partial,
                            const char *col)
{
    daoc__cat_index *x = t->nidx ? &t->idx[t->nidx - 1] : NULL;
    if (!x || strcmp(x->name, index) != 0) {
        daoc__cat_index *grown = daoc__realloc(t->idx, (t->nidx + 1) * sizeof *grown);
        if (!grown)
            return DAOC_ENOMEM;
        t->idx = grown;
        x = &grown[t->nidx];
        *x = (daoc__cat_index){.unique = unique, .partial = partial};
        if (!(x->name = daoc__strdup(index)))
            return DAOC_ENOMEM;
        t->nidx++;
    }
    if (!col) {
        x->partial = true;
        col = "";
    }
    if (push_str(&x->cols, x->ncols, col) != DAOC_OK)
        return DAOC_ENOMEM;
    x->ncols++;
    return DAOC_OK;
}

int daoc__cat_add_fk_col(daoc__cat_table *t, const char *name, const char *ref_table,
                         const char *on_delete, const char *col, const char *ref_col)
{
    daoc__cat_fk *k = t->nfks ? &t->fks[t->nfks - 1] : NULL;
    if (!k || strcmp(k->name, name) != 0) {
        daoc__cat_fk *grown = daoc__realloc(t->fks, (t->nfks + 1) * sizeof *grown);
        if (!grown)
            return DAOC_ENOMEM;
        t->fks = grown;
        k = &grown[t->nfks];
        *k = (daoc__cat_fk){0};
        t->nfks++;
        if (!(k->name = daoc__strdup(name)) || !(k->ref_table = daoc__strdup(ref_table)) ||
            !(k->on_delete = daoc__strdup(on_delete ? on_delete : "NO ACTION")))
            return DAOC_ENOMEM;
    }
    if (push_str(&k->cols, k->ncols, col) != DAOC_OK)
        return DAOC_ENOMEM; /* daoc__cat_free frees ncols entries of each */
    if (push_str(&k->ref_cols, k->ncols, ref_col) != DAOC_OK) {
        daoc__free(k->cols[k->ncols]);
        return DAOC_ENOMEM;
    }
    k->ncols++;
    return DAOC_OK;
}

bool daoc__cat_same(const daoc__cat_table *t, const char *a, const char *b)
{
    return t->nocase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static bool has_col(const daoc__cat_table *t, const daoc__cat_index *x, const char *col)
{
    for (size_t i = 0; i < x->ncols; i++)
        if (daoc__cat_same(t, x->cols[i], col))
            return true;
    return false;
}

const daoc__cat_index *daoc__cat_unique_on(const daoc__cat_table *t, const char *const *cols,
                                           size_t n)
{
    for (size_t i = 0; i < t->nidx; i++) {
        const daoc__cat_index *x = &t->idx[i];
        if (!x->unique || x->partial || x->ncols != n)
            continue;
        size_t j = 0;
        while (j < n && has_col(t, x, cols[j]))
            j++;
        if (j == n)
            return x;
    }
    return NULL;
}

const daoc__cat_index *daoc__cat_index_leading(const daoc__cat_table *t, const char *col)
{
    for (size_t i = 0; i < t->nidx; i++) {
        const daoc__cat_index *x = &t->idx[i];
        if (!x->partial && x->ncols > 0 && daoc__cat_same(t, x->cols[0], col))
            return x;
    }
    return NULL;
}

/* ---- the fixes ------------------------------------------------------------ */

static void col_list(daoc__buf *b, const char *const *cols, size_t n)
{
    daoc__buf_puts(b, "(");
    for (size_t i = 0; i < n; i++) {
        if (i)
            daoc__buf_puts(b, ", ");
        daoc__sql_ident(b, cols[i]);
    }
    daoc__buf_puts(b, ")");
}

/* "<c1>_<c2>..." for a constraint's or an index's name */
static void joined(char *out, size_t size, const char *const *cols, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len + 1 < size; i++) {
        size_t w = strlen(cols[i]);
        if (i)
            out[len++] = '_';
        if (len + w >= size)
            w = size - len - 1;
        memcpy(out + len, cols[i], w);
        len += w;
        out[len] = '\0';
    }
}

void daoc__cat_fix_index(daoc__buf *b, const daoc__catalog_dialect *d, const char *table,
                         const char *const *cols, size_t n, bool unique)
{
    char cj[256], name[64];
    joined(cj, sizeof cj, cols, n);
    d->name(name, table, cj, unique ? "unique" : "idx");
    daoc__buf_puts(b, unique ? "CREATE UNIQUE INDEX IF NOT EXISTS " : "CREATE INDEX IF NOT EXISTS ");
    daoc__sql_ident(b, name);
    daoc__buf_puts(b, " ON ");
    daoc__sql_ident(b, table);
    daoc__buf_putc(b, ' ');
    col_list(b, cols, n);
    daoc__buf_putc(b, ';');
}

void daoc__cat_fix_add_column(daoc__buf *b, const char *table, const char *col, const char *type)
{
    daoc__buf_puts(b, "ALTER TABLE ");
    daoc__sql_ident(b, table);
    daoc__buf_puts(b, " ADD COLUMN ");
    daoc__sql_ident(b, col);
    daoc__buf_printf(b, " %s;", type);
}

static void rebuild(daoc__buf *b, const char *table)
{
    daoc__buf_puts(b, "rebuild the table (SQLite cannot alter a column or a constraint): CREATE "
                      "TABLE ");
    daoc__buf new_name = DAOC__BUF_INIT;
    daoc__buf_printf(&new_name, "%s_new", table);
    if (new_name.failed)
        b->failed = true;
    else
        daoc__sql_ident(b, new_name.data);
    daoc__buf_free(&new_name);
    daoc__buf_puts(b, " with ");
}

void daoc__cat_fix_column_type(daoc__buf *b, const daoc__catalog_dialect *d, const char *table,
                               const char *col, const char *type)
{
    if (!d->alter_constraints) {
        rebuild(b, table);
        daoc__sql_ident(b, col);
        daoc__buf_printf(b, " %s, copy the rows, drop ", type);
        daoc__sql_ident(b, table);
        daoc__buf_puts(b, " and rename the new one");
        return;
    }
    daoc__buf_puts(b, "ALTER TABLE ");
    daoc__sql_ident(b, table);
    daoc__buf_puts(b, " ALTER COLUMN ");
    daoc__sql_ident(b, col);
    daoc__buf_printf(b, " TYPE %s USING ", type);
    daoc__sql_ident(b, col);
    daoc__buf_printf(b, "::%s;", type);
}

void daoc__cat_fix_fk(daoc__buf *b, const daoc__catalog_dialect *d, const char *table,
                      const char *old, const char *const *cols, const char *ref_table,
                      const char *const *ref_cols, size_t n, const char *on_delete)
{
    if (!d->alter_constraints) {
        rebuild(b, table);
        daoc__buf_puts(b, "FOREIGN KEY ");
    } else {
        char name[64];
        if (!old) {
            char cj[256];
            joined(cj, sizeof cj, cols, 1);
            d->name(name, table, cj, "fkey");
        }
        daoc__buf_puts(b, "ALTER TABLE ");
        daoc__sql_ident(b, table);
        if (old) {
            daoc__buf_puts(b, " DROP CONSTRAINT ");
            daoc__sql_ident(b, old);
            daoc__buf_putc(b, ',');
        }
        daoc__buf_puts(b, " ADD CONSTRAINT ");
        daoc__sql_ident(b, old ? old : name);
        daoc__buf_puts(b, " FOREIGN KEY ");
    }
    col_list(b, cols, n);
    daoc__buf_puts(b, " REFERENCES ");
    daoc__sql_ident(b, ref_table);
    daoc__buf_putc(b, ' ');
    col_list(b, ref_cols, n);
    daoc__buf_printf(b, " ON DELETE %s", on_delete);
    if (!d->alter_constraints) {
        daoc__buf_puts(b, ", copy the rows, drop ");
        daoc__sql_ident(b, table);
        daoc__buf_puts(b, " and rename the new one");
    } else {
        daoc__buf_putc(b, ';');
    }
}

void daoc__cat_fix_table(daoc__buf *b, daoc__store *st, const daoc__schema *s)
{
    daoc__buf sql = DAOC__BUF_INIT;
    st->deploy->table_sql(s, &sql);
    if (sql.failed) {
        b->failed = true;
        daoc__buf_free(&sql);
        return;
    }
    bool blank = false;
    char prev = '\0';
    for (size_t i = 0; i < sql.len; i++) {
        char c = sql.data[i];
        if (c == '\n' || c == ' ' || c == '\t') {
            blank = true;
            continue;
        }
        if (blank && prev && prev != '(' && c != ')' && c != ',')
            daoc__buf_putc(b, ' ');
        blank = false;
        daoc__buf_putc(b, c);
        prev = c;
    }
    daoc__buf_free(&sql);
}
