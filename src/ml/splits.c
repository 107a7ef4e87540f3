/*
 * splits.c — dataset splits for model evaluation and the helpers that run a
 * user's fit-and-score function over them.
 *
 * Holdout (scikit-learn's ShuffleSplit / StratifiedShuffleSplit: ceil(f * n)
 * test rows), repeated holdout, k-fold (KFold's contiguous folds; stratified
 * folds deal each class round-robin), leave-one-out, and the bootstrap with
 * its out-of-bag test set and Efron's 0.632 estimate (B. Efron, "Estimating
 * the error rate of a prediction rule", JASA 1983).
 *
 * A splits object stores only what cannot be recomputed cheaply (the fold of
 * each row, the class of each row); each split is generated on demand from
 * Philox stream i of the seed, so split i is the same whenever it is asked for.
 */
#include "core/core.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

enum { SPLIT_HOLDOUT, SPLIT_KFOLD, SPLIT_LOO, SPLIT_BOOTSTRAP };

struct nb_splits {
    int kind;
    int64_t n;
    int count;
    uint64_t seed;
    int64_t n_test;        /* holdout: test rows */
    int n_classes;         /* stratified: number of classes, else 0 */
    int64_t *class_of;     /* [n] class index of each row (stratified) */
    int64_t *class_test;   /* [n_classes] holdout: test rows per class */
    int64_t *fold_of;      /* [n] k-fold: fold of each row */
};

/*** Helpers ******************************************************************/

/* Uniform integer in [0, m) from 64 random bits (bias below 2^-40 for m < 2^24). */
static int64_t rand_below(nbi_philox *r, int64_t m) {
    uint64_t v = ((uint64_t)nbi_philox_u32(r) << 32) | nbi_philox_u32(r);
    return (int64_t)(v % (uint64_t)m);
}

/* Fisher-Yates shuffle. */
static void shuffle(int64_t *a, int64_t n, nbi_philox *r) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = rand_below(r, i + 1);
        int64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static nb_splits *splits_new(int kind, int64_t n, int count, uint64_t seed, nb_error *err) {
    nb_splits *s = nbi_calloc(1, sizeof *s);
    if (!s) {
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "nb_splits: out of memory");
        return NULL;
    }
    s->kind = kind;
    s->n = n;
    s->count = count;
    s->seed = seed;
    return s;
}

void nb_splits_free(nb_splits *s) {
    if (!s) return;
    nbi_free(s->class_of);
    nbi_free(s->class_test);
    nbi_free(s->fold_of);
    nbi_free(s);
}

int nb_splits_count(const nb_splits *s) { return s ? s->count : 0; }

/* Maps the strata labels to class indices 0..C-1 (in ascending label order). */
static nb_status set_strata(nb_splits *s, const nb_tensor *strata, const char *fn, nb_error *err) {
    const int64_t n = s->n;
    if (strata->size != n)
        return nbi_set_error(err, NB_ERR_SHAPE,
                             "%s: strata has %lld elements for %lld rows; pass one label per row",
                             fn, (long long)strata->size, (long long)n);
    if (!nbi_dtype_valid(strata->dtype) || strata->dtype == NB_BOOL)
        return nbi_set_error(err, NB_ERR_DTYPE, "%s: strata must hold integer labels, got %s", fn,
                             nb_dtype_name(strata->dtype));
    int64_t *vals = nbi_malloc(sizeof(int64_t) * (size_t)n);
    s->class_of = nbi_malloc(sizeof(int64_t) * (size_t)n);
    if (!vals || !s->class_of) {
        nbi_free(vals);
        return nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
    }
    for (int64_t i = 0; i < n; i++) {
        double v = nbi_load(strata->data, strata->dtype, i);
        if (!(v == floor(v)) || fabs(v) > 9.0e15) {
            nbi_free(vals);
            return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                                 "%s: strata[%lld] = %g is not an integer class label", fn,
                                 (long long)i, v);
        }
        vals[i] = (int64_t)v;
    }
    int64_t *sorted = nbi_malloc(sizeof(int64_t) * (size_t)n);
    if (!sorted) {
        nbi_free(vals);
        return nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
    }
    memcpy(sorted, vals, sizeof(int64_t) * (size_t)n);
    qsort(sorted, (size_t)n, sizeof(int64_t), cmp_i64);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (i == 0 || sorted[i] != sorted[m - 1]) sorted[m++] = sorted[i];
    for (int64_t i = 0; i < n; i++) {
        int64_t lo = 0, hi = m - 1;
        while (lo < hi) {
            int64_t mid = (lo + hi) / 2;
            if (sorted[mid] < vals[i]) lo = mid + 1;
            else hi = mid;
        }
        s->class_of[i] = lo;
    }
    nbi_free(vals);
    nbi_free(sorted);
    if (m > INT_MAX) return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: too many classes", fn);
    s->n_classes = (int)m;
    return NB_OK;
}

/* Row count of each class [n_classes] (malloc'd) or NULL. */
static int64_t *class_counts(const nb_splits *s) {
    int64_t *c = nbi_calloc((size_t)s->n_classes, sizeof(int64_t));
    if (c)
        for (int64_t i = 0; i < s->n; i++) c[s->class_of[i]]++;
    return c;
}

/*** Constructors *************************************************************/

nb_splits *nb_splits_repeated_holdout(int64_t n, double test_fraction, int repeats,
                                      const nb_tensor *strata, uint64_t seed, nb_error *err) {
    const char *fn = "nb_splits_holdout";
    if (n < 2) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "%s: %s (%lld rows); a holdout needs at least 2 rows", fn,
                      n < 1 ? "empty data" : "too few rows", (long long)n);
        return NULL;
    }
    if (!(test_fraction > 0 && test_fraction < 1)) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "%s: test_fraction = %g; it must lie strictly between 0 and 1", fn,
                      test_fraction);
        return NULL;
    }
    if (repeats < 1) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: repeats = %d; must be >= 1", fn, repeats);
        return NULL;
    }
    int64_t n_test = (int64_t)ceil(test_fraction * (double)n - 1e-9);
    if (n_test < 1 || n_test > n - 1) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "%s: test_fraction %g of %lld rows gives %lld test rows, leaving the %s set "
                      "empty",
                      fn, test_fraction, (long long)n, (long long)n_test,
                      n_test < 1 ? "test" : "train");
        return NULL;
    }
    nb_splits *s = splits_new(SPLIT_HOLDOUT, n, repeats, seed, err);
    if (!s) return NULL;
    s->n_test = n_test;
    if (strata) {
        if (set_strata(s, strata, fn, err) != NB_OK) goto fail;
        int64_t *cnt = class_counts(s);
        s->class_test = nbi_calloc((size_t)s->n_classes, sizeof(int64_t));
        double *rem = nbi_calloc((size_t)s->n_classes, sizeof(double));
        if (!cnt || !s->class_test || !rem) {
            nbi_free(cnt);
            nbi_free(rem);
            nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
            goto fail;
        }
        /* Largest remainder: floor shares first, then one more row to the classes
         * with the largest fractional parts (ties: the earlier class). */
        int64_t given = 0;
        for (int c = 0; c < s->n_classes; c++) {
            double share = (double)n_test * (double)cnt[c] / (double)n;
            s->class_test[c] = (int64_t)floor(share);
            rem[c] = share - floor(share);
            given += s->class_test[c];
        }
        while (given < n_test) {
            int best = -1;
            for (int c = 0; c < s->n_classes; c++)
                if (s->class_test[c] < cnt[c] && (best < 0 || rem[c] > rem[best])) best = c;
            if (best < 0) break;
            s->class_test[best]++;
            rem[best] = -1;
            given++;
        }
        nbi_free(cnt);
        nbi_free(rem);
    }
    return s;
fail:
    nb_splits_free(s);
    return NULL;
}

nb_splits *nb_splits_holdout(int64_t n, double test_fraction, const nb_tensor *strata,
                             uint64_t seed, nb_error *err) {
    return nb_splits_repeated_holdout(n, test_fraction, 1, strata, seed, err);
}

nb_splits *nb_splits_kfold(int64_t n, int k, bool shuffle_rows, const nb_tensor *strata,
                           uint64_t seed, nb_error *err) {
    const char *fn = "nb_splits_kfold";
    if (n < 1) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: empty data (0 rows)", fn);
        return NULL;
    }
    if (k < 2) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: k = %d; k-fold needs k >= 2 folds", fn, k);
        return NULL;
    }
    if (k > n) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "%s: k = %d folds is larger than the %lld rows; use k <= rows "
                      "(k = rows is leave-one-out)",
                      fn, k, (long long)n);
        return NULL;
    }
    nb_splits *s = splits_new(SPLIT_KFOLD, n, k, seed, err);
    if (!s) return NULL;
    s->fold_of = nbi_malloc(sizeof(int64_t) * (size_t)n);
    int64_t *order = nbi_malloc(sizeof(int64_t) * (size_t)n);
    int64_t *cnt = NULL;
    if (!s->fold_of || !order) {
        nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
        goto fail;
    }
    nbi_philox rng;
    nbi_philox_init(&rng, seed, 0, 0);
    if (strata) {
        if (set_strata(s, strata, fn, err) != NB_OK) goto fail;
        cnt = class_counts(s);
        if (!cnt) {
            nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
            goto fail;
        }
        for (int c = 0; c < s->n_classes; c++) {
            if (cnt[c] < k) {
                /* name the label as the user knows it */
                int64_t row = 0;
                while (s->class_of[row] != c) row++;
                nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                              "%s: class %g has %lld rows, fewer than the %d folds; use at most "
                              "%lld folds or do not stratify",
                              fn, nbi_load(strata->data, strata->dtype, row), (long long)cnt[c], k,
                              (long long)cnt[c]);
                goto fail;
            }
        }
        /* Deal each class's rows round-robin, the counter running on across
         * classes, so fold sizes stay within one row of each other. */
        int64_t pos = 0;
        for (int c = 0; c < s->n_classes; c++) {
            int64_t m = 0;
            for (int64_t i = 0; i < n; i++)
                if (s->class_of[i] == c) order[m++] = i;
            if (shuffle_rows) shuffle(order, m, &rng);
            for (int64_t j = 0; j < m; j++) s->fold_of[order[j]] = pos++ % k;
        }
    } else {
        for (int64_t i = 0; i < n; i++) order[i] = i;
        if (shuffle_rows) shuffle(order, n, &rng);
        int64_t at = 0;
        for (int f = 0; f < k; f++) {
            int64_t size = n / k + (f < n % k ? 1 : 0);
            for (int64_t j = 0; j < size; j++) s->fold_of[order[at++]] = f;
        }
    }
    nbi_free(order);
    nbi_free(cnt);
    return s;
fail:
    nbi_free(order);
    nbi_free(cnt);
    nb_splits_free(s);
    return NULL;
}

nb_splits *nb_splits_leave_one_out(int64_t n, nb_error *err) {
    if (n < 2) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "nb_splits_leave_one_out: %s (%lld rows); leave-one-out needs at least 2",
                      n < 1 ? "empty data" : "too few rows", (long long)n);
        return NULL;
    }
    if (n > INT_MAX) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "nb_splits_leave_one_out: %lld rows make more splits than an int counts",
                      (long long)n);
        return NULL;
    }
    return splits_new(SPLIT_LOO, n, (int)n, 0, err);
}

nb_splits *nb_splits_bootstrap(int64_t n, int repeats, uint64_t seed, nb_error *err) {
    if (n < 2) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                      "nb_splits_bootstrap: %s (%lld rows); the bootstrap needs at least 2",
                      n < 1 ? "empty data" : "too few rows", (long long)n);
        return NULL;
    }
    if (repeats < 1) {
        nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_splits_bootstrap: repeats = %d; must be >= 1",
                      repeats);
        return NULL;
    }
    return splits_new(SPLIT_BOOTSTRAP, n, repeats, seed, err);
}

/*** Generating a split *******************************************************/

nb_status nb_splits_get(const nb_splits *s, int i, nb_tensor **train, nb_tensor **test,
                        nb_error *err) {
    if (train) *train = NULL;
    if (test) *test = NULL;
    if (!s || !train || !test)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                             "nb_splits_get: splits, train and test must not be NULL");
    if (i < 0 || i >= s->count)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                             "nb_splits_get: split %d is out of range (%d splits)", i, s->count);
    const int64_t n = s->n;
    int64_t *a = nbi_malloc(sizeof(int64_t) * (size_t)n);  /* scratch */
    int64_t *tr = nbi_malloc(sizeof(int64_t) * (size_t)n); /* train rows */
    int64_t *te = nbi_malloc(sizeof(int64_t) * (size_t)n); /* test rows */
    int64_t ntr = 0, nte = 0;
    nb_tensor *ttr = NULL, *tte = NULL;
    if (!a || !tr || !te) goto oom;
    nbi_philox rng;
    nbi_philox_init(&rng, s->seed, 0, (uint32_t)i);
    switch (s->kind) {
    case SPLIT_HOLDOUT:
        if (s->n_classes == 0) {
            for (int64_t j = 0; j < n; j++) a[j] = j;
            shuffle(a, n, &rng);
            for (int64_t j = 0; j < n; j++) {
                if (j < s->n_test) te[nte++] = a[j];
                else tr[ntr++] = a[j];
            }
        } else {
            for (int c = 0; c < s->n_classes; c++) {
                int64_t m = 0;
                for (int64_t j = 0; j < n; j++)
                    if (s->class_of[j] == c) a[m++] = j;
                shuffle(a, m, &rng);
                for (int64_t j = 0; j < m; j++) {
                    if (j < s->class_test[c]) te[nte++] = a[j];
                    else tr[ntr++] = a[j];
                }
            }
        }
        qsort(tr, (size_t)ntr, sizeof(int64_t), cmp_i64);
        qsort(te, (size_t)nte, sizeof(int64_t), cmp_i64);
        break;
    case SPLIT_KFOLD:
        for (int64_t j = 0; j < n; j++) {
            if (s->fold_of[j] == i) te[nte++] = j;
            else tr[ntr++] = j;
        }
        break;
    case SPLIT_LOO:
        for (int64_t j = 0; j < n; j++) {
            if (j == i) te[nte++] = j;
            else tr[ntr++] = j;
        }
        break;
    default: /* SPLIT_BOOTSTRAP */
        memset(a, 0, sizeof(int64_t) * (size_t)n);
        for (int64_t j = 0; j < n; j++) {
            int64_t r = rand_below(&rng, n);
            tr[ntr++] = r;
            a[r] = 1;
        }
        for (int64_t j = 0; j < n; j++)
            if (!a[j]) te[nte++] = j;
        break;
    }
    ttr = nb_tensor_new(NB_INT64, 1, &ntr, tr);
    tte = nb_tensor_new(NB_INT64, 1, &nte, te);
    if (!ttr || !tte) goto oom;
    nbi_free(a);
    nbi_free(tr);
    nbi_free(te);
    *train = ttr;
    *test = tte;
    return NB_OK;
oom:
    nb_tensor_unref(ttr);
    nb_tensor_unref(tte);
    nbi_free(a);
    nbi_free(tr);
    nbi_free(te);
    return nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "nb_splits_get: out of memory for %lld rows",
                         (long long)n);
}

/*** Evaluation ***************************************************************/

/* Runs the callback once; on NaN turns the outcome into a status. */
static nb_status call_fit(nb_cv_fit_score fn, const nb_tensor *tr, const nb_tensor *te, void *ctx,
                          int i, int count, double *out, nb_error *err) {
    if (err) {
        err->code = NB_OK;
        err->message[0] = '\0';
    }
    double v = fn(tr, te, ctx);
    if (!isnan(v)) {
        *out = v;
        return NB_OK;
    }
    if (err && err->code != NB_OK) {
        char msg[sizeof err->message];
        memcpy(msg, err->message, sizeof msg);
        msg[sizeof msg - 1] = '\0';
        return nbi_set_error(err, err->code, "split %d of %d: %s", i + 1, count, msg);
    }
    return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                         "split %d of %d: fit_and_score returned NaN without setting a status",
                         i + 1, count);
}

static nb_status evaluate(const nb_splits *s, nb_cv_fit_score fn, void *ctx, bool b632,
                          nb_cv_result *res, double *errors, nb_error *err) {
    const char *name = b632 ? "nb_cv_bootstrap632" : "nb_cv_evaluate";
    if (res) {
        memset(res, 0, sizeof *res);
        res->mean = res->std = res->train_mean = res->estimate = NAN;
    }
    if (!s || !fn || !res)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: splits, callback and result must not be NULL", name);
    if (b632 && s->kind != SPLIT_BOOTSTRAP)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT,
                             "%s: the 0.632 estimate needs splits from nb_splits_bootstrap", name);
    double *vals = nbi_malloc(sizeof(double) * (size_t)s->count);
    if (!vals) return nbi_set_error(err, NB_ERR_OUT_OF_MEMORY, "%s: out of memory", name);
    double sum = 0, sum_train = 0;
    int used = 0;
    for (int i = 0; i < s->count; i++) {
        nb_tensor *tr, *te;
        nb_status st = nb_splits_get(s, i, &tr, &te, err);
        if (st != NB_OK) {
            nbi_free(vals);
            return st;
        }
        if (errors) errors[i] = NAN;
        if (te->size == 0) { /* only a tiny bootstrap can draw every row */
            nb_tensor_unref(tr);
            nb_tensor_unref(te);
            continue;
        }
        double e = 0, etr = 0;
        st = call_fit(fn, tr, te, ctx, i, s->count, &e, err);
        if (st == NB_OK && b632) st = call_fit(fn, tr, tr, ctx, i, s->count, &etr, err);
        nb_tensor_unref(tr);
        nb_tensor_unref(te);
        if (st != NB_OK) {
            nbi_free(vals);
            return st;
        }
        if (errors) errors[i] = e;
        vals[used++] = e;
        sum += e;
        sum_train += etr;
    }
    if (used == 0) {
        nbi_free(vals);
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: every test set is empty", name);
    }
    res->n_splits = used;
    res->mean = sum / used;
    double var = 0;
    for (int i = 0; i < used; i++) var += (vals[i] - res->mean) * (vals[i] - res->mean);
    nbi_free(vals);
    res->std = sqrt(var / used);
    if (b632) {
        res->train_mean = sum_train / used;
        res->estimate = 0.632 * res->mean + 0.368 * res->train_mean;
    } else {
        res->estimate = res->mean;
    }
    if (err) {
        err->code = NB_OK;
        err->message[0] = '\0';
    }
    return NB_OK;
}

nb_status nb_cv_evaluate(const nb_splits *s, nb_cv_fit_score fit_and_score, void *ctx,
                         nb_cv_result *result, double *errors, nb_error *err) {
    return evaluate(s, fit_and_score, ctx, false, result, errors, err);
}

nb_status nb_cv_bootstrap632(const nb_splits *s, nb_cv_fit_score fit_and_score, void *ctx,
                             nb_cv_result *result, nb_error *err) {
    return evaluate(s, fit_and_score, ctx, true, result, NULL, err);
}
