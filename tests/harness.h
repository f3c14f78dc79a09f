/*
 * harness.h -- the unit-test harness: TEST() registers a case, ASSERT_*
 * print both sides on failure, main() runs every case (or those named on the
 * command line) and ends with "RESULT passed=N failed=M" for
 * scripts/run-tests.sh.
 */
#ifndef DAOC_TEST_HARNESS_H
#define DAOC_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*t_fn)(void);
struct t_case {
    const char *name;
    t_fn fn;
};
static struct t_case t_cases[1024];
static int t_ncases;
static int t_failed_now;
static const char *t_current;

#define TEST(tname)                                                                                \
    static void test_##tname(void);                                                                \
    __attribute__((constructor)) static void reg_##tname(void)                                     \
    {                                                                                              \
        t_cases[t_ncases].name = #tname;                                                           \
        t_cases[t_ncases++].fn = test_##tname;                                                     \
    }                                                                                              \
    static void test_##tname(void)

#define T_FAIL_AT(...)                                                                             \
    do {                                                                                           \
        fprintf(stderr, "  %s:%d: in %s: ", __FILE__, __LINE__, t_current);                        \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        t_failed_now = 1;                                                                          \
    } while (0)

#define ASSERT_TRUE(c)                                                                             \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            T_FAIL_AT("expected true: %s", #c);                                                    \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_INT(a, b)                                                                           \
    do {                                                                                           \
        long long t_a = (long long)(a), t_b = (long long)(b);                                      \
        if (t_a != t_b) {                                                                          \
            T_FAIL_AT("%s == %s: got %lld, expected %lld", #a, #b, t_a, t_b);                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_STR(a, b)                                                                           \
    do {                                                                                           \
        const char *t_a = (a), *t_b = (b);                                                         \
        if (!t_a || !t_b || strcmp(t_a, t_b) != 0) {                                               \
            T_FAIL_AT("%s == %s:\n      got      \"%s\"\n      expected \"%s\"", #a, #b,           \
                      t_a ? t_a : "(null)", t_b ? t_b : "(null)");                                 \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_NULL(p)                                                                             \
    do {                                                                                           \
        if ((p) != NULL) {                                                                         \
            T_FAIL_AT("expected NULL: %s", #p);                                                    \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_NOT_NULL(p)                                                                         \
    do {                                                                                           \
        if ((p) == NULL) {                                                                         \
            T_FAIL_AT("expected non-NULL: %s", #p);                                                \
            return;                                                                                \
        }                                                                                          \
    } while (0)

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (int i = 0; i < t_ncases; i++) {
        if (argc > 1) {
            int want = 0;
            for (int j = 1; j < argc; j++)
                want = want || strcmp(argv[j], t_cases[i].name) == 0;
            if (!want)
                continue;
        }
        t_current = t_cases[i].name;
        t_failed_now = 0;
        t_cases[i].fn();
        if (t_failed_now) {
            failed++;
            printf("FAIL %s\n", t_cases[i].name);
        } else {
            passed++;
            printf("ok   %s\n", t_cases[i].name);
        }
        fflush(stdout);
    }
    printf("RESULT passed=%d failed=%d\n", passed, failed);
    /* LeakSanitizer exits with _exit() when it finds leaks: flush first so
     * the counts are never lost with the buffer. */
    fflush(stdout);
    return failed ? 1 : 0;
}

#endif
