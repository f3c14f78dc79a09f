/*
 * test_validate_helpers.h -- shared fixtures of the validation-engine tests
 * (test_validate.c, test_entity_checks.c, test_auto_fields.c): compile a
 * schema from JSON text, run validate / process_auto_fields and render the
 * result as JSON so that whole error trees are compared at once.
 */
#ifndef DAOC_TEST_VALIDATE_HELPERS_H
#define DAOC_TEST_VALIDATE_HELPERS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"
#include "errtext.h"
#include "harness.h"
#include "schema/schema.h"

/* Loaded schemas, so that `reference` can resolve earlier ones. */
static daoc__schema *tv_loaded[256];
static int tv_nloaded;

static __attribute__((unused)) const daoc__schema *tv_lookup(void *ud, const char *name)
{
    (void)ud;
    for (int i = 0; i < tv_nloaded; i++)
        if (tv_loaded[i]->name && strcmp(tv_loaded[i]->name, name) == 0)
            return tv_loaded[i];
    return NULL;
}

/* Frees every loaded schema at exit so LeakSanitizer stays quiet. */
static char *tv_last;
__attribute__((destructor)) static void tv_cleanup(void)
{
    for (int i = tv_nloaded - 1; i >= 0; i--)
        daoc__schema_free(tv_loaded[i]);
    tv_nloaded = 0;
    daoc_free(tv_last);
    tv_last = NULL;
}

static __attribute__((unused)) daoc_value *tv_json(const char *text)
{
    daoc_value *v = NULL;
    char err[200];
    if (t_json_decode(text, strlen(text), &v, err, sizeof err) != DAOC_OK) {
        fprintf(stderr, "  bad JSON in test: %s: %s\n", err, text);
        return NULL;
    }
    return v;
}

/* Compiles a definition given as a value tree; stays loaded for lookups. */
static __attribute__((unused)) daoc__schema *tv_compile_value(const daoc_value *def)
{
    daoc__schema *s = NULL;
    char *msg = NULL;
    if (daoc__schema_compile(def, tv_lookup, NULL, &s, &msg) != DAOC_OK) {
        fprintf(stderr, "  compile failed: %s\n", msg ? msg : "?");
        daoc__free(msg);
        return NULL;
    }
    if (tv_nloaded < 256)
        tv_loaded[tv_nloaded++] = s;
    return s;
}

/* A whole definition as JSON text. */
static __attribute__((unused)) daoc__schema *tv_schema_def(const char *json)
{
    daoc_value *def = tv_json(json);
    if (!def)
        return NULL;
    daoc__schema *s = tv_compile_value(def);
    daoc_value_free(def);
    return s;
}

/* An entity "t" with primary key `id` (integer) followed by `fields_json`
 * (the inside of a fields array, without brackets), and optional extra
 * top-level attributes (`,"entity_checks":[...]`). */
static __attribute__((unused)) daoc__schema *tv_schema2(const char *fields_json, const char *extra)
{
    char *text = daoc__asprintf("{\"name\":\"t\",\"primary_key\":[\"id\"],\"fields\":["
                                "{\"id\":{\"type\":\"integer\"}},%s]%s}",
                                fields_json, extra ? extra : "");
    daoc__schema *s = text ? tv_schema_def(text) : NULL;
    daoc__free(text);
    return s;
}

static __attribute__((unused)) daoc__schema *tv_schema(const char *fields_json)
{
    return tv_schema2(fields_json, NULL);
}

static __attribute__((unused)) char *tv_enc(const daoc_value *v)
{
    char *out = NULL;
    size_t len;
    if (!v)
        return daoc__strdup("ok");
    if (daoc_json_encode(v, &out, &len) != DAOC_OK)
        return NULL;
    return out;
}

/* Validates `input` (JSON) and returns "ok" or the error tree as JSON; the
 * result is kept in a static slot freed on the next call. */
static __attribute__((unused)) const char *tv_validate(const daoc__schema *s, const char *input,
                                                       bool full, bool update)
{
    daoc_free(tv_last);
    tv_last = NULL;
    if (!s)
        return "(no schema)";
    daoc_value *in = tv_json(input);
    if (!in)
        return "(bad input)";
    daoc_value *errs = NULL;
    int rc = daoc__schema_validate(s, in, full, update, &errs);
    daoc_value_free(in);
    if (rc != DAOC_OK)
        return "(status)";
    tv_last = tv_enc(errs);
    daoc_value_free(errs);
    return tv_last;
}

#define TV_INSERT(s, in) tv_validate((s), (in), true, false)
#define TV_UPDATE(s, in) tv_validate((s), (in), false, true)

/* One field's validation through daoc__schema_validate_field. */
static __attribute__((unused)) const char *tv_field(const daoc__schema *s, const char *fname,
                                                    const char *value)
{
    daoc_free(tv_last);
    tv_last = NULL;
    if (!s)
        return "(no schema)";
    const daoc__field *f = daoc__schema_field(s, fname, strlen(fname));
    daoc_value *v = tv_json(value);
    if (!f || !v) {
        daoc_value_free(v);
        return "(bad field)";
    }
    daoc_value *err = NULL;
    int rc = daoc__schema_validate_field(f, v, &err);
    daoc_value_free(v);
    if (rc != DAOC_OK)
        return "(status)";
    tv_last = tv_enc(err);
    daoc_value_free(err);
    return tv_last;
}

/* process_auto_fields on JSON input; returns the processed entity as JSON. */
static __attribute__((unused)) const char *tv_auto(const daoc__schema *s, const char *input,
                                                   daoc__ctx ctx, bool nulls, double now)
{
    daoc_free(tv_last);
    tv_last = NULL;
    if (!s)
        return "(no schema)";
    daoc_value *in = tv_json(input);
    if (!in)
        return "(bad input)";
    int rc = daoc__schema_process_auto_fields(s, in, ctx, nulls, now);
    if (rc != DAOC_OK) {
        daoc_value_free(in);
        return "(status)";
    }
    tv_last = tv_enc(in);
    daoc_value_free(in);
    return tv_last;
}

/* A callable for custom validators / entity checks built from a C function
 * that returns 1 (ok), 0 (fail; *msg optional) or a negative status. */
typedef int (*tv_impl)(const daoc_value *arg, char **msg);
static __attribute__((unused)) void tv_release(daoc__callable *c)
{
    daoc__free(c);
}
static __attribute__((unused)) int tv_call(daoc__callable *self, const daoc_value *const *args,
                                           size_t nargs, daoc_value **ret, char **msg)
{
    if (ret)
        *ret = NULL;
    *msg = NULL;
    return ((tv_impl)(uintptr_t)self->ud)(nargs ? args[0] : NULL, msg);
}
static __attribute__((unused)) daoc_value *tv_func(tv_impl impl)
{
    daoc__callable *c = daoc__calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->refs = 1;
    c->call = tv_call;
    c->release = tv_release;
    c->ud = (void *)(uintptr_t)impl;
    return daoc__func(c);
}

#endif
