/*
 * harness.h — the tests' tiny framework: TEST(name) functions registered in a
 * table, CHECK macros that report file:line and keep going, a name filter
 * (argv[1] substring), and a nonzero exit on any failure.
 *
 *   TEST(add_broadcasts) { ... CHECK(x == 3); CHECK_NEAR(a, b, 1e-6); }
 *   int main(int argc, char **argv) { return run_tests(argc, argv); }
 */
#ifndef NB_HARNESS_H
#define NB_HARNESS_H

#include "nabla.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
static struct { const char *name; test_fn fn; } tests_[512];
static int n_tests_;
static int failures_;
static int checks_;
static const char *current_;

#define TEST(tname)                                                             \
    static void test_##tname(void);                                             \
    __attribute__((constructor)) static void reg_##tname(void) {                \
        tests_[n_tests_].name = #tname;                                         \
        tests_[n_tests_++].fn = test_##tname;                                   \
    }                                                                           \
    static void test_##tname(void)

#define FAILF(...)                                                              \
    do {                                                                        \
        failures_++;                                                            \
        fprintf(stderr, "FAIL %s (%s:%d): ", current_, __FILE__, __LINE__);     \
        fprintf(stderr, __VA_ARGS__);                                           \
        fprintf(stderr, "\n");                                                  \
    } while (0)

#define CHECK(cond)                                                             \
    do {                                                                        \
        checks_++;                                                              \
        if (!(cond)) FAILF("%s", #cond);                                        \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                   \
    do {                                                                        \
        checks_++;                                                              \
        double a_ = (double)(a), b_ = (double)(b);                              \
        if (!(fabs(a_ - b_) <= (tol) * (1.0 + fabs(b_))))                       \
            FAILF("%s = %.9g, expected %s = %.9g (tol %g)", #a, a_, #b, b_,      \
                  (double)(tol));                                               \
    } while (0)

#define CHECK_STATUS(expr, code)                                                \
    do {                                                                        \
        checks_++;                                                              \
        nb_status s_ = (expr);                                                  \
        if (s_ != (code))                                                       \
            FAILF("%s returned %s, expected %s", #expr, nb_status_string(s_),   \
                  nb_status_string(code));                                      \
    } while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                         \
    do {                                                                        \
        checks_++;                                                              \
        const char *h_ = (hay);                                                 \
        if (!h_ || !strstr(h_, (needle)))                                       \
            FAILF("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", needle); \
    } while (0)

#define CHECK_GRAPH_OK(g)                                                       \
    do {                                                                        \
        checks_++;                                                              \
        if (nb_graph_status(g) != NB_OK) FAILF("graph error: %s", nb_graph_errmsg(g)); \
    } while (0)

static inline int run_tests(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    int ran = 0;
    for (int i = 0; i < n_tests_; i++) {
        if (filter && !strstr(tests_[i].name, filter)) continue;
        current_ = tests_[i].name;
        int before = failures_;
        tests_[i].fn();
        ran++;
        printf("%s %s\n", failures_ == before ? "ok  " : "FAIL", tests_[i].name);
    }
    printf("%d tests, %d checks, %d failures\n", ran, checks_, failures_);
    if (ran == 0) {
        fprintf(stderr, "no test matched\n");
        return 1;
    }
    return failures_ ? 1 : 0;
}

/* Runs one fetch and returns the tensor (new reference) or NULL, reporting errors. */
static inline nb_tensor *eval1(nb_graph *g, nb_output x, const nb_feed *feeds, int n) {
    nb_session *s = nb_session_new(g);
    nb_tensor *t = nb_session_eval(s, x, feeds, n);
    if (!t) fprintf(stderr, "  eval error: %s\n", nb_session_errmsg(s));
    nb_session_free(s);
    return t;
}

/* xorshift64: a number in [lo, hi] from *state (each test file keeps its own seed). */
static inline int64_t xorshift_rnd(uint64_t *state, int64_t lo, int64_t hi) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return lo + (int64_t)(*state % (uint64_t)(hi - lo + 1));
}

/* Exports g as a GraphDef, imports that into a new graph, exports the new graph and
 * checks both exports are the same bytes. Returns the new graph (caller frees). */
static inline nb_graph *graphdef_round_trip(nb_graph *g) {
    void *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_STATUS(nb_graph_to_graphdef(g, &a, &na), NB_OK);
    nb_graph *g2 = nb_graph_new();
    nb_error err;
    CHECK_STATUS(nb_graph_import_graphdef(g2, a, na, NULL, &err), NB_OK);
    CHECK_STATUS(nb_graph_to_graphdef(g2, &b, &nb), NB_OK);
    CHECK(na == nb && a && b && !memcmp(a, b, na));
    free(a);
    free(b);
    return g2;
}

#endif
