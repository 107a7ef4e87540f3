/*
 * test_ml.c — k-means, the dataset splits and cross-validation helpers, and the
 * IDX reader: split properties (partitions, no overlap, stratified proportions,
 * leave-one-out, out-of-bag fraction, reproducibility), k-means against cases
 * followed by hand, empty-cluster relocation, restarts, and every error path.
 * The IDX tests write their own small files (plain and gzip).
 */
#include "harness.h"
#include "nb_internal.h"

#include <unistd.h>
#include <zlib.h>

/*** Helpers ******************************************************************/

static const int64_t *ix(const nb_tensor *t) { return nb_tensor_data_const(t); }

/* Checks that train and test of split i partition 0..n-1 (each row exactly once). */
static void check_partition(const nb_splits *s, int i, int64_t n) {
    nb_tensor *tr, *te;
    CHECK_STATUS(nb_splits_get(s, i, &tr, &te, NULL), NB_OK);
    if (!tr || !te) return;
    int *seen = calloc((size_t)n, sizeof(int));
    for (int64_t j = 0; j < nb_tensor_size(tr); j++) seen[ix(tr)[j]]++;
    for (int64_t j = 0; j < nb_tensor_size(te); j++) seen[ix(te)[j]]++;
    int ok = 1;
    for (int64_t j = 0; j < n; j++) ok &= seen[j] == 1;
    CHECK(ok);
    CHECK(nb_tensor_dtype(tr) == NB_INT64 && nb_tensor_rank(te) == 1);
    free(seen);
    nb_tensor_unref(tr);
    nb_tensor_unref(te);
}

static nb_tensor *labels_of(const int32_t *y, int64_t n) { return nb_tensor_new(NB_INT32, 1, &n, y); }

/*** Splits *******************************************************************/

TEST(kfold_partitions_and_test_folds_cover_rows) {
    for (int shuffle = 0; shuffle < 2; shuffle++) {
        int64_t n = 23;
        nb_splits *s = nb_splits_kfold(n, 5, shuffle, NULL, 3, NULL);
        CHECK(s && nb_splits_count(s) == 5);
        int *in_test = calloc((size_t)n, sizeof(int));
        for (int i = 0; i < 5; i++) {
            check_partition(s, i, n);
            nb_tensor *tr, *te;
            nb_splits_get(s, i, &tr, &te, NULL);
            CHECK(nb_tensor_size(te) == 4 || nb_tensor_size(te) == 5);
            for (int64_t j = 0; j < nb_tensor_size(te); j++) in_test[ix(te)[j]]++;
            if (!shuffle && i == 0) CHECK(ix(te)[0] == 0 && ix(te)[4] == 4); /* contiguous */
            nb_tensor_unref(tr);
            nb_tensor_unref(te);
        }
        int ok = 1;
        for (int64_t j = 0; j < n; j++) ok &= in_test[j] == 1;
        CHECK(ok); /* every row is tested exactly once */
        free(in_test);
        nb_splits_free(s);
    }
}

TEST(stratified_kfold_proportions_within_one_row) {
    /* classes of 50, 30 and 17 rows in a scrambled order */
    int64_t n = 97;
    int32_t y[97];
    for (int i = 0; i < 97; i++) y[i] = (i * 37) % 97 < 50 ? 7 : ((i * 37) % 97 < 80 ? -2 : 3);
    nb_tensor *lab = labels_of(y, n);
    nb_splits *s = nb_splits_kfold(n, 10, true, lab, 11, NULL);
    CHECK(s != NULL);
    const int32_t cls[3] = {7, -2, 3};
    const double size[3] = {50, 30, 17};
    for (int i = 0; s && i < 10; i++) {
        check_partition(s, i, n);
        nb_tensor *tr, *te;
        nb_splits_get(s, i, &tr, &te, NULL);
        CHECK(nb_tensor_size(te) == 9 || nb_tensor_size(te) == 10);
        for (int c = 0; c < 3; c++) {
            int64_t m = 0;
            for (int64_t j = 0; j < nb_tensor_size(te); j++) m += y[ix(te)[j]] == cls[c];
            CHECK(fabs((double)m - size[c] / 10) < 1.0);
        }
        nb_tensor_unref(tr);
        nb_tensor_unref(te);
    }
    nb_splits_free(s);
    nb_tensor_unref(lab);
}

TEST(holdout_sizes_and_stratification) {
    int64_t n = 150;
    int32_t y[150];
    for (int i = 0; i < 150; i++) y[i] = i % 3;
    nb_tensor *lab = labels_of(y, n);
    nb_splits *s = nb_splits_holdout(n, 1.0 / 3, lab, 5, NULL);
    CHECK(s && nb_splits_count(s) == 1);
    check_partition(s, 0, n);
    nb_tensor *tr, *te;
    nb_splits_get(s, 0, &tr, &te, NULL);
    CHECK(nb_tensor_size(te) == 50 && nb_tensor_size(tr) == 100);
    int64_t per[3] = {0};
    for (int64_t j = 0; j < 50; j++) per[y[ix(te)[j]]]++;
    CHECK(per[0] == 17 || per[0] == 16);
    CHECK(per[0] + per[1] + per[2] == 50);
    for (int c = 0; c < 3; c++) CHECK(fabs((double)per[c] - 50.0 / 3) < 1.0);
    nb_tensor_unref(tr);
    nb_tensor_unref(te);
    nb_splits_free(s);
    /* plain holdout: ceil(0.25 * 10) = 3 test rows */
    s = nb_splits_holdout(10, 0.25, NULL, 1, NULL);
    nb_splits_get(s, 0, &tr, &te, NULL);
    CHECK(nb_tensor_size(te) == 3 && nb_tensor_size(tr) == 7);
    check_partition(s, 0, 10);
    nb_tensor_unref(tr);
    nb_tensor_unref(te);
    nb_splits_free(s);
    /* repeated holdout: different shuffles, each a partition */
    s = nb_splits_repeated_holdout(n, 0.2, 5, lab, 9, NULL);
    CHECK(nb_splits_count(s) == 5);
    nb_tensor *a, *b, *c, *d;
    nb_splits_get(s, 0, &a, &b, NULL);
    nb_splits_get(s, 1, &c, &d, NULL);
    CHECK(!nb_tensor_equal(b, d));
    for (int i = 0; i < 5; i++) check_partition(s, i, n);
    nb_tensor_unref(a);
    nb_tensor_unref(b);
    nb_tensor_unref(c);
    nb_tensor_unref(d);
    nb_splits_free(s);
    nb_tensor_unref(lab);
}

TEST(leave_one_out_has_n_folds) {
    nb_splits *s = nb_splits_leave_one_out(7, NULL);
    CHECK(nb_splits_count(s) == 7);
    for (int i = 0; i < 7; i++) {
        check_partition(s, i, 7);
        nb_tensor *tr, *te;
        nb_splits_get(s, i, &tr, &te, NULL);
        CHECK(nb_tensor_size(te) == 1 && ix(te)[0] == i && nb_tensor_size(tr) == 6);
        nb_tensor_unref(tr);
        nb_tensor_unref(te);
    }
    nb_splits_free(s);
}

TEST(bootstrap_out_of_bag_fraction) {
    int64_t n = 20000;
    nb_splits *s = nb_splits_bootstrap(n, 3, 42, NULL);
    CHECK(nb_splits_count(s) == 3);
    for (int i = 0; i < 3; i++) {
        nb_tensor *tr, *te;
        CHECK_STATUS(nb_splits_get(s, i, &tr, &te, NULL), NB_OK);
        CHECK(nb_tensor_size(tr) == n);
        double oob = (double)nb_tensor_size(te) / (double)n;
        CHECK(fabs(oob - exp(-1.0)) < 0.01); /* (1 - 1/n)^n -> 0.368 */
        /* test rows are exactly the rows never drawn */
        char *drawn = calloc((size_t)n, 1);
        for (int64_t j = 0; j < n; j++) drawn[ix(tr)[j]] = 1;
        int ok = 1;
        for (int64_t j = 0; j < nb_tensor_size(te); j++) ok &= !drawn[ix(te)[j]];
        int64_t never = 0;
        for (int64_t j = 0; j < n; j++) never += !drawn[j];
        CHECK(ok && never == nb_tensor_size(te));
        free(drawn);
        nb_tensor_unref(tr);
        nb_tensor_unref(te);
    }
    nb_splits_free(s);
}

TEST(same_seed_same_split) {
    int32_t y[40];
    for (int i = 0; i < 40; i++) y[i] = i % 4;
    nb_tensor *lab = labels_of(y, 40);
    nb_splits *a[4] = {nb_splits_kfold(40, 4, true, lab, 77, NULL), nb_splits_holdout(40, 0.3, NULL, 77, NULL),
                       nb_splits_bootstrap(40, 2, 77, NULL), nb_splits_repeated_holdout(40, 0.3, 2, lab, 77, NULL)};
    nb_splits *b[4] = {nb_splits_kfold(40, 4, true, lab, 77, NULL), nb_splits_holdout(40, 0.3, NULL, 77, NULL),
                       nb_splits_bootstrap(40, 2, 77, NULL), nb_splits_repeated_holdout(40, 0.3, 2, lab, 77, NULL)};
    nb_splits *c = nb_splits_kfold(40, 4, true, lab, 78, NULL);
    for (int k = 0; k < 4; k++) {
        nb_tensor *t1, *e1, *t2, *e2;
        nb_splits_get(a[k], 0, &t1, &e1, NULL);
        nb_splits_get(b[k], 0, &t2, &e2, NULL);
        CHECK(nb_tensor_equal(t1, t2) && nb_tensor_equal(e1, e2));
        nb_tensor_unref(t1);
        nb_tensor_unref(e1);
        nb_splits_get(a[k], 0, &t1, &e1, NULL); /* asking again gives the same split */
        CHECK(nb_tensor_equal(t1, t2) && nb_tensor_equal(e1, e2));
        nb_tensor_unref(t1);
        nb_tensor_unref(e1);
        nb_tensor_unref(t2);
        nb_tensor_unref(e2);
        nb_splits_free(a[k]);
        nb_splits_free(b[k]);
    }
    nb_tensor *t1, *e1, *t2, *e2;
    nb_splits *d = nb_splits_kfold(40, 4, true, lab, 77, NULL);
    nb_splits_get(c, 0, &t1, &e1, NULL);
    nb_splits_get(d, 0, &t2, &e2, NULL);
    CHECK(!nb_tensor_equal(e1, e2)); /* another seed, another split */
    nb_tensor_unref(t1);
    nb_tensor_unref(e1);
    nb_tensor_unref(t2);
    nb_tensor_unref(e2);
    nb_splits_free(c);
    nb_splits_free(d);
    nb_tensor_unref(lab);
}

TEST(split_errors) {
    nb_error err;
    CHECK(nb_splits_kfold(0, 2, false, NULL, 0, &err) == NULL);
    CHECK_STATUS(err.code, NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "empty data");
    CHECK(nb_splits_kfold(10, 1, false, NULL, 0, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "k >= 2");
    CHECK(nb_splits_kfold(5, 6, false, NULL, 0, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "larger than the 5 rows");
    int32_t y[10] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    nb_tensor *lab = labels_of(y, 10);
    CHECK(nb_splits_kfold(10, 4, true, lab, 0, &err) == NULL);
    CHECK_STATUS(err.code, NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "class 1 has 3 rows, fewer than the 4 folds");
    CHECK(nb_splits_kfold(9, 3, true, lab, 0, &err) == NULL); /* 10 labels for 9 rows */
    CHECK_STATUS(err.code, NB_ERR_SHAPE);
    float fy[3] = {0, 1.5f, 1};
    nb_tensor *flab = nb_tensor_new(NB_FLOAT32, 1, (int64_t[]){3}, fy);
    CHECK(nb_splits_holdout(3, 0.5, flab, 0, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "not an integer");
    CHECK(nb_splits_holdout(10, 0.0, NULL, 0, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "strictly between 0 and 1");
    CHECK(nb_splits_holdout(10, 1.0, NULL, 0, &err) == NULL);
    CHECK(nb_splits_holdout(10, NAN, NULL, 0, &err) == NULL);
    nb_splits *one = nb_splits_holdout(10, 0.01, NULL, 0, &err); /* ceil gives 1 test row */
    CHECK(one != NULL);
    nb_splits_free(one);
    CHECK(nb_splits_holdout(10, 0.95, NULL, 0, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "train set empty");
    CHECK(nb_splits_repeated_holdout(10, 0.5, 0, NULL, 0, &err) == NULL);
    CHECK(nb_splits_leave_one_out(1, &err) == NULL);
    CHECK(nb_splits_leave_one_out(0, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "empty data");
    CHECK(nb_splits_bootstrap(0, 5, 0, &err) == NULL);
    CHECK(nb_splits_bootstrap(10, 0, 0, &err) == NULL);
    nb_splits *s = nb_splits_leave_one_out(3, NULL);
    nb_tensor *tr, *te;
    CHECK_STATUS(nb_splits_get(s, 3, &tr, &te, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK(tr == NULL && te == NULL);
    CHECK_STATUS(nb_splits_get(NULL, 0, &tr, &te, &err), NB_ERR_INVALID_ARGUMENT);
    nb_splits_free(s);
    nb_splits_free(NULL);
    nb_tensor_unref(lab);
    nb_tensor_unref(flab);
}

/*** Evaluation ***************************************************************/

/* Error = fraction of odd rows in the test set; counts calls. */
typedef struct { int calls, resub; nb_error *err; int fail_at; } cv_ctx;
static double odd_rows(const nb_tensor *tr, const nb_tensor *te, void *ctx) {
    cv_ctx *c = ctx;
    if (c->fail_at >= 0 && c->calls == c->fail_at) {
        c->calls++;
        if (c->err) {
            c->err->code = NB_ERR_IO;
            snprintf(c->err->message, sizeof c->err->message, "the model file vanished");
        }
        return NAN;
    }
    c->calls++;
    if (tr == te) c->resub++;
    int64_t odd = 0;
    for (int64_t j = 0; j < nb_tensor_size(te); j++) odd += ix(te)[j] & 1;
    return (double)odd / (double)nb_tensor_size(te);
}

TEST(cv_evaluate_mean_and_std) {
    nb_splits *s = nb_splits_kfold(4, 2, false, NULL, 0, NULL); /* folds {0,1}, {2,3} */
    cv_ctx c = {0, 0, NULL, -1};
    nb_cv_result r;
    double errs[2];
    CHECK_STATUS(nb_cv_evaluate(s, odd_rows, &c, &r, errs, NULL), NB_OK);
    CHECK(c.calls == 2 && r.n_splits == 2);
    CHECK_NEAR(r.mean, 0.5, 1e-12);
    CHECK_NEAR(r.std, 0.0, 1e-12);
    CHECK_NEAR(errs[1], 0.5, 1e-12);
    CHECK(isnan(r.train_mean));
    nb_splits_free(s);
    s = nb_splits_leave_one_out(4, NULL); /* errors 0, 1, 0, 1 */
    CHECK_STATUS(nb_cv_evaluate(s, odd_rows, &c, &r, NULL, NULL), NB_OK);
    CHECK_NEAR(r.mean, 0.5, 1e-12);
    CHECK_NEAR(r.std, 0.5, 1e-12); /* population std, as numpy */
    CHECK_STATUS(nb_cv_bootstrap632(s, odd_rows, &c, &r, NULL), NB_ERR_INVALID_ARGUMENT);
    nb_splits_free(s);
}

TEST(cv_callback_failure_and_bootstrap632) {
    nb_error err;
    nb_splits *s = nb_splits_bootstrap(50, 4, 1, NULL);
    cv_ctx c = {0, 0, &err, 3};
    nb_cv_result r;
    CHECK_STATUS(nb_cv_evaluate(s, odd_rows, &c, &r, NULL, &err), NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, "split 4 of 4: the model file vanished");
    cv_ctx c2 = {0, 0, NULL, 0}; /* NaN without a status */
    CHECK_STATUS(nb_cv_evaluate(s, odd_rows, &c2, &r, NULL, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "returned NaN");
    cv_ctx c3 = {0, 0, NULL, -1};
    CHECK_STATUS(nb_cv_bootstrap632(s, odd_rows, &c3, &r, &err), NB_OK);
    CHECK(c3.calls == 8 && c3.resub == 4); /* (train, test) then (train, train) per split */
    CHECK_NEAR(r.estimate, 0.632 * r.mean + 0.368 * r.train_mean, 1e-12);
    CHECK_STATUS(nb_cv_evaluate(NULL, odd_rows, &c3, &r, NULL, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_cv_evaluate(s, NULL, &c3, &r, NULL, &err), NB_ERR_INVALID_ARGUMENT);
    nb_splits_free(s);
}

/*** k-means ******************************************************************/

static nb_tensor *mat(nb_dtype dt, int64_t n, int64_t d, const double *v) {
    nb_tensor *t = nb_tensor_zeros(dt, 2, (int64_t[]){n, d});
    for (int64_t i = 0; i < n * d; i++) nb_tensor_set_flat(t, i, v[i]);
    return t;
}

TEST(kmeans_one_dimension_by_hand) {
    /* x = 1 2 3 10 11 12 20, centroids start at 1 and 2.
     * E: {1} {2, 3, 10, 11, 12, 20}; M: 1, 58/6 = 9.667.
     * E: the midpoint is 5.33: {1, 2, 3} {10, 11, 12, 20}; M: 2, 13.25.
     * E: the midpoint is 7.625, same labels: strict convergence after 3 iterations.
     * inertia = (1 + 0 + 1) + (3.25² + 2.25² + 1.25² + 6.75²) = 2 + 62.75 = 64.75 */
    const double x[7] = {1, 2, 3, 10, 11, 12, 20};
    for (int f = 0; f < 2; f++) {
        nb_dtype dt = f ? NB_FLOAT32 : NB_FLOAT64;
        nb_tensor *X = mat(dt, 7, 1, x), *C0 = mat(dt, 2, 1, (double[]){1, 2});
        nb_kmeans_options o = nb_kmeans_options_default(2);
        o.init_centroids = C0;
        o.tol = 0;
        nb_kmeans_result r;
        CHECK_STATUS(nb_kmeans(X, &o, &r, NULL), NB_OK);
        CHECK(r.n_iter == 3);
        CHECK_NEAR(r.inertia, 64.75, 1e-6);
        CHECK_NEAR(nb_tensor_get_flat(r.centroids, 0), 2.0, 1e-6);
        CHECK_NEAR(nb_tensor_get_flat(r.centroids, 1), 13.25, 1e-6);
        CHECK(nb_tensor_dtype(r.centroids) == dt && nb_tensor_dtype(r.labels) == NB_INT64);
        const int64_t want[7] = {0, 0, 0, 1, 1, 1, 1};
        for (int i = 0; i < 7; i++) CHECK(ix(r.labels)[i] == want[i]);
        nb_kmeans_result_clear(&r);
        /* max_iter 1 stops after the first step; the labels then match the final centroids */
        o.max_iter = 1;
        CHECK_STATUS(nb_kmeans(X, &o, &r, NULL), NB_OK);
        CHECK(r.n_iter == 1);
        CHECK_NEAR(nb_tensor_get_flat(r.centroids, 1), 58.0 / 6, 1e-6);
        CHECK(ix(r.labels)[2] == 0 && ix(r.labels)[3] == 1); /* relabelled: 3 is nearer 1 than 9.67 */
        nb_kmeans_result_clear(&r);
        nb_tensor_unref(X);
        nb_tensor_unref(C0);
    }
}

TEST(kmeans_two_obvious_clusters_plusplus) {
    const double x[12] = {0, 0, 0, 1, 1, 0, 100, 100, 100, 101, 101, 100};
    nb_tensor *X = mat(NB_FLOAT64, 6, 2, x);
    nb_kmeans_options o = nb_kmeans_options_default(2);
    o.seed = 123;
    nb_kmeans_result r;
    CHECK_STATUS(nb_kmeans(X, &o, &r, NULL), NB_OK);
    const int64_t *l = ix(r.labels);
    CHECK(l[0] == l[1] && l[1] == l[2] && l[3] == l[4] && l[4] == l[5] && l[0] != l[3]);
    /* each cluster: 3 points around (1/3, 1/3): inertia 2 * (2/9 + 5/9 + 5/9) = 8/3 */
    CHECK_NEAR(r.inertia, 8.0 / 3.0, 1e-9);
    int a = (int)l[0];
    CHECK_NEAR(nb_tensor_get_flat(r.centroids, a * 2), 1.0 / 3, 1e-9);
    CHECK_NEAR(nb_tensor_get_flat(r.centroids, (1 - a) * 2 + 1), 100 + 1.0 / 3, 1e-9);
    /* same seed, same result */
    nb_kmeans_result r2;
    CHECK_STATUS(nb_kmeans(X, &o, &r2, NULL), NB_OK);
    CHECK(nb_tensor_equal(r.labels, r2.labels) && nb_tensor_equal(r.centroids, r2.centroids));
    nb_kmeans_result_clear(&r);
    nb_kmeans_result_clear(&r2);
    nb_kmeans_result_clear(NULL);
    nb_tensor_unref(X);
}

TEST(kmeans_empty_cluster_is_reseeded_from_farthest_point) {
    /* Centroid 1 starts far from every point, so it gets no rows in the first E
     * step; the farthest row from its centroid (10, with centroid 0 at the mean
     * 3.4) moves to it, as scikit-learn does. */
    const double x[5] = {0, 1, 2, 4, 10};
    nb_tensor *X = mat(NB_FLOAT64, 5, 1, x), *C0 = mat(NB_FLOAT64, 2, 1, (double[]){3, 1000});
    nb_kmeans_options o = nb_kmeans_options_default(2);
    o.init_centroids = C0;
    o.max_iter = 1;
    nb_kmeans_result r;
    CHECK_STATUS(nb_kmeans(X, &o, &r, NULL), NB_OK);
    CHECK_NEAR(nb_tensor_get_flat(r.centroids, 0), 7.0 / 4, 1e-12); /* (0+1+2+4)/4 */
    CHECK_NEAR(nb_tensor_get_flat(r.centroids, 1), 10.0, 1e-12);
    CHECK(ix(r.labels)[4] == 1 && ix(r.labels)[3] == 0);
    nb_kmeans_result_clear(&r);
    /* run on: no cluster stays empty */
    o.max_iter = 100;
    CHECK_STATUS(nb_kmeans(X, &o, &r, NULL), NB_OK);
    int64_t n1 = 0;
    for (int i = 0; i < 5; i++) n1 += ix(r.labels)[i];
    CHECK(n1 >= 1 && n1 <= 4);
    nb_kmeans_result_clear(&r);
    /* duplicate points: k-means++ must still give k non-empty clusters */
    const double dup[6] = {5, 5, 5, 5, 5, 9};
    nb_tensor *D = mat(NB_FLOAT32, 6, 1, dup);
    nb_kmeans_options o2 = nb_kmeans_options_default(2);
    CHECK_STATUS(nb_kmeans(D, &o2, &r, NULL), NB_OK);
    CHECK_NEAR(r.inertia, 0.0, 1e-9);
    nb_kmeans_result_clear(&r);
    nb_tensor_unref(D);
    nb_tensor_unref(X);
    nb_tensor_unref(C0);
}

TEST(kmeans_restarts_keep_the_best) {
    /* Five blobs on a line and k = 4: k-means++ runs end in different local optima. */
    int64_t n = 300, dims[2] = {300, 2};
    nb_tensor *X = nb_tensor_random_normal(NB_FLOAT64, 2, dims, 0.0, 1.0, 5);
    double *x = nb_tensor_data(X);
    for (int64_t i = 0; i < n; i++) x[2 * i] += (double)(i % 5) * 4.0; /* 5 blobs on a line */
    double best = INFINITY, single[8];
    for (int seed = 0; seed < 8; seed++) {
        nb_kmeans_options o = nb_kmeans_options_default(4);
        o.n_init = 1;
        o.seed = (uint64_t)seed;
        nb_kmeans_result r;
        CHECK_STATUS(nb_kmeans(X, &o, &r, NULL), NB_OK);
        single[seed] = r.inertia;
        nb_kmeans_result_clear(&r);
    }
    /* n_init = 8 with seed s runs the streams 0..7 of seed s: its best is the
     * minimum over those runs, never worse than the first. */
    nb_kmeans_options o = nb_kmeans_options_default(4);
    o.n_init = 8;
    o.seed = 0;
    nb_kmeans_result r;
    CHECK_STATUS(nb_kmeans(X, &o, &r, NULL), NB_OK);
    nb_kmeans_options o1 = o;
    o1.n_init = 1;
    nb_kmeans_result r1;
    CHECK_STATUS(nb_kmeans(X, &o1, &r1, NULL), NB_OK);
    CHECK(r.inertia <= r1.inertia);
    CHECK(r.best_run >= 0 && r.best_run < 8);
    for (int i = 0; i < 8; i++) best = fmin(best, single[i]);
    CHECK(best > 0);
    /* each restart is a run with its own stream: re-running with n_init = best_run + 1
     * reproduces the best */
    nb_kmeans_options o2 = o;
    o2.n_init = r.best_run + 1;
    nb_kmeans_result r2;
    CHECK_STATUS(nb_kmeans(X, &o2, &r2, NULL), NB_OK);
    CHECK(r2.inertia == r.inertia && r2.best_run == r.best_run);
    nb_kmeans_result_clear(&r);
    nb_kmeans_result_clear(&r1);
    nb_kmeans_result_clear(&r2);
    nb_tensor_unref(X);
}

TEST(kmeans_matches_brute_force_labels) {
    /* random data, float32 and float64: the final labels are the nearest
     * centroids by exact distance and the inertia is their sum. k = 6 takes the
     * fused distance kernel (k <= 32, AVX2 CPUs), k = 40 the GEMM path, and
     * k = 6 again with NABLA_KMEANS_GEMM=1 the GEMM path too. */
    for (int f = 0; f < 6; f++) {
        nb_dtype dt = f % 2 ? NB_FLOAT32 : NB_FLOAT64;
        const int64_t kk = f < 2 || f >= 4 ? 6 : 40;
        int64_t n = 700, d = 13, dims[2] = {700, 13};
        nb_tensor *X = nb_tensor_random_normal(dt, 2, dims, 3.0, 2.0, 17);
        nb_kmeans_options o = nb_kmeans_options_default((int)kk);
        o.n_init = 2;
        nb_kmeans_result r;
        if (f >= 4) setenv("NABLA_KMEANS_GEMM", "1", 1);
        CHECK_STATUS(nb_kmeans(X, &o, &r, NULL), NB_OK);
        unsetenv("NABLA_KMEANS_GEMM");
        double inertia = 0;
        int ok = 1;
        for (int64_t i = 0; i < n; i++) {
            double bd = INFINITY;
            int64_t bj = -1;
            for (int64_t j = 0; j < kk; j++) {
                double s = 0;
                for (int64_t q = 0; q < d; q++) {
                    double v = nb_tensor_get_flat(X, i * d + q) - nb_tensor_get_flat(r.centroids, j * d + q);
                    s += v * v;
                }
                if (s < bd) bd = s, bj = j;
            }
            double mine = 0;
            for (int64_t q = 0; q < d; q++) {
                double v = nb_tensor_get_flat(X, i * d + q) - nb_tensor_get_flat(r.centroids, ix(r.labels)[i] * d + q);
                mine += v * v;
            }
            ok &= ix(r.labels)[i] == bj || fabs(mine - bd) < 1e-4 * (1 + bd);
            inertia += mine;
        }
        CHECK(ok);
        CHECK_NEAR(r.inertia, inertia, f % 2 ? 1e-5 : 1e-10);
        nb_kmeans_result_clear(&r);
        nb_tensor_unref(X);
    }
}

TEST(kmeans_errors) {
    nb_error err;
    nb_kmeans_result r;
    nb_tensor *X = mat(NB_FLOAT64, 3, 2, (double[]){0, 0, 1, 1, 2, 2});
    nb_kmeans_options o = nb_kmeans_options_default(4);
    CHECK_STATUS(nb_kmeans(X, &o, &r, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "k = 4 is larger than the 3 rows");
    CHECK(r.centroids == NULL && r.labels == NULL);
    o.k = 0;
    CHECK_STATUS(nb_kmeans(X, &o, &r, &err), NB_ERR_INVALID_ARGUMENT);
    o = nb_kmeans_options_default(2);
    o.n_init = 0;
    CHECK_STATUS(nb_kmeans(X, &o, &r, &err), NB_ERR_INVALID_ARGUMENT);
    o = nb_kmeans_options_default(2);
    o.max_iter = 0;
    CHECK_STATUS(nb_kmeans(X, &o, &r, &err), NB_ERR_INVALID_ARGUMENT);
    o = nb_kmeans_options_default(2);
    o.tol = -1;
    CHECK_STATUS(nb_kmeans(X, &o, &r, &err), NB_ERR_INVALID_ARGUMENT);
    o = nb_kmeans_options_default(2);
    nb_tensor *bad = mat(NB_FLOAT64, 3, 2, (double[]){1, 1, 1, 1, 1, 1});
    o.init_centroids = bad;
    CHECK_STATUS(nb_kmeans(X, &o, &r, &err), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(err.message, "expected [2,2]");
    nb_tensor *icent = nb_tensor_zeros(NB_INT32, 2, (int64_t[]){2, 2});
    o.init_centroids = icent;
    CHECK_STATUS(nb_kmeans(X, &o, &r, &err), NB_ERR_DTYPE);
    o = nb_kmeans_options_default(2);
    nb_tensor *xi = nb_tensor_zeros(NB_INT32, 2, (int64_t[]){3, 2});
    CHECK_STATUS(nb_kmeans(xi, &o, &r, &err), NB_ERR_DTYPE);
    nb_tensor *x1 = nb_tensor_zeros(NB_FLOAT32, 1, (int64_t[]){3});
    CHECK_STATUS(nb_kmeans(x1, &o, &r, &err), NB_ERR_SHAPE);
    nb_tensor *x0 = nb_tensor_zeros(NB_FLOAT32, 2, (int64_t[]){0, 3});
    CHECK_STATUS(nb_kmeans(x0, &o, &r, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "empty data");
    nb_tensor *xn = mat(NB_FLOAT64, 3, 2, (double[]){0, 0, NAN, 1, 2, 2});
    CHECK_STATUS(nb_kmeans(xn, &o, &r, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STR_CONTAINS(err.message, "row 1 column 0 is not finite");
    CHECK_STATUS(nb_kmeans(NULL, &o, &r, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_kmeans(X, NULL, &r, &err), NB_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(nb_kmeans(X, &o, NULL, &err), NB_ERR_INVALID_ARGUMENT);
    /* out of memory: every allocation in turn fails cleanly */
    for (long k = 1; k < 40; k++) {
        nbi_alloc_fail_at(k);
        nb_status st = nb_kmeans(X, &o, &r, &err);
        nbi_alloc_fail_at(0);
        CHECK(st == NB_OK || st == NB_ERR_OUT_OF_MEMORY);
        nb_kmeans_result_clear(&r);
    }
    nb_tensor_unref(X);
    nb_tensor_unref(bad);
    nb_tensor_unref(icent);
    nb_tensor_unref(xi);
    nb_tensor_unref(x1);
    nb_tensor_unref(x0);
    nb_tensor_unref(xn);
}

/*** IDX files ****************************************************************/

/* Writes bytes to a temporary file, gzip'd when gz; returns the path (static per slot). */
static char idx_paths[2][64];
static const char *write_idx(int slot, const unsigned char *b, size_t n, int gz) {
    char *p = idx_paths[slot];
    snprintf(p, sizeof idx_paths[slot], "/tmp/nb_idx_test_XXXXXX");
    int fd = mkstemp(p);
    if (fd < 0) return NULL;
    if (gz) {
        gzFile g = gzdopen(fd, "wb");
        gzwrite(g, b, (unsigned)n);
        gzclose(g);
    } else {
        CHECK(write(fd, b, n) == (ssize_t)n);
        close(fd);
    }
    return p;
}

TEST(idx_reads_plain_and_gzip) {
    /* uint8 images [2, 2, 3] */
    unsigned char f[4 + 12 + 12] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3};
    for (int i = 0; i < 12; i++) f[16 + i] = (unsigned char)(i * 20);
    for (int gz = 0; gz < 2; gz++) {
        const char *p = write_idx(0, f, sizeof f, gz);
        nb_error err;
        nb_tensor *t = nb_idx_load(p, &err);
        CHECK(t != NULL);
        if (t) {
            CHECK(nb_tensor_dtype(t) == NB_UINT8 && nb_tensor_rank(t) == 3);
            CHECK(nb_tensor_dim(t, 0) == 2 && nb_tensor_dim(t, 1) == 2 && nb_tensor_dim(t, 2) == 3);
            CHECK(nb_tensor_get_flat(t, 11) == 220);
        }
        nb_tensor_unref(t);
        unlink(p);
    }
    /* labels [3] and big-endian int32 / float32 / int16 */
    unsigned char lab[8 + 3] = {0, 0, 8, 1, 0, 0, 0, 3, 9, 0, 4};
    const char *p = write_idx(0, lab, sizeof lab, 1);
    nb_tensor *t = nb_idx_load(p, NULL);
    CHECK(t && nb_tensor_rank(t) == 1 && nb_tensor_get_flat(t, 0) == 9 && nb_tensor_get_flat(t, 2) == 4);
    nb_tensor_unref(t);
    unlink(p);
    unsigned char i32[8 + 8] = {0, 0, 0x0C, 1, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFE, 0, 1, 0, 0};
    p = write_idx(0, i32, sizeof i32, 0);
    t = nb_idx_load(p, NULL);
    CHECK(t && nb_tensor_dtype(t) == NB_INT32 && nb_tensor_get_flat(t, 0) == -2 &&
          nb_tensor_get_flat(t, 1) == 65536);
    nb_tensor_unref(t);
    unlink(p);
    unsigned char f32[8 + 4] = {0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0, 0}; /* 1.5f */
    p = write_idx(0, f32, sizeof f32, 1);
    t = nb_idx_load(p, NULL);
    CHECK(t && nb_tensor_dtype(t) == NB_FLOAT32 && nb_tensor_get_flat(t, 0) == 1.5);
    nb_tensor_unref(t);
    unlink(p);
    unsigned char i16[8 + 2] = {0, 0, 0x0B, 1, 0, 0, 0, 1, 0xFF, 0x38}; /* -200 */
    p = write_idx(0, i16, sizeof i16, 0);
    t = nb_idx_load(p, NULL);
    CHECK(t && nb_tensor_get_flat(t, 0) == -200);
    nb_tensor_unref(t);
    unlink(p);
}

TEST(idx_errors_name_file_and_offset) {
    nb_error err;
    CHECK(nb_idx_load("/nonexistent/x.idx.gz", &err) == NULL);
    CHECK_STATUS(err.code, NB_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.message, "/nonexistent/x.idx.gz");
    unsigned char f[16 + 6] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6};
    for (int gz = 0; gz < 2; gz++) {
        const char *p = write_idx(0, f, sizeof f, gz); /* 6 of 12 data bytes */
        CHECK(nb_idx_load(p, &err) == NULL);
        CHECK_STATUS(err.code, NB_ERR_IO);
        CHECK_STR_CONTAINS(err.message, p);
        CHECK_STR_CONTAINS(err.message, "truncated at byte 22");
        unlink(p);
        p = write_idx(0, f, 10, gz); /* inside the second dim (bytes 8-11) */
        CHECK(nb_idx_load(p, &err) == NULL);
        CHECK_STR_CONTAINS(err.message, "truncated at byte 10");
        unlink(p);
    }
    unsigned char bad[8 + 1] = {1, 0, 8, 1, 0, 0, 0, 1, 7};
    const char *p = write_idx(0, bad, sizeof bad, 0);
    CHECK(nb_idx_load(p, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "not an IDX file");
    unlink(p);
    unsigned char type[8 + 1] = {0, 0, 0x42, 1, 0, 0, 0, 1, 7};
    p = write_idx(0, type, sizeof type, 0);
    CHECK(nb_idx_load(p, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "unknown IDX element type 0x42");
    unlink(p);
    unsigned char extra[8 + 2] = {0, 0, 8, 1, 0, 0, 0, 1, 7, 8};
    p = write_idx(0, extra, sizeof extra, 1);
    CHECK(nb_idx_load(p, &err) == NULL);
    CHECK_STR_CONTAINS(err.message, "unexpected data at byte 9");
    unlink(p);
    /* a gzip file with a damaged body */
    unsigned char big[16 + 400] = {0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 10, 0, 0, 0, 10};
    for (int i = 0; i < 400; i++) big[16 + i] = (unsigned char)(i * 7 + i / 3);
    p = write_idx(1, big, sizeof big, 1);
    FILE *fp = fopen(p, "r+b");
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, len - 6, SEEK_SET); /* the CRC in the trailer */
    fputc(0x5A, fp);
    fputc(0xA5, fp);
    fclose(fp);
    CHECK(nb_idx_load(p, &err) == NULL);
    CHECK_STATUS(err.code, NB_ERR_IO);
    CHECK_STR_CONTAINS(err.message, p);
    CHECK_STR_CONTAINS(err.message, "byte");
    unlink(p);
}

int main(int argc, char **argv) { return run_tests(argc, argv); }
