/*
 * softmax_classification.c — the course's softmax classification, on iris:
 * three classes, four features, one neuron per class.
 *
 *   logits = X W + b                       (W: 4x3, b: 3)
 *   loss   = mean(-sum(onehot(Y) * log_softmax(logits), axis 1))
 *   GradientDescent(0.05), full batch
 *
 * log_softmax is written out stably: z - max(z) - log(sum(exp(z - max(z)))).
 * The data (examples/data/iris.csv) are split by a seeded, stratified holdout:
 * one third of each class for testing. Prints the loss as it trains and the
 * test accuracy; with --smoke (the tests) it requires at least 0.93. The graph
 * and the loss and accuracy curves go to logs/softmax_classification for
 * TensorBoard (`nabla events logs`, `nabla graph logs/softmax_classification -o g.svg`).
 *
 * Usage: softmax_classification [--data FILE] [--seed N] [--smoke]
 */
#include <nabla.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fisher-Yates with a small LCG: reproducible for a seed. */
static void shuffle(int *idx, int n, uint64_t *state) {
    for (int i = n - 1; i > 0; i--) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        int j = (int)((*state >> 33) % (uint64_t)(i + 1));
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

int main(int argc, char **argv) {
    const char *data = "data/iris.csv";
    uint64_t seed = 3;
    int smoke = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--smoke")) smoke = 1;
    }
    nb_error err = {0};
    const char *fcols[4] = {"sepal_length", "sepal_width", "petal_length", "petal_width"};
    const char *lcol[1] = {"species"};
    nb_tensor *F = nb_csv_read(data, true, fcols, 4, NB_FLOAT32, &err);
    nb_tensor *L = F ? nb_csv_read(data, true, lcol, 1, NB_INT32, &err) : NULL;
    if (!F || !L) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    int n = (int)nb_tensor_dim(F, 0);

    /* Stratified holdout: a third of each class is held out. */
    int *idx = malloc(sizeof(int) * (size_t)n), n_train = 0, n_test = 0;
    int *train = malloc(sizeof(int) * (size_t)n), *test = malloc(sizeof(int) * (size_t)n);
    uint64_t state = seed;
    for (int c = 0; c < 3; c++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if ((int)nb_tensor_get_flat(L, i) == c) idx[m++] = i;
        shuffle(idx, m, &state);
        for (int i = 0; i < m; i++) {
            if (i < m / 3) test[n_test++] = idx[i];
            else train[n_train++] = idx[i];
        }
    }
    int64_t dtr[2] = {n_train, 4}, dte[2] = {n_test, 4};
    nb_tensor *Xtr = nb_tensor_zeros(NB_FLOAT32, 2, dtr), *Xte = nb_tensor_zeros(NB_FLOAT32, 2, dte);
    nb_tensor *Ytr = nb_tensor_zeros(NB_INT32, 1, dtr), *Yte = nb_tensor_zeros(NB_INT32, 1, dte);
    for (int i = 0; i < n_train; i++) {
        for (int j = 0; j < 4; j++) nb_tensor_set_flat(Xtr, i * 4 + j, nb_tensor_get_flat(F, train[i] * 4 + j));
        nb_tensor_set_flat(Ytr, i, nb_tensor_get_flat(L, train[i]));
    }
    for (int i = 0; i < n_test; i++) {
        for (int j = 0; j < 4; j++) nb_tensor_set_flat(Xte, i * 4 + j, nb_tensor_get_flat(F, test[i] * 4 + j));
        nb_tensor_set_flat(Yte, i, nb_tensor_get_flat(L, test[i]));
    }

    nb_graph *g = nb_graph_new();
    nb_output X = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 4), "X");
    nb_output Y = nb_placeholder(g, NB_INT32, NB_SHAPE(NB_DIM_UNKNOWN), "Y");
    nb_output W = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(4, 3), NULL), "weights");
    nb_output b = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(3), NULL), "bias");
    nb_output logits = nb_add(g, nb_matmul(g, X, W, false, false, NULL), b, NULL);

    nb_name_scope_push(g, "loss");
    nb_output zmax = nb_reduce_max(g, logits, (int[]){1}, 1, true, NULL);
    nb_output z = nb_subtract(g, logits, zmax, NULL);
    nb_output lse = nb_log(g, nb_reduce_sum(g, nb_exp(g, z, NULL), (int[]){1}, 1, true, NULL), NULL);
    nb_output log_softmax = nb_subtract(g, z, lse, NULL);
    nb_output onehot = nb_one_hot(g, Y, 3, 1.0, 0.0, NB_FLOAT32, NULL);
    nb_output xent = nb_negative(g, nb_reduce_sum(g, nb_multiply(g, onehot, log_softmax, NULL), (int[]){1}, 1, false, NULL), NULL);
    nb_output loss = nb_reduce_mean(g, xent, NULL, NB_ALL_AXES, false, NULL);
    nb_name_scope_pop(g);

    nb_output train_op = nb_optimizer_minimize(nb_train_gradient_descent(g, 0.05), loss, NULL, 0, nb_nil);
    nb_name_scope_push(g, "accuracy");
    nb_output correct = nb_equal(g, nb_argmax(g, logits, 1, NULL), nb_cast(g, Y, NB_INT64, NULL), NULL);
    nb_output accuracy = nb_reduce_mean(g, nb_cast(g, correct, NB_FLOAT32, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_name_scope_pop(g);
    nb_output init = nb_global_variables_initializer(g);
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 1;
    }

    nb_error werr = {0};
    nb_summary_writer *w = nb_summary_writer_open("logs/softmax_classification", g, &werr);
    if (!w) fprintf(stderr, "warning: no TensorBoard log: %s\n", werr.message);
    nb_session *s = nb_session_new(g);
    nb_feed ftr[2] = {{X, Xtr}, {Y, Ytr}}, fte[2] = {{X, Xte}, {Y, Yte}};
    if (nb_session_run(s, NULL, 0, &init, 1, NULL) != NB_OK) goto run_error;
    double first = 0, last = 0;
    for (int epoch = 0; epoch < 3000; epoch++) {
        nb_tensor *out[2];
        if (nb_session_run(s, ftr, 2, (nb_output[]){loss, train_op}, 2, out) != NB_OK) goto run_error;
        last = nb_tensor_scalar_f64(out[0]);
        if (epoch == 0) first = last;
        if (epoch % 500 == 0) printf("epoch %4d  loss %.6f\n", epoch, last);
        if (w && epoch % 10 == 0) nb_summary_writer_add_scalar(w, "loss", epoch, last);
        nb_tensor_unref(out[0]);
    }
    nb_tensor *atr = nb_session_eval(s, accuracy, ftr, 2), *ate = nb_session_eval(s, accuracy, fte, 2);
    if (!atr || !ate) goto run_error;
    double acc = nb_tensor_scalar_f64(ate);
    if (w) {
        nb_summary_writer_add_scalar(w, "accuracy/train", 3000, nb_tensor_scalar_f64(atr));
        nb_summary_writer_add_scalar(w, "accuracy/test", 3000, acc);
        nb_summary_writer_close(w);
    }
    printf("final loss %.6f; accuracy: train %.4f (%d rows), test %.4f (%d rows)\n", last,
           nb_tensor_scalar_f64(atr), n_train, acc, n_test);
    int ok = !smoke || (acc >= 0.93 && fabs(first - log(3.0)) < 1e-5 && last < first);
    if (smoke) printf("smoke check: %s\n", ok ? "passed" : "FAILED");
    nb_tensor_unref(atr);
    nb_tensor_unref(ate);
    nb_tensor_unref(Xtr);
    nb_tensor_unref(Xte);
    nb_tensor_unref(Ytr);
    nb_tensor_unref(Yte);
    nb_tensor_unref(F);
    nb_tensor_unref(L);
    free(idx);
    free(train);
    free(test);
    nb_session_free(s);
    nb_graph_free(g);
    return ok ? 0 : 1;
run_error:
    fprintf(stderr, "run error: %s\n", nb_session_errmsg(s));
    return 1;
}
