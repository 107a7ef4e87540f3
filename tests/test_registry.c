/*
 * test_registry.c — the op registry is complete and consistent: every entry of
 * ops.def has a definition with a TF type name (unique), a kernel, either a
 * gradient or the no-gradient flag, GraphDef attr rows, and flags that agree
 * with its attrs. (tests/test_op_cases.c: a forward case and a GraphDef round
 * trip for every entry.)
 */
#include "harness.h"
#include "nb_internal.h"
#include "graph/graphdef_attrs.h"

static bool has_kind(const nbi_attr_row *rows, nbi_attr_kind kind) {
    for (; rows->name; rows++)
        if (rows->kind == kind) return true;
    return false;
}

TEST(every_op_is_one_complete_entry) {
    for (int t = 0; t < NBI_OP_COUNT; t++) {
        const nbi_opdef *d = nbi_registry[t];
        checks_++;
        if (!d || !d->type || !d->type[0]) {
            FAILF("entry %d of ops.def has no definition or no TF type name", t);
            continue;
        }
        checks_++;
        if (!d->kernel) FAILF("op %s has no kernel", d->type);
        checks_++;
        if (!d->grad && !(d->flags & NBI_NO_GRAD))
            FAILF("op %s has neither a gradient builder nor NBI_NO_GRAD", d->type);
        /* No silent default: an op whose only GraphDef attr is T says so (NBI_ATTRS_T). */
        checks_++;
        if (!d->attrs) {
            FAILF("op %s has no GraphDef attr rows (.attrs)", d->type);
            continue;
        }
        for (const nbi_attr_row *r = d->attrs; r->name; r++) {
            checks_++;
            if (r->kind == NBI_A_END || !r->name[0]) FAILF("op %s: attr row with no kind or name", d->type);
            for (const nbi_attr_row *q = d->attrs; q < r; q++)
                if (!strcmp(q->name, r->name)) FAILF("op %s lists attr %s twice", d->type, r->name);
        }
        /* Flags agree with the attrs they describe. */
        checks_++;
        if (!!(d->flags & NBI_SEEDED) != has_kind(d->attrs, NBI_A_SEED))
            FAILF("op %s: NBI_SEEDED and a seed attr go together", d->type);
        checks_++;
        if ((d->flags & NBI_TAG_IN0) && !(d->flags & NBI_SUMMARY))
            FAILF("op %s: a tag input (NBI_TAG_IN0) belongs to a summary op", d->type);
        checks_++;
        if ((d->flags & (NBI_REF_IN0 | NBI_REF_IN1 | NBI_REF_IN2 | NBI_VARIABLE)) && !(d->flags & NBI_STATEFUL))
            FAILF("op %s updates or holds a variable but is not NBI_STATEFUL", d->type);
    }
}

TEST(type_names_are_unique) {
    for (int a = 0; a < NBI_OP_COUNT; a++)
        for (int b = a + 1; b < NBI_OP_COUNT; b++) {
            checks_++;
            const char *old_a = nbi_registry[a]->old_type, *old_b = nbi_registry[b]->old_type;
            const char *bt = nbi_registry[b]->type;
            if (!strcmp(nbi_registry[a]->type, bt) || (old_a && !strcmp(old_a, bt)) ||
                (old_b && !strcmp(old_b, nbi_registry[a]->type)) || (old_a && old_b && !strcmp(old_a, old_b)))
                FAILF("op type %s or its old name listed twice", nbi_registry[a]->type);
        }
}

TEST(status_strings) {
    for (int s = 0; s < NB_STATUS_COUNT; s++) CHECK(nb_status_string((nb_status)s)[0] != 0);
    CHECK(!strcmp(nb_status_string(NB_OK), "OK"));
    CHECK(!strcmp(nb_status_string((nb_status)999), "unknown status"));
    CHECK(!strcmp(nb_version(), "0.1.0"));
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
