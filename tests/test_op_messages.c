/*
 * test_op_messages.c — an op's message string (CheckNumerics', Print's) is a
 * fact of the node: it survives a GraphDef export -> import (TF's attr
 * "message") and nb_graph_freeze, also after the source graph is freed.
 */
#include "harness.h"

#include <math.h>

/* Runs y of g fed x = [1, NaN]; returns the run's status and copies its message. */
static nb_status run_nan(nb_graph *g, const char *xname, const char *yname, char *msg, size_t n) {
    nb_output x = nb_graph_find_output(g, xname), y = nb_graph_find_output(g, yname);
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){2}, (float[]){1.0f, NAN});
    nb_feed f = {x, xv};
    nb_session *s = nb_session_new(g);
    nb_status st = nb_session_run(s, &f, 1, &y, 1, NULL);
    snprintf(msg, n, "%s", nb_session_errmsg(s));
    nb_session_free(s);
    nb_tensor_unref(xv);
    return st;
}

static nb_graph *check_numerics_graph(void) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), "x");
    nb_check_numerics(g, x, "the logits went bad", "y");
    return g;
}

/* TF's CheckNumerics has attr message: an export without it loses the text
 * (and TF refuses the node: the attr has no default). */
TEST(check_numerics_message_survives_graphdef_round_trip) {
    nb_graph *g = check_numerics_graph();
    CHECK_GRAPH_OK(g);
    void *bytes = NULL;
    size_t len = 0;
    CHECK_STATUS(nb_graph_to_graphdef(g, &bytes, &len), NB_OK);
    /* the attr is in the bytes: key "message", value s "the logits went bad" */
    bool found = false;
    for (size_t i = 0; bytes && i + 7 <= len && !found; i++)
        found = !memcmp((char *)bytes + i, "message", 7);
    CHECK(found);
    nb_graph *g2 = nb_graph_new();
    nb_error err;
    CHECK_STATUS(nb_graph_import_graphdef(g2, bytes, len, "imp", &err), NB_OK);
    free(bytes);
    char msg[1024];
    CHECK_STATUS(run_nan(g2, "imp/x", "imp/y", msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "the logits went bad : Tensor had NaN values");
    nb_graph_free(g2);
    nb_graph_free(g);
}

/* nb_graph_freeze copies the node; the message belonged to the source graph,
 * so a frozen graph that outlives its source must hold its own copy. */
TEST(frozen_graph_keeps_messages_after_the_source_is_freed) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2), "x");
    nb_output w = nb_variable(g, nb_constant_array(g, NB_FLOAT32, 1, (int64_t[]){2},
                                                   (float[]){2.0f, 3.0f}, NULL), "w");
    nb_output p = nb_multiply(g, x, w, "p");
    nb_output y = nb_check_numerics(g, p, "product is not finite", "y");
    nb_output z = nb_print(g, y, &y, 1, "printed: ", 0, 3, "z");
    CHECK_GRAPH_OK(g);
    nb_session *s = nb_session_new(g);
    nb_output init = nb_global_variables_initializer(g);
    CHECK_STATUS(nb_session_run(s, NULL, 0, &init, 1, NULL), NB_OK);
    nb_graph *fz = NULL;
    nb_error err;
    CHECK_STATUS(nb_graph_freeze(s, &z, 1, &fz, &err), NB_OK);
    nb_session_free(s);
    nb_graph_free(g); /* the frozen graph lives on alone */
    if (!fz) return;
    /* Run it: 1 * 2 is finite, NaN * 3 is not; the message is the one given. */
    char msg[1024];
    CHECK_STATUS(run_nan(fz, "x", "y", msg, sizeof msg), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(msg, "product is not finite : Tensor had NaN values");
    /* Export it: both messages are written from the frozen graph's copies. */
    void *bytes = NULL;
    size_t len = 0;
    CHECK_STATUS(nb_graph_to_graphdef(fz, &bytes, &len), NB_OK);
    bool a = false, b = false;
    for (size_t i = 0; bytes && i + 21 <= len; i++) {
        a |= !memcmp((char *)bytes + i, "product is not finite", 21);
        b |= !memcmp((char *)bytes + i, "printed: ", 9);
    }
    CHECK(a && b);
    free(bytes);
    nb_graph_free(fz);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
