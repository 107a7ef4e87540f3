/*
 * test_threads.c — nb_session_run on one session from 4 threads at once gives
 * the same results as serial runs (TensorFlow's guarantee): inference plans
 * (same fetches, different feeds per thread) and training steps (the final
 * weights after 4 x K gradient steps on the same batch, whose updates commute
 * only in order: so we compare the set of losses seen, and the weights against
 * a serial run of the same number of steps). Issue 18's cases: sessions on one
 * graph created, run and freed from 8 threads (the graph's count of sessions),
 * the graph freed before its 8 sessions, fetched outputs dropped on partner
 * threads while the session keeps reusing its buffers and another thread sets
 * the process-wide settings, and a fetched view fed to a second session.
 * Built with -DNABLA_TSAN=ON this also runs under ThreadSanitizer (scripts/test.sh).
 */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

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


/*** Sessions on one graph from several threads (issue 18) ***/

#define NT8 8
#define ROUNDS 40

typedef struct {
    model *m;
    const nb_tensor *x;      /* shared by every thread (fed, never written) */
    const nb_tensor *want;   /* the prediction of a serial session */
    nb_tensor *shared;       /* one tensor every thread refs and drops */
    int rounds, failures;
} sess_job;

/* Each round: a new session on the shared graph, initialize, predict, compare,
 * free the session. The graph's count of sessions goes up and down from 8
 * threads at once: with a plain int some updates are lost and the graph is
 * freed under a live session (ASan: heap-use-after-free) or never (a leak). */
static void *session_rounds(void *arg) {
    sess_job *j = arg;
    for (int r = 0; r < j->rounds; r++) {
        nb_tensor *mine = nb_tensor_ref(j->shared);
        nb_session *s = nb_session_new(j->m->g);
        nb_tensor *pred = NULL;
        nb_feed f = {j->m->x, j->x};
        if (!s || nb_session_run(s, NULL, 0, &j->m->init, 1, NULL) != NB_OK ||
            nb_session_run(s, &f, 1, &j->m->pred, 1, &pred) != NB_OK ||
            !nb_tensor_equal(pred, j->want))
            j->failures++;
        nb_session_free(s);
        /* the fetched tensor outlives its session */
        if (!pred || !nb_tensor_equal(pred, j->want)) j->failures++;
        nb_tensor_unref(pred);
        nb_tensor_unref(mine);
        /* many short-lived sessions: the count changes often, so a race shows */
        for (int i = 0; i < 1000; i++) nb_session_free(nb_session_new(j->m->g));
    }
    return NULL;
}

TEST(sessions_on_one_graph_from_8_threads) {
    model m;
    build(&m);
    CHECK_GRAPH_OK(m.g);
    nb_tensor *x = batch(16, 8, 5);
    nb_session *ser = nb_session_new(m.g);
    nb_feed f = {m.x, x};
    nb_tensor *want = NULL;
    CHECK(nb_session_run(ser, NULL, 0, &m.init, 1, NULL) == NB_OK);
    CHECK(nb_session_run(ser, &f, 1, &m.pred, 1, &want) == NB_OK);
    nb_session_free(ser);
    nb_tensor *shared = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){1024}, NULL);
    sess_job jobs[NT8];
    pthread_t th[NT8];
    for (int t = 0; t < NT8; t++)
        jobs[t] = (sess_job){.m = &m, .x = x, .want = want, .shared = shared, .rounds = ROUNDS};
    for (int t = 0; t < NT8; t++) pthread_create(&th[t], NULL, session_rounds, &jobs[t]);
    for (int t = 0; t < NT8; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < NT8; t++) CHECK(jobs[t].failures == 0);
    nb_tensor_unref(shared);
    nb_tensor_unref(want);
    nb_tensor_unref(x);
    /* The last reference: with lost updates the graph is gone already (a double
     * free) or stays allocated (a leak LeakSanitizer reports at exit). */
    nb_graph_free(m.g);
}

/* The graph's handle is dropped while 8 threads still run sessions on it: the
 * last session to go frees it. */
typedef struct {
    nb_session *s;
    model *m;
    const nb_tensor *x, *want;
    int failures;
} late_job;

static void *run_then_free(void *arg) {
    late_job *j = arg;
    nb_feed f = {j->m->x, j->x};
    for (int r = 0; r < 10; r++) {
        nb_tensor *pred = NULL;
        if (nb_session_run(j->s, &f, 1, &j->m->pred, 1, &pred) != NB_OK ||
            !nb_tensor_equal(pred, j->want))
            j->failures++;
        nb_tensor_unref(pred);
    }
    nb_session_free(j->s);
    return NULL;
}

TEST(graph_freed_before_its_sessions) {
    model m;
    build(&m);
    nb_tensor *x = batch(4, 8, 9);
    nb_feed f = {m.x, x};
    late_job jobs[NT8];
    nb_tensor *want = NULL;
    for (int t = 0; t < NT8; t++) {
        jobs[t] = (late_job){.s = nb_session_new(m.g), .m = &m, .x = x};
        CHECK(nb_session_run(jobs[t].s, NULL, 0, &m.init, 1, NULL) == NB_OK);
    }
    CHECK(nb_session_run(jobs[0].s, &f, 1, &m.pred, 1, &want) == NB_OK);
    for (int t = 0; t < NT8; t++) jobs[t].want = want;
    nb_graph_free(m.g); /* the sessions keep it alive */
    pthread_t th[NT8];
    for (int t = 0; t < NT8; t++) pthread_create(&th[t], NULL, run_then_free, &jobs[t]);
    for (int t = 0; t < NT8; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < NT8; t++) CHECK(jobs[t].failures == 0);
    nb_tensor_unref(want);
    nb_tensor_unref(x);
}

/* One session, 8 threads: 4 run it and hand every fetched tensor to a partner
 * thread, which checks and drops it while the session keeps running (a pool
 * buffer is reused only once its count is back to 1: if the count or the pool
 * raced, a buffer would be overwritten while the partner still reads it). One
 * more thread keeps setting the process-wide thread count and Winograd switch. */
#define QCAP 8
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    nb_tensor *q[QCAP];
    int head, tail;
    bool done;
} queue;

typedef struct {
    nb_session *s;
    model *m;
    const nb_tensor *x, *want;
    queue q;
    int failures;
} pair_job;

static void *producer(void *arg) {
    pair_job *j = arg;
    nb_feed f = {j->m->x, j->x};
    for (int r = 0; r < 60; r++) {
        nb_tensor *pred = NULL;
        if (nb_session_run(j->s, &f, 1, &j->m->pred, 1, &pred) != NB_OK) j->failures++;
        pthread_mutex_lock(&j->q.mu);
        while (j->q.tail - j->q.head == QCAP) pthread_cond_wait(&j->q.cv, &j->q.mu);
        j->q.q[j->q.tail++ % QCAP] = pred;
        pthread_cond_broadcast(&j->q.cv);
        pthread_mutex_unlock(&j->q.mu);
    }
    pthread_mutex_lock(&j->q.mu);
    j->q.done = true;
    pthread_cond_broadcast(&j->q.cv);
    pthread_mutex_unlock(&j->q.mu);
    return NULL;
}

static void *consumer(void *arg) {
    pair_job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->q.mu);
        while (j->q.tail == j->q.head && !j->q.done) pthread_cond_wait(&j->q.cv, &j->q.mu);
        if (j->q.tail == j->q.head) {
            pthread_mutex_unlock(&j->q.mu);
            return NULL;
        }
        nb_tensor *t = j->q.q[j->q.head++ % QCAP];
        pthread_cond_broadcast(&j->q.cv);
        pthread_mutex_unlock(&j->q.mu);
        /* read it twice, a while apart: a reused buffer would change under us */
        bool ok = t && nb_tensor_equal(t, j->want);
        for (volatile int spin = 0; spin < 20000; spin++) {}
        ok = ok && nb_tensor_equal(t, j->want);
        /* the process-wide settings, read here while the toggler writes them */
        ok = ok && nb_get_num_threads() >= 1;
        (void)nb_get_winograd();
        if (!ok) j->failures++;
        nb_tensor_unref(t);
    }
}

static atomic_bool settings_stop;
static void *settings_toggler(void *arg) {
    (void)arg;
    int n = nb_get_num_threads();
    while (!atomic_load(&settings_stop)) {
        nb_set_num_threads(n);
        nb_set_winograd(nb_get_winograd());
        nanosleep(&(struct timespec){0, 100000}, NULL); /* 0.1 ms: set often, not constantly */
    }
    return NULL;
}

TEST(one_session_outputs_dropped_on_other_threads) {
    model m;
    build(&m);
    nb_session *s = nb_session_new(m.g);
    CHECK(nb_session_run(s, NULL, 0, &m.init, 1, NULL) == NB_OK);
    enum { NP = 4 };
    pair_job jobs[NP];
    for (int t = 0; t < NP; t++) {
        jobs[t] = (pair_job){.s = s, .m = &m, .x = batch(8 + 4 * t, 8, (uint64_t)t + 20)};
        pthread_mutex_init(&jobs[t].q.mu, NULL);
        pthread_cond_init(&jobs[t].q.cv, NULL);
        nb_tensor *w = NULL;
        nb_feed f = {m.x, jobs[t].x};
        CHECK(nb_session_run(s, &f, 1, &m.pred, 1, &w) == NB_OK);
        jobs[t].want = w;
    }
    atomic_store(&settings_stop, false);
    pthread_t th[2 * NP], tog;
    pthread_create(&tog, NULL, settings_toggler, NULL);
    for (int t = 0; t < NP; t++) {
        pthread_create(&th[2 * t], NULL, producer, &jobs[t]);
        pthread_create(&th[2 * t + 1], NULL, consumer, &jobs[t]);
    }
    for (int t = 0; t < 2 * NP; t++) pthread_join(th[t], NULL);
    atomic_store(&settings_stop, true);
    pthread_join(tog, NULL);
    for (int t = 0; t < NP; t++) {
        CHECK(jobs[t].failures == 0);
        union { const nb_tensor *c; nb_tensor *m; } u = {jobs[t].want}, v = {jobs[t].x};
        nb_tensor_unref(u.m);
        nb_tensor_unref(v.m);
        pthread_mutex_destroy(&jobs[t].q.mu);
        pthread_cond_destroy(&jobs[t].q.cv);
    }
    nb_session_free(s);
    nb_graph_free(m.g);
}

/* A reshape's output is a view its step caches for the next run. Once the step
 * has moved on to a new view, a fetched old one belongs to the caller alone:
 * feeding it to another session must not let that session detach its data
 * (release_value took "2 references" for "the slot and a step's cache"). */
TEST(fetched_view_fed_to_another_session_keeps_its_data) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(2, 3), "x");
    nb_output r = nb_reshape(g, x, 2, (int64_t[]){3, 2}, "r");
    nb_output y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(3, 2), "y");
    nb_output ys = nb_reduce_sum(g, y, NULL, NB_ALL_AXES, false, "ys");
    CHECK_GRAPH_OK(g);
    nb_tensor *xv = nb_tensor_new(NB_FLOAT32, 2, (int64_t[]){2, 3}, (float[]){1, 2, 3, 4, 5, 6});
    nb_session *a = nb_session_new(g), *b = nb_session_new(g);
    nb_feed fx = {x, xv};
    nb_tensor *v1 = NULL, *v2 = NULL, *sum = NULL;
    CHECK(nb_session_run(a, &fx, 1, &r, 1, &v1) == NB_OK);
    CHECK(nb_session_run(a, &fx, 1, &r, 1, &v2) == NB_OK); /* the step caches a new view */
    nb_tensor_unref(v2);
    nb_feed fy = {y, v1};
    CHECK(nb_session_run(b, &fy, 1, &ys, 1, &sum) == NB_OK);
    CHECK(sum && nb_tensor_scalar_f64(sum) == 21.0);
    /* v1 still has its data after b let go of it */
    CHECK(v1 && nb_tensor_data(v1) != NULL);
    if (v1 && nb_tensor_data(v1)) CHECK(nb_tensor_get_flat(v1, 5) == 6.0);
    nb_tensor_unref(sum);
    nb_tensor_unref(v1);
    nb_tensor_unref(xv);
    nb_session_free(a);
    nb_session_free(b);
    nb_graph_free(g);
}

/* One session, two threads: one keeps feeding a wrong dtype, the other runs
 * fine. Each thread must read its own run's message: the other thread's runs
 * reset and rewrote the one shared message (and raced with the reader). */
typedef struct {
    nb_session *s;
    model *m;
    const nb_tensor *x;
    bool bad;
    int failures;
} msg_job;

static void *msg_runs(void *arg) {
    msg_job *j = arg;
    nb_feed f = {j->m->x, j->x};
    for (int r = 0; r < 300; r++) {
        nb_status st = nb_session_run(j->s, &f, 1, &j->m->pred, 1, NULL);
        const char *msg = nb_session_errmsg(j->s);
        if (j->bad ? st != NB_ERR_DTYPE || nb_session_status(j->s) != NB_ERR_DTYPE ||
                         strcmp(msg, "Cannot feed value of dtype float64 for Tensor 'x:0', "
                                     "which has dtype float32") != 0
                   : st != NB_OK || nb_session_status(j->s) != NB_OK || msg[0] != 0)
            j->failures++;
    }
    return NULL;
}

TEST(each_thread_reads_its_own_run_message) {
    model m;
    build(&m);
    nb_session *s = nb_session_new(m.g);
    CHECK(nb_session_run(s, NULL, 0, &m.init, 1, NULL) == NB_OK);
    nb_tensor *good = batch(4, 8, 3);
    nb_tensor *bad = nb_tensor_zeros(NB_FLOAT64, 2, (int64_t[]){4, 8});
    msg_job jobs[2] = {{.s = s, .m = &m, .x = good}, {.s = s, .m = &m, .x = bad, .bad = true}};
    pthread_t th[2];
    for (int t = 0; t < 2; t++) pthread_create(&th[t], NULL, msg_runs, &jobs[t]);
    for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
    CHECK(jobs[0].failures == 0);
    CHECK(jobs[1].failures == 0);
    /* this thread ran only the initializer: its own last result */
    CHECK(nb_session_status(s) == NB_OK && nb_session_errmsg(s)[0] == 0);
    nb_tensor_unref(good);
    nb_tensor_unref(bad);
    nb_session_free(s);
    nb_graph_free(m.g);
}

TEST(adaptive_team_is_bounded_by_the_setting) {
    /* sized to idle cores: between 1 and the setting; off: the setting itself */
    int saved = nb_get_num_threads();
    model m;
    build(&m);
    nb_session *s = nb_session_new(m.g);
    CHECK(nb_session_run(s, NULL, 0, &m.init, 1, NULL) == NB_OK);
    nb_tensor *x = batch(4, 8, 5);
    nb_feed f = {m.x, x};
    nb_set_adaptive_threads(false);
    CHECK(!nb_get_adaptive_threads());
    nb_set_num_threads(2);
    int want = nb_get_num_threads(); /* 2, or 1 on a 1-core machine */
    CHECK(want >= 1 && want <= 2);
    CHECK(nb_session_run(s, &f, 1, &m.pred, 1, NULL) == NB_OK);
    CHECK(nb_get_active_threads() == want);
    nb_set_adaptive_threads(true);
    CHECK(nb_get_adaptive_threads());
    for (int i = 0; i < 3; i++) {
        nanosleep(&(struct timespec){0, 120000000}, NULL); /* past the 0.1 s probe interval */
        CHECK(nb_session_run(s, &f, 1, &m.pred, 1, NULL) == NB_OK);
        int a = nb_get_active_threads();
        CHECK(a >= 1 && a <= want);
        CHECK(nb_get_num_threads() == want); /* the setting itself is unchanged */
    }
    nb_set_num_threads(1);
    CHECK(nb_get_active_threads() == 1);
    nb_set_num_threads(saved);
    nb_tensor_unref(x);
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
