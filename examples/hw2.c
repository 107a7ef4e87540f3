/*
 * hw2.c — the course's HW2 graph:
 *
 *   with tf.name_scope("Input_placeholder"):
 *       a = tf.placeholder(tf.float32, None, name="a")
 *   with tf.name_scope("Middle_section"):
 *       b = tf.reduce_prod(a, name="prod_b")
 *       c = tf.reduce_mean(a)
 *       d = tf.reduce_sum(a, name="sum_a")
 *       e = tf.add(b, c, name="add_d")
 *   with tf.name_scope("Final_node"):
 *       f = tf.multiply(e, d, name="final_multiply_node")
 *
 * fed with A, 100 numbers drawn from normal(mean 1, stddev 2) with a fixed seed.
 * Prints f, and checks it against the same formula computed directly in double
 * precision (exit status 1 when they disagree). Like the course's program it
 * also plots: with ys = randn(100) * A, figures/hw2_scatter.png is the scatter
 * of A against ys, figures/hw2_input.png both arrays as lines.
 *
 * Usage: hw2 [--seed N] [--smoke] [--figures DIR]
 */
#include <nabla.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The course's plotting section:
 *   ys = np.random.randn(len(xs)) * xs
 *   plt.figure(1); plt.scatter(xs, ys)
 *   plt.figure(2); plt.plot(xs), plt.plot(ys)
 * A failed figure is reported on stderr; it does not change the exit status. */
static void plot_figures(const nb_tensor *xs, uint64_t seed, const char *dir) {
    int64_t n = nb_tensor_size(xs);
    nb_tensor *ys = nb_tensor_random_normal(NB_FLOAT32, 1, &n, 0.0, 1.0, seed + 1);
    for (int64_t i = 0; ys && i < n; i++)
        nb_tensor_set_flat(ys, i, nb_tensor_get_flat(ys, i) * nb_tensor_get_flat(xs, i));
    char path[2][512];
    snprintf(path[0], sizeof path[0], "%s/hw2_scatter.png", dir);
    snprintf(path[1], sizeof path[1], "%s/hw2_input.png", dir);
    nb_figure *f1 = nb_figure_new(800, 600), *f2 = nb_figure_new(800, 600);
    nb_figure_title(f1, "Figure 1: ys = randn * xs against xs");
    nb_figure_xlabel(f1, "xs");
    nb_figure_ylabel(f1, "ys");
    nb_figure_scatter(f1, xs, ys, NULL, NB_COLOR_AUTO, NB_MARKER_CIRCLE);
    nb_figure_title(f2, "Figure 2: the input array xs, and ys");
    nb_figure_xlabel(f2, "index");
    nb_figure_line(f2, NULL, xs, "xs", NB_COLOR_AUTO);
    nb_figure_line(f2, NULL, ys, "ys", NB_COLOR_AUTO);
    nb_error err;
    mkdir(dir, 0777); /* may exist already */
    if (nb_figure_save(f1, path[0], &err) != NB_OK) fprintf(stderr, "figure: %s\n", err.message);
    if (nb_figure_save(f2, path[1], &err) != NB_OK) fprintf(stderr, "figure: %s\n", err.message);
    nb_figure_free(f1);
    nb_figure_free(f2);
    nb_tensor_unref(ys);
}

int main(int argc, char **argv) {
    uint64_t seed = 7;
    const char *figures = "figures";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--figures") && i + 1 < argc) figures = argv[++i];
    }

    nb_graph *g = nb_graph_new();

    nb_name_scope_push(g, "Input_placeholder");
    nb_output a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "a");
    nb_name_scope_pop(g);

    nb_name_scope_push(g, "Middle_section");
    nb_output b = nb_reduce_prod(g, a, NULL, NB_ALL_AXES, false, "prod_b");
    nb_output c = nb_reduce_mean(g, a, NULL, NB_ALL_AXES, false, NULL);
    nb_output d = nb_reduce_sum(g, a, NULL, NB_ALL_AXES, false, "sum_a");
    nb_output e = nb_add(g, b, c, "add_d");
    nb_name_scope_pop(g);

    nb_name_scope_push(g, "Final_node");
    nb_output f = nb_multiply(g, e, d, "final_multiply_node");
    nb_name_scope_pop(g);

    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 1;
    }

    /* "Save your graph and show it in TensorBoard": logs/hw2 (or `nabla graph logs/hw2 -o hw2.svg`). */
    nb_error werr = {0};
    nb_summary_writer *w = nb_summary_writer_open("logs/hw2", g, &werr);
    if (!w) fprintf(stderr, "warning: no TensorBoard log: %s\n", werr.message);

    nb_tensor *A = nb_tensor_random_normal(NB_FLOAT32, 1, (int64_t[]){100}, 1.0, 2.0, seed);
    nb_session *s = nb_session_new(g);
    nb_tensor *out = NULL;
    if (nb_session_run(s, &(nb_feed){a, A}, 1, &f, 1, &out) != NB_OK) {
        fprintf(stderr, "run error: %s\n", nb_session_errmsg(s));
        return 1;
    }
    printf("graph: ");
    for (int i = 0; i < nb_graph_num_ops(g); i++)
        printf("%s%s", i ? ", " : "", nb_op_name(nb_graph_op(g, i)));
    printf("\nf = ");
    nb_tensor_print(stdout, out);

    /* The same arithmetic, directly. */
    const float *x = nb_tensor_data(A);
    double prod = 1, sum = 0;
    for (int i = 0; i < 100; i++) {
        prod *= x[i];
        sum += x[i];
    }
    double expect = (prod + sum / 100) * sum;
    double got = nb_tensor_scalar_f64(out);
    int ok = fabs(got - expect) <= 1e-4 * fabs(expect) + 1e-6;
    printf("direct computation: %.9g (%s)\n", expect, ok ? "agrees" : "DISAGREES");
    plot_figures(A, seed, figures);
    if (w) {
        nb_summary_writer_add_histogram(w, "Input_placeholder/a", 0, A);
        nb_summary_writer_add_scalar(w, "Final_node/f", 0, got);
        if (nb_summary_writer_close(w) == NB_OK) printf("graph written to logs/hw2 (tensorboard --logdir logs)\n");
    }

    nb_tensor_unref(out);
    nb_tensor_unref(A);
    nb_session_free(s);
    nb_graph_free(g);
    return ok ? 0 : 1;
}
