/*
 * cross_validation.c — estimating a classifier's error, every way the course
 * teaches: holdout, stratified holdout, repeated holdout, 10-fold, stratified
 * 10-fold, leave-one-out, the bootstrap (out-of-bag error) and the 0.632
 * bootstrap, each through nabla's splits and nb_cv_evaluate.
 *
 * The classifier is softmax regression built with nabla's graph (as in
 * softmax_classification.c): logits = X W + b, mean cross-entropy, Adam(0.05)
 * for 300 full-batch epochs, features standardized with the training rows'
 * mean and deviation. One graph and one session serve every fit: each fit
 * re-runs the initializer. scikit-learn's LogisticRegression reaches accuracy
 * 0.973 +- 0.033 under stratified 10-fold on iris.
 *
 * Then the course's two warnings:
 *   - leave-one-out on a random, perfectly balanced two-class set with a
 *     majority-vote classifier: every held-out row belongs to the class that is
 *     now the minority, so the estimate is 100% error (the true error is 50%);
 *   - a perfect memoriser (it recalls the label of every row it saw) on random
 *     labels: resubstitution error 0, out-of-bag error ~50%, so the 0.632
 *     bootstrap says ~31.6% while the true error is 50%.
 *
 * --smoke (the tests) uses fewer epochs and repeats and checks the results.
 * The stratified 10-fold runs log one TensorBoard run per fold under
 * logs/cross_validation/fold_NN, so the curves overlay.
 *
 * Usage: cross_validation [--smoke] [--data FILE] [--seed N]
 */
#include <nabla.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*** The softmax classifier ***************************************************/

typedef struct model {
    const nb_tensor *F;  /* [n, 4] float32 features */
    const nb_tensor *L;  /* [n] int32 labels 0..2 */
    nb_graph *g;
    nb_session *s;
    nb_output X, Y, train, init, errors, loss;
    int epochs;
    const char *logroot; /* when set, each fit logs its loss curve to <logroot>/fold_<k> */
    int fold;
    const nb_tensor *last_train; /* the train_idx of the last fit (for resubstitution) */
    float mu[4], sd[4];
    nb_error *err;
} model;

/* Rows idx of F, standardized with m->mu, m->sd, and their labels. */
static void take(model *m, const nb_tensor *idx, nb_tensor **X, nb_tensor **Y) {
    int64_t n = nb_tensor_size(idx), dx[2] = {n, 4};
    *X = nb_tensor_zeros(NB_FLOAT32, 2, dx);
    *Y = nb_tensor_zeros(NB_INT32, 1, &n);
    const int64_t *ix = nb_tensor_data_const(idx);
    const float *f = nb_tensor_data_const(m->F);
    const int32_t *l = nb_tensor_data_const(m->L);
    float *x = nb_tensor_data(*X);
    int32_t *y = nb_tensor_data(*Y);
    for (int64_t i = 0; i < n; i++) {
        for (int q = 0; q < 4; q++) x[i * 4 + q] = (f[ix[i] * 4 + q] - m->mu[q]) / m->sd[q];
        y[i] = l[ix[i]];
    }
}

static int build(model *m) {
    nb_graph *g = m->g = nb_graph_new();
    m->X = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 4), "X");
    m->Y = nb_placeholder(g, NB_INT32, NB_SHAPE(NB_DIM_UNKNOWN), "Y");
    nb_output W = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(4, 3), NULL), "weights");
    nb_output b = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(3), NULL), "bias");
    nb_output logits = nb_add(g, nb_matmul(g, m->X, W, false, false, NULL), b, NULL);
    nb_name_scope_push(g, "loss");
    nb_output zmax = nb_reduce_max(g, logits, (int[]){1}, 1, true, NULL);
    nb_output z = nb_subtract(g, logits, zmax, NULL);
    nb_output lse = nb_log(g, nb_reduce_sum(g, nb_exp(g, z, NULL), (int[]){1}, 1, true, NULL), NULL);
    nb_output onehot = nb_one_hot(g, m->Y, 3, 1.0, 0.0, NB_FLOAT32, NULL);
    nb_output xent = nb_negative(g, nb_reduce_sum(g, nb_multiply(g, onehot, nb_subtract(g, z, lse, NULL), NULL),
                                                  (int[]){1}, 1, false, NULL), NULL);
    nb_output loss = m->loss = nb_reduce_mean(g, xent, NULL, NB_ALL_AXES, false, NULL);
    nb_name_scope_pop(g);
    m->train = nb_optimizer_minimize(nb_train_adam(g, 0.05, 0.9, 0.999, 1e-8), loss, NULL, 0, nb_nil);
    nb_name_scope_push(g, "error");
    nb_output wrong = nb_not_equal(g, nb_argmax(g, logits, 1, NULL), nb_cast(g, m->Y, NB_INT64, NULL), NULL);
    m->errors = nb_reduce_mean(g, nb_cast(g, wrong, NB_FLOAT32, NULL), NULL, NB_ALL_AXES, false, NULL);
    nb_name_scope_pop(g);
    m->init = nb_global_variables_initializer(g);
    if (nb_graph_status(g) != NB_OK) {
        fprintf(stderr, "graph error: %s\n", nb_graph_errmsg(g));
        return 0;
    }
    m->s = nb_session_new(g);
    return m->s != NULL;
}

/* Records a session failure in the evaluation's nb_error and returns NAN. */
static double fail(model *m) {
    if (m->err) {
        m->err->code = nb_session_status(m->s);
        snprintf(m->err->message, sizeof m->err->message, "%s", nb_session_errmsg(m->s));
    }
    return NAN;
}

/* nb_cv_fit_score: trains on train_idx (unless this is the resubstitution call
 * right after fitting on the same rows) and returns the error rate on test_idx. */
static double softmax_fit_score(const nb_tensor *train_idx, const nb_tensor *test_idx, void *ctx) {
    model *m = ctx;
    if (!(test_idx == train_idx && train_idx == m->last_train)) {
        /* standardize with the training rows only */
        int64_t n = nb_tensor_size(train_idx);
        const int64_t *ix = nb_tensor_data_const(train_idx);
        const float *f = nb_tensor_data_const(m->F);
        for (int q = 0; q < 4; q++) {
            double s = 0, s2 = 0;
            for (int64_t i = 0; i < n; i++) s += f[ix[i] * 4 + q];
            double mu = s / n;
            for (int64_t i = 0; i < n; i++) s2 += (f[ix[i] * 4 + q] - mu) * (f[ix[i] * 4 + q] - mu);
            m->mu[q] = (float)mu;
            m->sd[q] = s2 > 0 ? (float)sqrt(s2 / n) : 1.0f;
        }
        nb_tensor *X, *Y;
        take(m, train_idx, &X, &Y);
        nb_feed feeds[2] = {{m->X, X}, {m->Y, Y}};
        nb_status st = nb_session_run(m->s, NULL, 0, &m->init, 1, NULL);
        /* one TensorBoard run per fold, so the folds' curves overlay */
        nb_summary_writer *w = NULL;
        if (m->logroot) {
            char dir[512];
            nb_error werr;
            snprintf(dir, sizeof dir, "%s/fold_%02d", m->logroot, ++m->fold);
            w = nb_summary_writer_open(dir, m->fold == 1 ? m->g : NULL, &werr);
            if (!w) fprintf(stderr, "warning: no TensorBoard log: %s\n", werr.message);
        }
        for (int e = 0; e < m->epochs && st == NB_OK; e++) {
            if (w && e % 10 == 0) {
                nb_tensor *out[2] = {NULL, NULL};
                st = nb_session_run(m->s, feeds, 2, (nb_output[]){m->loss, m->train}, 2, out);
                if (st == NB_OK) nb_summary_writer_add_scalar(w, "loss", e, nb_tensor_scalar_f64(out[0]));
                nb_tensor_unref(out[0]);
            } else {
                st = nb_session_run(m->s, feeds, 2, &m->train, 1, NULL);
            }
        }
        nb_summary_writer_close(w);
        nb_tensor_unref(X);
        nb_tensor_unref(Y);
        if (st != NB_OK) return fail(m);
        m->last_train = train_idx;
    }
    nb_tensor *X, *Y;
    take(m, test_idx, &X, &Y);
    nb_feed feeds[2] = {{m->X, X}, {m->Y, Y}};
    nb_tensor *e = nb_session_eval(m->s, m->errors, feeds, 2);
    nb_tensor_unref(X);
    nb_tensor_unref(Y);
    if (!e) return fail(m);
    double v = nb_tensor_scalar_f64(e);
    nb_tensor_unref(e);
    return v;
}

/*** The two warnings' classifiers *******************************************/

typedef struct votes {
    const int32_t *y;     /* labels */
    int64_t n;
    unsigned char *seen;  /* memoriser: rows seen in training */
    int majority;
} votes;

/* Majority vote: predicts the most common training label (ties: class 0). */
static double majority_fit_score(const nb_tensor *train_idx, const nb_tensor *test_idx, void *ctx) {
    votes *v = ctx;
    const int64_t *tr = nb_tensor_data_const(train_idx), *te = nb_tensor_data_const(test_idx);
    int64_t ones = 0, ntr = nb_tensor_size(train_idx), nte = nb_tensor_size(test_idx), wrong = 0;
    for (int64_t i = 0; i < ntr; i++) ones += v->y[tr[i]];
    int pred = 2 * ones > ntr;
    for (int64_t i = 0; i < nte; i++) wrong += v->y[te[i]] != pred;
    return (double)wrong / (double)nte;
}

/* Perfect memoriser: the stored label for every row it saw; the training
 * majority for any other row. */
static double memoriser_fit_score(const nb_tensor *train_idx, const nb_tensor *test_idx, void *ctx) {
    votes *v = ctx;
    const int64_t *tr = nb_tensor_data_const(train_idx), *te = nb_tensor_data_const(test_idx);
    int64_t ntr = nb_tensor_size(train_idx), nte = nb_tensor_size(test_idx), ones = 0, wrong = 0;
    memset(v->seen, 0, (size_t)v->n);
    for (int64_t i = 0; i < ntr; i++) {
        v->seen[tr[i]] = 1;
        ones += v->y[tr[i]];
    }
    int majority = 2 * ones > ntr;
    for (int64_t i = 0; i < nte; i++) {
        int pred = v->seen[te[i]] ? v->y[te[i]] : majority;
        wrong += pred != v->y[te[i]];
    }
    return (double)wrong / (double)nte;
}

/*** Main *********************************************************************/

static int report(const char *what, nb_status st, const nb_cv_result *r, const nb_error *err) {
    if (st != NB_OK) {
        fprintf(stderr, "%s: %s\n", what, err->message);
        return 0;
    }
    printf("  %-34s error %.4f +- %.4f  (accuracy %.4f, %d splits)\n", what, r->mean, r->std,
           1 - r->mean, r->n_splits);
    return 1;
}

int main(int argc, char **argv) {
    const char *data = "data/iris.csv";
    uint64_t seed = 7;
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
    int64_t n = nb_tensor_dim(F, 0);
    nb_tensor *labels = nb_tensor_reshape(L, 1, &n);
    model m = {.F = F, .L = labels, .epochs = smoke ? 100 : 300, .err = &err};
    if (!build(&m)) return 1;
    const int reps = smoke ? 3 : 10, boots = smoke ? 10 : 50;
    int ok = 1;
    nb_cv_result r, strat10 = {0}, b632 = {0};
    nb_splits *s;

    printf("softmax regression on iris (%lld rows), %d Adam epochs per fit\n", (long long)n, m.epochs);
    s = nb_splits_holdout(n, 1.0 / 3, NULL, seed, &err);
    ok &= s && report("holdout (1/3 test)", nb_cv_evaluate(s, softmax_fit_score, &m, &r, NULL, &err), &r, &err);
    nb_splits_free(s);
    s = nb_splits_holdout(n, 1.0 / 3, labels, seed, &err);
    ok &= s && report("stratified holdout (1/3 test)", nb_cv_evaluate(s, softmax_fit_score, &m, &r, NULL, &err), &r, &err);
    nb_splits_free(s);
    s = nb_splits_repeated_holdout(n, 1.0 / 3, reps, labels, seed, &err);
    char what[64];
    snprintf(what, sizeof what, "repeated stratified holdout x %d", reps);
    ok &= s && report(what, nb_cv_evaluate(s, softmax_fit_score, &m, &r, NULL, &err), &r, &err);
    nb_splits_free(s);
    s = nb_splits_kfold(n, 10, true, NULL, seed, &err);
    ok &= s && report("10-fold (shuffled)", nb_cv_evaluate(s, softmax_fit_score, &m, &r, NULL, &err), &r, &err);
    nb_splits_free(s);
    s = nb_splits_kfold(n, 10, true, labels, seed, &err);
    m.logroot = "logs/cross_validation";
    m.fold = 0;
    ok &= s && report("stratified 10-fold (shuffled)", nb_cv_evaluate(s, softmax_fit_score, &m, &strat10, NULL, &err), &strat10, &err);
    m.logroot = NULL;
    printf("    (each fold's loss curve: logs/cross_validation/fold_01 ... fold_10)\n");
    printf("    scikit-learn LogisticRegression, stratified 10-fold: accuracy 0.9733 +- 0.0327\n");
    nb_splits_free(s);
    s = nb_splits_leave_one_out(n, &err);
    ok &= s && report("leave-one-out", nb_cv_evaluate(s, softmax_fit_score, &m, &r, NULL, &err), &r, &err);
    nb_splits_free(s);
    s = nb_splits_bootstrap(n, boots, seed, &err);
    snprintf(what, sizeof what, "bootstrap x %d (out-of-bag)", boots);
    ok &= s && report(what, nb_cv_evaluate(s, softmax_fit_score, &m, &r, NULL, &err), &r, &err);
    if (s && nb_cv_bootstrap632(s, softmax_fit_score, &m, &b632, &err) == NB_OK)
        printf("  %-34s error %.4f  (0.632 x %.4f out-of-bag + 0.368 x %.4f resubstitution)\n",
               "0.632 bootstrap", b632.estimate, b632.mean, b632.train_mean);
    else
        ok = 0, fprintf(stderr, "0.632 bootstrap: %s\n", err.message);
    nb_splits_free(s);

    /* Warning 1: leave-one-out and a majority vote on balanced random classes. */
    const int64_t nw = 100;
    int32_t *yw = malloc(sizeof(int32_t) * nw);
    nb_tensor *u = nb_tensor_random_uniform(NB_FLOAT64, 1, &nw, 0, 1, seed);
    for (int64_t i = 0; i < nw; i++) yw[i] = i < nw / 2;
    for (int64_t i = nw - 1; i > 0; i--) { /* shuffle the labels */
        int64_t j = (int64_t)(nb_tensor_get_flat(u, i) * (double)(i + 1));
        int32_t t = yw[i];
        yw[i] = yw[j];
        yw[j] = t;
    }
    votes v = {.y = yw, .n = nw};
    s = nb_splits_leave_one_out(nw, &err);
    nb_cv_result loo = {0};
    printf("\nwarning 1: %lld rows, two random balanced classes, majority-vote classifier (true error 50%%)\n",
           (long long)nw);
    ok &= s && report("leave-one-out", nb_cv_evaluate(s, majority_fit_score, &v, &loo, NULL, &err), &loo, &err);
    nb_splits_free(s);
    free(yw);
    nb_tensor_unref(u);

    /* Warning 2: a perfect memoriser on random labels. */
    const int64_t nm = 1000;
    nb_tensor *coin = nb_tensor_random_uniform(NB_FLOAT64, 1, &nm, 0, 1, seed + 1);
    int32_t *ym = malloc(sizeof(int32_t) * (nm * 2));
    for (int64_t i = 0; i < nm; i++) ym[i] = nb_tensor_get_flat(coin, i) < 0.5;
    nb_tensor *coin2 = nb_tensor_random_uniform(NB_FLOAT64, 1, &nm, 0, 1, seed + 2);
    for (int64_t i = 0; i < nm; i++) ym[nm + i] = nb_tensor_get_flat(coin2, i) < 0.5; /* fresh rows */
    votes mv = {.y = ym, .n = 2 * nm, .seen = malloc((size_t)(2 * nm))};
    s = nb_splits_bootstrap(nm, smoke ? 20 : 200, seed, &err);
    nb_cv_result mem = {0};
    nb_status st = s ? nb_cv_bootstrap632(s, memoriser_fit_score, &mv, &mem, &err) : err.code;
    nb_splits_free(s);
    /* its true error: trained on all nm rows, tested on nm fresh rows */
    nb_tensor *all = nb_tensor_range(NB_INT64, 0, (double)nm, 1), *fresh = nb_tensor_range(NB_INT64, (double)nm, 2.0 * nm, 1);
    double true_err = memoriser_fit_score(all, fresh, &mv);
    printf("\nwarning 2: a perfect memoriser on %lld rows with random labels\n", (long long)nm);
    if (st == NB_OK)
        printf("  0.632 bootstrap: %.4f = 0.632 x %.4f out-of-bag + 0.368 x %.4f resubstitution\n"
               "  true error on %lld fresh rows: %.4f\n",
               mem.estimate, mem.mean, mem.train_mean, (long long)nm, true_err);
    else
        ok = 0, fprintf(stderr, "memoriser: %s\n", err.message);
    nb_tensor_unref(all);
    nb_tensor_unref(fresh);
    nb_tensor_unref(coin);
    nb_tensor_unref(coin2);
    free(ym);
    free(mv.seen);

    if (smoke) {
        int c1 = 1 - strat10.mean >= 0.9, c2 = loo.mean == 1.0,
            c3 = fabs(mem.estimate - 0.316) < 0.04 && mem.train_mean == 0.0,
            c4 = fabs(true_err - 0.5) < 0.06, c5 = b632.estimate > 0 && b632.estimate < 0.1;
        printf("\nsmoke checks: stratified 10-fold accuracy >= 0.9 %s; LOO majority vote 100%% %s; "
               "memoriser 0.632 ~ 31.6%% %s; its true error ~ 50%% %s; iris 0.632 < 10%% %s\n",
               c1 ? "ok" : "FAILED", c2 ? "ok" : "FAILED", c3 ? "ok" : "FAILED",
               c4 ? "ok" : "FAILED", c5 ? "ok" : "FAILED");
        ok &= c1 && c2 && c3 && c4 && c5;
        printf("smoke check: %s\n", ok ? "passed" : "FAILED");
    }
    nb_session_free(m.s);
    nb_graph_free(m.g);
    nb_tensor_unref(labels);
    nb_tensor_unref(F);
    nb_tensor_unref(L);
    return ok ? 0 : 1;
}
