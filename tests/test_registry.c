/*
 * test_registry.c — the op registry is complete and consistent: every entry of
 * ops.def has a definition whose type string matches, an inference function or
 * the default, a kernel, and either a gradient or the no-gradient flag.
 */
#include "harness.h"
#include "ops/ops_impl.h"

TEST(every_op_is_defined_and_named_as_in_ops_def) {
    for (int t = 0; t < NBI_OP_COUNT; t++) {
        const nbi_opdef *d = nbi_registry[t];
        checks_++;
        if (!d) {
            FAILF("op %s (ops.def) has no definition", nbi_registry_names[t]);
            continue;
        }
        checks_++;
        if (strcmp(d->type, nbi_registry_names[t]))
            FAILF("entry %d: ops.def says %s, the definition says %s", t, nbi_registry_names[t], d->type);
        checks_++;
        if (!d->kernel) FAILF("op %s has no kernel", d->type);
        checks_++;
        if (!d->grad && !(d->flags & NBI_NO_GRAD))
            FAILF("op %s has neither a gradient builder nor NBI_NO_GRAD", d->type);
    }
}

TEST(type_names_are_unique) {
    for (int a = 0; a < NBI_OP_COUNT; a++)
        for (int b = a + 1; b < NBI_OP_COUNT; b++) {
            checks_++;
            if (!strcmp(nbi_registry_names[a], nbi_registry_names[b]))
                FAILF("op type %s listed twice", nbi_registry_names[a]);
        }
}

TEST(status_strings) {
    for (int s = 0; s < NB_STATUS_COUNT; s++) CHECK(nb_status_string((nb_status)s)[0] != 0);
    CHECK(!strcmp(nb_status_string(NB_OK), "OK"));
    CHECK(!strcmp(nb_status_string((nb_status)999), "unknown status"));
    CHECK(!strcmp(nb_version(), "0.1.0"));
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
