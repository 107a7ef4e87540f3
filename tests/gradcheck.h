/*
 * gradcheck.h — the finite-difference gradient harness shared by test_grad.c
 * and the per-family case files it includes (tests/grad_cases_*.inc).
 *
 * For a case with inputs x_i, the harness builds loss = sum(r * op(x)) with a
 * fixed random r, asks nb_gradients for d loss / d x_i, and compares each
 * element with (loss(x + h e) - loss(x - h e)) / 2h. Each case runs twice:
 * with fully known placeholder shapes, and with every dim unknown (so the
 * run-time broadcasting path is checked too). A coverage test fails when an
 * op that has a gradient builder appears in no case.
 */
#ifndef NB_GRADCHECK_H
#define NB_GRADCHECK_H

#include "harness.h"
#include "ops/ops_impl.h"

#define MAXIN 4

typedef nb_output (*build_fn)(nb_graph *g, const nb_output *x);

typedef struct {
    const char *name;
    int n_in;
    int rank[MAXIN];
    int64_t dims[MAXIN][4];
    double lo, hi;        /* input range */
    build_fn build;
    bool static_only;     /* needs known shapes (e.g. its gradient is built from them) */
} gcase;

/* Builders are one-liners: B1(name, expression using g and x[]). */
#define B1(fname, EXPR) \
    static nb_output fname(nb_graph *g, const nb_output *x) { return EXPR; }

static bool covered[NBI_OP_COUNT];

static void fill_random(nb_tensor *t, double lo, double hi, uint64_t *state) {
    for (int64_t i = 0; i < nb_tensor_size(t); i++) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(*state >> 11) / 9007199254740992.0;
        nb_tensor_set_flat(t, i, lo + (hi - lo) * u);
    }
}

/* Evaluates loss at the given inputs. */
static double eval_loss(nb_session *s, nb_output loss, const nb_output *ph, nb_tensor **vals, int n) {
    nb_feed f[MAXIN];
    for (int i = 0; i < n; i++) f[i] = (nb_feed){ph[i], vals[i]};
    nb_tensor *t = nb_session_eval(s, loss, f, n);
    if (!t) {
        FAILF("loss eval: %s", nb_session_errmsg(s));
        return NAN;
    }
    double v = nb_tensor_scalar_f64(t);
    nb_tensor_unref(t);
    return v;
}

static void run_case(const gcase *c, bool dynamic) {
    nb_graph *g = nb_graph_new();
    nb_output ph[MAXIN];
    nb_tensor *vals[MAXIN];
    uint64_t state = 12345;
    for (int i = 0; i < c->n_in; i++) {
        int64_t d[4];
        for (int k = 0; k < c->rank[i]; k++) d[k] = dynamic ? NB_DIM_UNKNOWN : c->dims[i][k];
        ph[i] = nb_placeholder(g, NB_FLOAT64, nb_shape_make(c->rank[i], d), NULL);
        vals[i] = nb_tensor_new(NB_FLOAT64, c->rank[i], c->dims[i], NULL);
        fill_random(vals[i], c->lo, c->hi, &state);
    }
    int before = nb_graph_num_ops(g);
    nb_output y = c->build(g, ph);
    for (int i = before; i < nb_graph_num_ops(g); i++) covered[nb_graph_op(g, i)->type] = true;
    /* r: random weights shaped like y, fed (its shape may be unknown statically) */
    nb_output rph = nb_placeholder(g, NB_FLOAT64, nb_output_shape(y), "r");
    nb_output loss = nb_reduce_sum(g, nb_multiply(g, rph, y, NULL), NULL, NB_ALL_AXES, false, "loss");
    nb_output grads[MAXIN];
    nb_gradients(g, &loss, 1, ph, c->n_in, NULL, grads);
    for (int i = nb_graph_num_ops(g) - 1; i >= before; i--) covered[nb_graph_op(g, i)->type] = true;
    if (nb_graph_status(g) != NB_OK) {
        FAILF("%s%s: graph error: %s", c->name, dynamic ? " (dynamic)" : "", nb_graph_errmsg(g));
        goto out;
    }
    nb_session *s = nb_session_new(g);
    /* y's value gives r's shape */
    nb_feed f[MAXIN + 1];
    for (int i = 0; i < c->n_in; i++) f[i] = (nb_feed){ph[i], vals[i]};
    nb_tensor *yv = nb_session_eval(s, y, f, c->n_in);
    if (!yv) {
        FAILF("%s: forward: %s", c->name, nb_session_errmsg(s));
        nb_session_free(s);
        goto out;
    }
    nb_tensor *r = nb_tensor_new(NB_FLOAT64, nb_tensor_rank(yv), nb_tensor_dims(yv), NULL);
    fill_random(r, -1.0, 1.0, &state);
    nb_tensor_unref(yv);
    f[c->n_in] = (nb_feed){rph, r};
    nb_output all_ph[MAXIN + 1];
    nb_tensor *all_vals[MAXIN + 1];
    for (int i = 0; i < c->n_in; i++) {
        all_ph[i] = ph[i];
        all_vals[i] = vals[i];
    }
    all_ph[c->n_in] = rph;
    all_vals[c->n_in] = r;
    for (int i = 0; i < c->n_in; i++) {
        checks_++;
        if (nb_output_is_nil(grads[i])) {
            FAILF("%s: no gradient for input %d", c->name, i);
            continue;
        }
        nb_tensor *ga = nb_session_eval(s, grads[i], f, c->n_in + 1);
        if (!ga) {
            FAILF("%s%s: gradient %d: %s", c->name, dynamic ? " (dynamic)" : "", i, nb_session_errmsg(s));
            continue;
        }
        if (nb_tensor_size(ga) != nb_tensor_size(vals[i])) {
            FAILF("%s: gradient %d has %lld elements, input has %lld", c->name, i,
                  (long long)nb_tensor_size(ga), (long long)nb_tensor_size(vals[i]));
            nb_tensor_unref(ga);
            continue;
        }
        double *x = nb_tensor_data(vals[i]);
        for (int64_t e = 0; e < nb_tensor_size(vals[i]); e++) {
            double h = 1e-6 * (1.0 + fabs(x[e])), save = x[e];
            x[e] = save + h;
            double lp = eval_loss(s, loss, all_ph, all_vals, c->n_in + 1);
            x[e] = save - h;
            double lm = eval_loss(s, loss, all_ph, all_vals, c->n_in + 1);
            x[e] = save;
            double num = (lp - lm) / (2 * h), ana = nb_tensor_get_flat(ga, e);
            checks_++;
            if (!(fabs(num - ana) <= 1e-5 + 1e-5 * fabs(num))) {
                FAILF("%s%s: d loss / d x%d[%lld]: analytic %.10g, numeric %.10g", c->name,
                      dynamic ? " (dynamic)" : "", i, (long long)e, ana, num);
                break;
            }
        }
        nb_tensor_unref(ga);
    }
    nb_tensor_unref(r);
    nb_session_free(s);
out:
    for (int i = 0; i < c->n_in; i++) nb_tensor_unref(vals[i]);
    nb_graph_free(g);
}

#endif
