/*
 * hello.c — the course's "Hello World", through a session:
 *
 *   hello = tf.constant("Hello, TensorFlow!")   # nabla has no string dtype, so
 *   a = tf.constant(2); b = tf.constant(3)      # the numbers say hello instead
 *   sess = tf.Session(); print(sess.run(a + b))
 */
#include <nabla.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    nb_graph *g = nb_graph_new();
    nb_output a = nb_constant_i32(g, 2, "a");
    nb_output b = nb_constant_i32(g, 3, "b");
    nb_output sum = nb_add(g, a, b, NULL);
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 1;
    }
    nb_session *s = nb_session_new(g);
    nb_tensor *out = nb_session_eval(s, sum, NULL, 0);
    if (!out) {
        fprintf(stderr, "run error: %s\n", nb_session_errmsg(s));
        return 1;
    }
    printf("Hello, nabla! %s + %s = ", nb_op_name(a.op), nb_op_name(b.op));
    nb_tensor_print(stdout, out);
    int ok = nb_tensor_scalar_f64(out) == 5.0;
    nb_tensor_unref(out);
    nb_session_free(s);
    nb_graph_free(g);
    return ok ? 0 : 1;
}
