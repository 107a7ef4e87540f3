/*
 * test_threads.c — nb_session_run on one session from 4 threads at once gives
 * the same results as serial runs (TensorFlow's guarantee): inference plans
 * (same fetches, different feeds per thread) and training steps (the final
 * weights after 4 x K gradient steps on the same batch, whose updates commute
 * only in order: so we compare the set of losses seen, and the weights against
 * a serial run of the same number of steps). Built with -DNABLA_TSAN=ON this
 * also runs under ThreadSanitizer.
 */
#include "harness.h"

#include <pthread.h>

#define NT 4
#define K 25

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif

typedef struct {
    nb_graph *g;
    nb_output x, y, pred, loss, train, init;
} model;

static void build(model *m) {
    nb_graph *g = m->g = nb_graph_new();
    nb_graph_set_seed(g, 7);
    m->x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 8), "x");
    m->y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 1), "y");
    nb_output h = nb_layers_dense(g, m->x, 16, NB_ACT_RELU, "h");
    m->pred = nb_layers_dense(g, h, 1, NB_ACT_NONE, "out");
    m->loss = nb_losses_mean_squared_error(g, m->y, m->pred, "loss");
    m->train = nb_train_gradient_descent_minimize(g, 0.01, m->loss);
    m->init = nb_global_variables_initializer(g);
}

typedef struct {
    nb_session *s;
    model *m;
    nb_tensor *x, *y;
    nb_tensor *pred[K];
    int failures;
} job;

static void *infer(void *arg) {
    job *j = arg;
    nb_feed f = {j->m->x, j->x};
    for (int i = 0; i < K; i++)
        if (nb_session_run(j->s, &f, 1, &j->m->pred, 1, &j->pred[i]) != NB_OK) j->failures++;
    return NULL;
}

static void *train(void *arg) {
    job *j = arg;
    nb_feed f[2] = {{j->m->x, j->x}, {j->m->y, j->y}};
    for (int i = 0; i < K; i++)
        if (nb_session_run(j->s, f, 2, &j->m->train, 1, NULL) != NB_OK) j->failures++;
    return NULL;
}

static nb_tensor *batch(int rows, int cols, uint64_t seed) {
    return nb_tensor_random_uniform(NB_FLOAT32, 2, (int64_t[]){rows, cols}, -1, 1, seed);
}

TEST(concurrent_inference_matches_serial) {
    model m;
    build(&m);
    CHECK(nb_graph_status(m.g) == NB_OK);
    nb_session *s = nb_session_new(m.g);
    CHECK(nb_session_run(s, NULL, 0, &m.init, 1, NULL) == NB_OK);
    job jobs[NT];
    nb_tensor *serial[NT];
    for (int t = 0; t < NT; t++) {
        jobs[t] = (job){.s = s, .m = &m, .x = batch(64 + 8 * t, 8, (uint64_t)t + 1)};
        nb_feed f = {m.x, jobs[t].x};
        CHECK(nb_session_run(s, &f, 1, &m.pred, 1, &serial[t]) == NB_OK);
    }
    pthread_t th[NT];
    for (int t = 0; t < NT; t++) pthread_create(&th[t], NULL, infer, &jobs[t]);
    for (int t = 0; t < NT; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < NT; t++) {
        CHECK(jobs[t].failures == 0);
        for (int i = 0; i < K; i++) {
            CHECK(jobs[t].pred[i] && nb_tensor_equal(jobs[t].pred[i], serial[t]));
            nb_tensor_unref(jobs[t].pred[i]);
        }
        nb_tensor_unref(serial[t]);
        nb_tensor_unref(jobs[t].x);
    }
    nb_session_free(s);
    nb_graph_free(m.g);
}

/* Every thread trains on the same batch, so the 4*K steps are the same update
 * function applied 4*K times, whatever the interleaving: the weights must equal
 * those of 4*K serial steps exactly. */
TEST(concurrent_training_matches_serial) {
    model m;
    build(&m);
    nb_tensor *x = batch(32, 8, 11), *y = batch(32, 1, 12);
    nb_feed f[2] = {{m.x, x}, {m.y, y}};

    nb_session *ser = nb_session_new(m.g);
    CHECK(nb_session_run(ser, NULL, 0, &m.init, 1, NULL) == NB_OK);
    for (int i = 0; i < NT * K; i++) CHECK(nb_session_run(ser, f, 2, &m.train, 1, NULL) == NB_OK);
    nb_tensor *want = NULL;
    CHECK(nb_session_run(ser, f, 2, &m.loss, 1, &want) == NB_OK);

    nb_session *s = nb_session_new(m.g);
    CHECK(nb_session_run(s, NULL, 0, &m.init, 1, NULL) == NB_OK);
    job jobs[NT];
    pthread_t th[NT];
    for (int t = 0; t < NT; t++) jobs[t] = (job){.s = s, .m = &m, .x = x, .y = y};
    for (int t = 0; t < NT; t++) pthread_create(&th[t], NULL, train, &jobs[t]);
    for (int t = 0; t < NT; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < NT; t++) CHECK(jobs[t].failures == 0);
    nb_tensor *got = NULL;
    CHECK(nb_session_run(s, f, 2, &m.loss, 1, &got) == NB_OK);
    CHECK(got && want && nb_tensor_equal(got, want));
    for (int i = 0; i < nb_graph_num_variables(m.g); i++) {
        nb_tensor *a = nb_session_variable_value(ser, nb_graph_variable(m.g, i));
        nb_tensor *b = nb_session_variable_value(s, nb_graph_variable(m.g, i));
        CHECK(a && b && nb_tensor_equal(a, b));
        nb_tensor_unref(a);
        nb_tensor_unref(b);
    }
    nb_tensor_unref(want);
    nb_tensor_unref(got);
    nb_tensor_unref(x);
    nb_tensor_unref(y);
    nb_session_free(ser);
    nb_session_free(s);
    nb_graph_free(m.g);
}

int main(int argc, char **argv) {
#ifdef UNDER_TSAN
    /* libgomp (the kernels' and OpenBLAS's OpenMP) is not instrumented: TSan would
     * report its internal synchronization. One thread per kernel keeps OpenMP out. */
    nb_set_num_threads(1);
#endif
    return run_tests(argc, argv);
}
