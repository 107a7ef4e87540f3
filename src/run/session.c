/*
 * session.c — sessions: variable storage, plan compilation and the executor.
 *
 * A (feeds, fetches) signature is compiled once into a plan: the ops the
 * fetches need (creation order is topological, see graph.c), one value slot
 * per output, and for each step the slots to release after it (liveness).
 * Plans are cached. Output buffers come from the plan's pool: a tensor the
 * pool alone references is free; each step remembers which pool entry it
 * used last, so a steady-state run allocates nothing and searches nothing.
 */
#include "run/run.h"
#include "kernel/exec.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

struct nb_session {
    nb_graph *graph;
    nbi_kstate ks;        /* variables, random-op counters, status and message */
    nbi_plan **plans;
    int n_plans, cap_plans;
    uint64_t id;          /* unique in the process: names the session in tl_last */
    /* Runs from several threads are serialized: a plan's value slots, pool and
     * scratch, the variables and the random-op counters are shared state. */
    pthread_mutex_t lock;
    bool check_numerics;  /* nb_session_set_check_numerics */
};

/*** errors ***/

static nb_status sess_error(nb_session *s, nb_status code, const char *fmt, ...)
    NBI_PRINTF(3, 4);
static nb_status sess_error(nb_session *s, nb_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    nbi_vrecord_error(&s->ks.status, s->ks.errmsg, sizeof s->ks.errmsg, code, fmt, ap);
    va_end(ap);
    return code;
}

/* The calling thread's last result on one session (nb_session_status and
 * nb_session_errmsg): a run of another thread, which resets and rewrites the
 * session's own status and message under the lock, cannot clear or overwrite
 * it, nor race with the caller reading it. */
static _Thread_local struct {
    uint64_t id; /* nb_session.id; 0: none */
    nb_status status;
    char msg[NBI_MSG_MAX];
} tl_last;
static atomic_uint_fast64_t next_session_id = 1;

/* Copies s's status and message for this thread; called with s->lock held. */
static nb_status remember(const nb_session *s, nb_status ret) {
    tl_last.id = s->id;
    tl_last.status = s->ks.status;
    size_t n = strlen(s->ks.errmsg);
    memcpy(tl_last.msg, s->ks.errmsg, n + 1);
    return ret;
}

nb_status nb_session_status(const nb_session *s) {
    if (!s) return NB_ERR_INVALID_ARGUMENT;
    return tl_last.id == s->id ? tl_last.status : s->ks.status;
}
const char *nb_session_errmsg(const nb_session *s) {
    if (!s) return "session is NULL";
    return tl_last.id == s->id ? tl_last.msg : s->ks.errmsg;
}
nb_graph *nb_session_graph(const nb_session *s) { return s ? s->graph : NULL; }

/*** lifetime ***/

static void plan_free(nbi_plan *p) {
    if (!p) return;
    for (int i = 0; i < p->n_steps; i++) {
        nbi_free(p->steps[i].in_slot);
        nbi_free(p->steps[i].release);
        nbi_free(p->steps[i].hint);
        if (p->steps[i].view) atomic_store(&p->steps[i].view->view_plan, NULL);
        nb_tensor_unref(p->steps[i].view);
        nbi_aligned_free(p->steps[i].scratch);
    }
    nbi_free(p->steps);
    if (p->values)
        for (int i = 0; i < p->n_slots; i++) nb_tensor_unref(p->values[i]);
    nbi_free(p->values);
    for (int i = 0; i < p->n_pool; i++) {
        p->pool[i]->pool_index = -1;
        nb_tensor_unref(p->pool[i]);
    }
    nbi_free(p->pool);
    nbi_free(p->feeds);
    nbi_free(p->fetches);
    nbi_free(p->feed_slot);
    nbi_free(p->fetch_slot);
    nbi_free(p->end_slots);
    nbi_free(p->in_buf);
    nbi_free(p->in_buf2);
    nbi_free(p->in_buf3);
    nbi_free(p);
}

nb_session *nb_session_new(nb_graph *g) {
    nb_session *s = nbi_calloc(1, sizeof *s);
    if (!s) return NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        nbi_free(s);
        return NULL;
    }
    s->id = atomic_fetch_add(&next_session_id, 1);
    if (!g) {
        sess_error(s, NB_ERR_INVALID_ARGUMENT, "nb_session_new: the graph is NULL");
        return s;
    }
    s->graph = g;
    atomic_fetch_add_explicit(&g->refcount, 1, memory_order_relaxed);
    uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s;
    s->ks.session_seed = t * 0x9E3779B97F4A7C15ull;
    if (g->status != NB_OK)
        sess_error(s, g->status, "the graph has an error, so it cannot run: %s", g->errmsg);
    return s;
}

void nb_session_free(nb_session *s) {
    if (!s) return;
    for (int i = 0; i < s->n_plans; i++) plan_free(s->plans[i]);
    nbi_free(s->plans);
    for (int i = 0; i < s->ks.n_vars; i++) nb_tensor_unref(s->ks.vars[i]);
    nbi_free(s->ks.vars);
    nbi_free(s->ks.runs);
    nbi_graph_unref(s->graph);
    pthread_mutex_destroy(&s->lock);
    nbi_free(s);
}

static bool grow_state(nb_session *s) {
    nb_graph *g = s->graph;
    if (s->ks.n_vars < g->n_vars) {
        nb_tensor **v = nbi_realloc(s->ks.vars, (size_t)g->n_vars * sizeof *v);
        if (!v) return false;
        for (int i = s->ks.n_vars; i < g->n_vars; i++) v[i] = NULL;
        s->ks.vars = v;
        s->ks.n_vars = g->n_vars;
    }
    if (s->ks.n_runs < g->n_ops) {
        uint32_t *r = nbi_realloc(s->ks.runs, (size_t)g->n_ops * sizeof *r);
        if (!r) return false;
        for (int i = s->ks.n_runs; i < g->n_ops; i++) r[i] = 0;
        s->ks.runs = r;
        s->ks.n_runs = g->n_ops;
    }
    return true;
}

/* Drops a value of plan p. A view whose only other holder is its step's cache
 * (in this plan) lets go of its base at once, so the base's buffer is free
 * again (pool) or writable in place (a variable). */
static inline void release_value(const nbi_plan *p, nb_tensor *t) {
    if (t && atomic_load_explicit(&t->view_plan, memory_order_relaxed) == (const void *)p &&
        nbi_refcount(t) == 2 && t->base) {
        nb_tensor *b = t->base;
        t->base = NULL;
        t->data = NULL;
        nbi_unref(b);
    }
    nbi_unref(t);
}

/* Hands a pool tensor to the caller: the pool forgets it. */
static void pool_release(nbi_plan *p, nb_tensor *t) {
    int i = t->pool_index;
    if (i < 0 || i >= p->n_pool || p->pool[i] != t) return;
    p->pool[i] = p->pool[--p->n_pool];
    p->pool[i]->pool_index = i;
    t->pool_index = -1;
    nb_tensor_unref(t); /* the pool's reference */
}

/*** compiling a plan ***/

static bool out_eq(nb_output a, nb_output b) { return a.op == b.op && a.index == b.index; }

static int find_feed(const nb_feed *feeds, int n, nb_output o) {
    for (int i = 0; i < n; i++)
        if (out_eq(feeds[i].output, o)) return i;
    return -1;
}

/* Whether step x (index xi) may read its inputs at step c instead: it
 * updates no variable itself, and no step after it up to c writes a
 * variable it reads. */
static bool inputs_stay(const nbi_plan *p, const nbi_step *x, int xi, int c) {
    for (int j = 0; j < x->n_in; j++) {
        int vs = x->in_slot[j];
        if (vs == -1) return false;
        for (int t = xi + 1; vs <= -2 && t <= c; t++)
            for (int jj = 0; jj < p->steps[t].n_in; jj++)
                if (p->steps[t].in_slot[jj] == -1 && p->steps[t].op->inputs[jj].op->variable->var_index == -2 - vs)
                    return false;
    }
    return true;
}

static nbi_plan *compile(nb_session *s, const nb_feed *feeds, int n_feeds,
                         const nb_output *fetches, int n_fetches) {
    nb_graph *g = s->graph;
    int n_ops = g->n_ops;
    nbi_plan *p = nbi_calloc(1, sizeof *p);
    char *need = nbi_calloc((size_t)n_ops + 1, 1);
    char *slotted = nbi_calloc((size_t)n_ops + 1, 1);
    int *stack = nbi_malloc(((size_t)n_ops + 1) * sizeof *stack);
    int *base = nbi_malloc(((size_t)n_ops + 1) * sizeof *base);
    int *last = NULL, *uses = NULL, *step_of = NULL;
    if (!p || !need || !slotted || !stack || !base) goto oom;
    p->n_graph_ops = n_ops;
    p->n_feeds = n_feeds;
    p->n_fetches = n_fetches;
    p->feeds = nbi_calloc((size_t)n_feeds + 1, sizeof *p->feeds);
    p->fetches = nbi_calloc((size_t)n_fetches + 1, sizeof *p->fetches);
    p->feed_slot = nbi_calloc((size_t)n_feeds + 1, sizeof *p->feed_slot);
    p->fetch_slot = nbi_calloc((size_t)n_fetches + 1, sizeof *p->fetch_slot);
    if (!p->feeds || !p->fetches || !p->feed_slot || !p->fetch_slot) goto oom;
    for (int i = 0; i < n_feeds; i++) {
        p->feeds[i] = feeds[i].output;
        slotted[feeds[i].output.op->id] = 1;
    }
    for (int i = 0; i < n_fetches; i++) p->fetches[i] = fetches[i];

    /* Which ops run: walk back from the fetches, stopping at fed outputs. */
    int sp = 0;
    for (int i = 0; i < n_fetches; i++) {
        if (find_feed(feeds, n_feeds, fetches[i]) >= 0) continue;
        int id = fetches[i].op->id;
        if (!need[id]) {
            need[id] = 1;
            stack[sp++] = id;
        }
    }
    while (sp > 0) {
        nb_op *op = g->ops[stack[--sp]];
        for (int i = 0; i < op->n_inputs; i++) {
            nb_output in = op->inputs[i];
            if (find_feed(feeds, n_feeds, in) >= 0) continue;
            if (!need[in.op->id]) {
                need[in.op->id] = 1;
                stack[sp++] = in.op->id;
            }
        }
        for (int i = 0; i < op->n_control; i++) {
            int id = op->control[i]->id;
            if (!need[id]) {
                need[id] = 1;
                stack[sp++] = id;
            }
        }
    }
    /* Slots for every output of a running op and every fed output. */
    int n_slots = 0, n_steps = 0, max_in = 1;
    for (int i = 0; i < n_ops; i++) {
        base[i] = -1;
        if (need[i] || slotted[i]) {
            base[i] = n_slots;
            n_slots += g->ops[i]->n_outputs;
        }
        if (need[i]) {
            n_steps++;
            if (g->ops[i]->n_inputs > max_in) max_in = g->ops[i]->n_inputs;
        }
    }
    p->n_slots = n_slots;
    p->values = nbi_calloc((size_t)n_slots + 1, sizeof *p->values);
    p->steps = nbi_calloc((size_t)n_steps + 1, sizeof *p->steps);
    p->in_buf = nbi_calloc((size_t)max_in, sizeof *p->in_buf);
    p->in_buf2 = nbi_calloc((size_t)max_in, sizeof *p->in_buf2);
    p->in_buf3 = nbi_calloc((size_t)max_in, sizeof *p->in_buf3);
    last = nbi_malloc(((size_t)n_slots + 1) * sizeof *last);
    uses = nbi_calloc((size_t)n_slots + 1, sizeof *uses);
    step_of = nbi_malloc(((size_t)n_ops + 1) * sizeof *step_of);
    if (!p->values || !p->steps || !p->in_buf || !p->in_buf2 || !p->in_buf3 || !last || !uses || !step_of) goto oom;
    p->n_steps = n_steps; /* the steps are zeroed: plan_free can free a partial plan */
    for (int i = 0; i < n_slots; i++) last[i] = -1;
    for (int i = 0; i < n_feeds; i++) {
        p->feed_slot[i] = base[feeds[i].output.op->id] + feeds[i].output.index;
        last[p->feed_slot[i]] = INT32_MAX; /* the caller's: never released mid-run */
    }
    int k = 0;
    for (int i = 0; i < n_ops; i++) {
        if (!need[i]) continue;
        nb_op *op = g->ops[i];
        nbi_step *st = &p->steps[k];
        step_of[i] = k;
        st->op = op;
        st->kernel = op->def->kernel;
        st->fused_into = st->fused_from = -1;
        st->n_in = op->n_inputs;
        st->out_base = base[i];
        st->in_slot = nbi_malloc(((size_t)op->n_inputs + 1) * sizeof *st->in_slot);
        st->n_hint = op->n_outputs + 2;
        st->hint = nbi_malloc((size_t)st->n_hint * sizeof *st->hint);
        if (!st->in_slot || !st->hint) goto oom;
        for (int h = 0; h < st->n_hint; h++) st->hint[h] = -1;
        for (int j = 0; j < op->n_inputs; j++) {
            bool ref = (j == 0 && (op->def->flags & NBI_REF_IN0)) ||
                       (j == 1 && (op->def->flags & NBI_REF_IN1)) ||
                       (j == 2 && (op->def->flags & NBI_REF_IN2));
            nb_op *src = op->inputs[j].op;
            int slot = base[src->id] + op->inputs[j].index;
            bool fed = find_feed(feeds, n_feeds, op->inputs[j]) >= 0;
            if (ref) {
                st->in_slot[j] = -1;
            } else if (src->variable && !fed) {
                /* A variable's value (VariableV2 or its read) is taken from the
                 * session when the consumer runs, as TF1's ref variables alias
                 * their buffer: updates made earlier in the run are seen. */
                st->in_slot[j] = -2 - src->variable->var_index;
            } else {
                st->in_slot[j] = slot;
                uses[slot]++;
                if (last[slot] != INT32_MAX) last[slot] = k;
            }
        }
        for (int o = 0; o < op->n_outputs; o++)
            if (last[base[i] + o] == -1) last[base[i] + o] = k; /* unused: release at once */
        k++;
    }
    p->n_steps = n_steps;
    for (int i = 0; i < n_fetches; i++) {
        nb_output f = fetches[i];
        int slot = f.index < f.op->n_outputs ? base[f.op->id] + f.index : -1;
        p->fetch_slot[i] = slot;
        if (slot >= 0) last[slot] = INT32_MAX;
    }
    /* Run-time fusion (nbi_opdef.fused): a producer whose one output is used
     * once in this plan, by its consumer's fuse_input, and is neither fed nor
     * fetched. The producer is computed at the consumer's step, from inputs
     * read there: its computed inputs are kept until then, and a variable it
     * reads must not be written by any step from just after it to the
     * consumer (its value would not be the one the producer's own step saw).
     * Its checks still run at its own step (see the run loop). */
    for (int c = 0; c < n_steps; c++) {
        nbi_step *st = &p->steps[c];
        const nbi_opdef *d = st->op->def;
        if (!d->fuse_ok || d->fuse_input >= st->n_in || st->in_slot[d->fuse_input] < 0) continue;
        int slot = st->in_slot[d->fuse_input];
        nb_op *prod = st->op->inputs[d->fuse_input].op;
        if (!need[prod->id] || prod->n_outputs != 1 || uses[slot] != 1 || last[slot] == INT32_MAX) continue;
        int pi = step_of[prod->id];
        nbi_step *ps = &p->steps[pi];
        /* a chain of two at most: a producer may itself run its own producer
         * (MatMul -> BiasAdd -> Relu), which then also runs at step c */
        int ppi = ps->fused_from;
        if (ps->fused_into >= 0 || (ppi >= 0 && p->steps[ppi].fused_from >= 0)) continue;
        /* where its errors come: a producer's own checks run at its step
         * (nbi_opdef.check); a chain's middle, which has its consumer's inputs,
         * must be just before it */
        if (ppi < 0 ? !prod->def->check : pi + 1 != c) continue;
        if (!inputs_stay(p, ps, pi, c) || (ppi >= 0 && !inputs_stay(p, &p->steps[ppi], ppi, c)) ||
            !d->fuse_ok(st->op, prod))
            continue;
        ps->fused_into = c;
        st->fused_from = pi;
        for (int q = 0; q < 2; q++) {
            nbi_step *x = q == 0 ? ps : ppi >= 0 ? &p->steps[ppi] : NULL;
            for (int j = 0; x && j < x->n_in; j++)
                if (x->in_slot[j] >= 0 && last[x->in_slot[j]] != INT32_MAX && last[x->in_slot[j]] < c)
                    last[x->in_slot[j]] = c;
        }
    }
    /* Release lists; what is left at the end of a run. */
    p->end_slots = nbi_malloc(((size_t)n_feeds + (size_t)n_fetches + 1) * sizeof *p->end_slots);
    if (!p->end_slots) goto oom;
    for (int o = 0; o < n_slots; o++)
        if (last[o] == INT32_MAX) p->end_slots[p->n_end++] = o;
    {
        int *counts = nbi_calloc((size_t)n_steps + 1, sizeof *counts);
        if (!counts) goto oom;
        for (int o = 0; o < n_slots; o++)
            if (last[o] >= 0 && last[o] < n_steps) counts[last[o]]++;
        for (int s2 = 0; s2 < n_steps; s2++) {
            p->steps[s2].release = nbi_malloc(((size_t)counts[s2] + 1) * sizeof(int));
            if (!p->steps[s2].release) {
                nbi_free(counts);
                goto oom;
            }
        }
        for (int o = 0; o < n_slots; o++)
            if (last[o] >= 0 && last[o] < n_steps) {
                nbi_step *st = &p->steps[last[o]];
                st->release[st->n_release++] = o;
            }
        nbi_free(counts);
    }
    nbi_free(need);
    nbi_free(slotted);
    nbi_free(stack);
    nbi_free(base);
    nbi_free(last);
    nbi_free(uses);
    nbi_free(step_of);
    return p;
oom:
    nbi_free(need);
    nbi_free(slotted);
    nbi_free(stack);
    nbi_free(base);
    nbi_free(last);
    nbi_free(uses);
    nbi_free(step_of);
    plan_free(p);
    return NULL;
}

static nbi_plan *find_plan(nb_session *s, const nb_feed *feeds, int n_feeds,
                           const nb_output *fetches, int n_fetches) {
    for (int i = 0; i < s->n_plans; i++) {
        nbi_plan *p = s->plans[i];
        if (p->n_feeds != n_feeds || p->n_fetches != n_fetches) continue;
        bool same = true;
        for (int j = 0; j < n_feeds && same; j++) same = out_eq(p->feeds[j], feeds[j].output);
        for (int j = 0; j < n_fetches && same; j++) same = out_eq(p->fetches[j], fetches[j]);
        if (same) return p;
    }
    return NULL;
}

/*** running ***/

static nb_status check_args(nb_session *s, const nb_feed *feeds, int n_feeds,
                            const nb_output *fetches, int n_fetches) {
    nb_graph *g = s->graph;
    if (n_feeds < 0 || n_fetches < 0 || (n_feeds && !feeds) || (n_fetches && !fetches))
        return sess_error(s, NB_ERR_INVALID_ARGUMENT, "nb_session_run: bad feed or fetch arrays");
    for (int i = 0; i < n_fetches; i++) {
        nb_output f = fetches[i];
        if (!f.op)
            return sess_error(s, NB_ERR_INVALID_ARGUMENT,
                              "Fetch argument %d is a nil output (did an op constructor fail? "
                              "check nb_graph_status)", i);
        if (f.op->graph != g)
            return sess_error(s, NB_ERR_INVALID_ARGUMENT,
                              "Fetch argument '%s' is not an element of this graph", f.op->name);
        if (f.index < 0 || (f.index >= f.op->n_outputs && !(f.index == 0 && f.op->n_outputs == 0)))
            return sess_error(s, NB_ERR_INVALID_ARGUMENT, "'%s' has no output %d", f.op->name,
                              f.index);
    }
    for (int i = 0; i < n_feeds; i++) {
        nb_output o = feeds[i].output;
        const nb_tensor *v = feeds[i].value;
        char name[512];
        if (!o.op || o.op->graph != g || o.index < 0 || o.index >= o.op->n_outputs)
            return sess_error(s, NB_ERR_INVALID_ARGUMENT,
                              "Feed %d is not an output of an op in this graph", i);
        nb_output_name(o, name, sizeof name);
        if (!v)
            return sess_error(s, NB_ERR_INVALID_ARGUMENT, "The value fed for Tensor '%s' is NULL",
                              name);
        for (int j = 0; j < i; j++)
            if (out_eq(feeds[j].output, o))
                return sess_error(s, NB_ERR_INVALID_ARGUMENT, "Tensor '%s' is fed twice", name);
        nb_dtype want = o.op->out_dtype[o.index];
        if (v->dtype != want)
            return sess_error(s, NB_ERR_DTYPE,
                              "Cannot feed value of dtype %s for Tensor '%s', which has dtype %s",
                              nb_dtype_name(v->dtype), name, nb_dtype_name(want));
        const nb_shape *sh = &o.op->out_shape[o.index];
        if (!nbi_shape_compatible(sh, v->rank, v->dims)) {
            char a[256], b[256];
            return sess_error(s, NB_ERR_SHAPE,
                              "Cannot feed value of shape %s for Tensor '%s', which has shape '%s'",
                              nbi_dims_string(v->rank, v->dims, true, a, sizeof a), name,
                              nbi_dims_string(sh->rank, sh->dims, true, b, sizeof b));
        }
    }
    return NB_OK;
}

static void clear_values(nbi_plan *p) {
    for (int i = 0; i < p->n_slots; i++) {
        release_value(p, p->values[i]);
        p->values[i] = NULL;
    }
}

static nb_status session_run(nb_session *s, const nb_feed *feeds, int n_feeds,
                             const nb_output *fetches, int n_fetches, nb_tensor **outputs);

nb_status nb_session_run(nb_session *s, const nb_feed *feeds, int n_feeds,
                         const nb_output *fetches, int n_fetches, nb_tensor **outputs) {
    if (!s) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    nbi_threads_probe();
    pthread_mutex_lock(&s->lock);
    nb_status st = remember(s, session_run(s, feeds, n_feeds, fetches, n_fetches, outputs));
    pthread_mutex_unlock(&s->lock);
    return st;
}

/* A step's input values into buf; "uninitialized" when one has none. With
 * run-time fusion, the consumer's input `skip` has no value (its producer
 * runs inside the consumer): NULL, as for a ref input. */
static inline __attribute__((always_inline)) nb_status gather_inputs(nb_session *s, nbi_plan *p, nbi_step *stp,
                                                                   nb_tensor **buf, int skip) {
    nb_op *op = stp->op;
    for (int j = 0; j < stp->n_in; j++) {
        int slot = stp->in_slot[j];
        nb_tensor *v = slot >= 0 ? p->values[slot] : slot <= -2 ? s->ks.vars[-2 - slot] : NULL;
        if (j == skip) {
            v = NULL;
        } else if (slot != -1 && !v) {
            nb_op *src = op->inputs[j].op;
            const char *vn = src->variable ? src->variable->name : src->name;
            return sess_error(s, NB_ERR_FAILED_PRECONDITION,
                              "Attempting to use uninitialized value %s\n\t [[{{node %s}} = %s]]", vn,
                              op->name, op->def->type);
        }
        buf[j] = v;
    }
    return NB_OK;
}

static nb_status session_run(nb_session *s, const nb_feed *feeds, int n_feeds,
                             const nb_output *fetches, int n_fetches, nb_tensor **outputs) {
    if (outputs)
        for (int i = 0; i < n_fetches; i++) outputs[i] = NULL;
    if (!s->graph) return s->ks.status;
    if (s->graph->status != NB_OK)
        return sess_error(s, s->graph->status, "the graph has an error, so it cannot run: %s",
                          s->graph->errmsg);
    s->ks.status = NB_OK;
    s->ks.errmsg[0] = 0;
    nb_status st = check_args(s, feeds, n_feeds, fetches, n_fetches);
    if (st != NB_OK) return st;
    if (!grow_state(s)) return sess_error(s, NB_ERR_OUT_OF_MEMORY, "out of memory");

    nbi_plan *p = find_plan(s, feeds, n_feeds, fetches, n_fetches);
    if (!p) {
        p = compile(s, feeds, n_feeds, fetches, n_fetches);
        if (!p) return sess_error(s, NB_ERR_OUT_OF_MEMORY, "out of memory compiling a plan");
        if (s->n_plans == s->cap_plans) {
            int cap = s->cap_plans ? s->cap_plans * 2 : 8;
            nbi_plan **pl = nbi_realloc(s->plans, (size_t)cap * sizeof *pl);
            if (!pl) {
                plan_free(p);
                return sess_error(s, NB_ERR_OUT_OF_MEMORY, "out of memory");
            }
            s->plans = pl;
            s->cap_plans = cap;
        }
        s->plans[s->n_plans++] = p;
    }

    /* Kernels never write into inputs, so holding a fed tensor as non-const is safe. */
    for (int i = 0; i < n_feeds; i++) {
        union { const nb_tensor *c; nb_tensor *m; } u = {feeds[i].value};
        p->values[p->feed_slot[i]] = nb_tensor_ref(u.m);
    }

    nbi_kctx k, kp, kpp;
    k.state = kp.state = kpp.state = &s->ks;
    k.in = p->in_buf;
    kp.in = p->in_buf2;
    kpp.in = p->in_buf3;
    k.plan = kp.plan = kpp.plan = p;
    k.producer = kpp.producer = NULL;
    bool fuse = !s->check_numerics && nb_get_fusion();
    for (int i = 0; i < p->n_steps; i++) {
        nbi_step *stp = &p->steps[i];
        nb_op *op = stp->op;
        if (fuse && stp->fused_into >= 0) {
            /* it runs inside its consumer; its inputs and their shapes are
             * checked here, so that its errors come where, and after what,
             * they would without fusion (a chain's middle is checked by its
             * consumer, the next step) */
            if (stp->fused_from < 0) {
                st = gather_inputs(s, p, stp, p->in_buf2, -1);
                if (st != NB_OK) goto fail;
                kp.op = op;
                kp.out = p->values + stp->out_base;
                kp.step = stp;
                kp.producer = NULL;
                st = op->def->check(&kp);
                if (st != NB_OK) {
                    if (s->ks.status == NB_OK)
                        sess_error(s, st, "kernel failed\n\t [[{{node %s}} = %s]]", op->name, op->def->type);
                    goto fail;
                }
            }
            goto release;
        }
        bool fused = fuse && stp->fused_from >= 0;
        if (fused) {
            nbi_step *ps = &p->steps[stp->fused_from];
            kp.producer = NULL;
            if (ps->fused_from >= 0) { /* a chain: the producer's producer, first */
                nbi_step *pps = &p->steps[ps->fused_from];
                st = gather_inputs(s, p, pps, p->in_buf3, -1);
                if (st != NB_OK) goto fail;
                kpp.op = pps->op;
                kpp.out = p->values + pps->out_base;
                kpp.step = pps;
                pps->n_alloc = 0;
                kp.producer = &kpp;
            }
            st = gather_inputs(s, p, ps, p->in_buf2, kp.producer ? ps->op->def->fuse_input : -1);
            if (st != NB_OK) goto fail;
            kp.op = ps->op;
            kp.out = p->values + ps->out_base;
            kp.step = ps;
            ps->n_alloc = 0;
        }
        st = gather_inputs(s, p, stp, p->in_buf, fused ? op->def->fuse_input : -1);
        if (st != NB_OK) goto fail;
        k.op = op;
        k.out = p->values + stp->out_base;
        k.step = stp;
        stp->n_alloc = 0;
        st = fused ? op->def->fused(&k, &kp) : stp->kernel(&k);
        if (st != NB_OK) {
            if (s->ks.status == NB_OK)
                sess_error(s, st, "kernel failed\n\t [[{{node %s}} = %s]]", op->name, op->def->type);
            goto fail;
        }
        if (s->check_numerics) {
            for (int o = 0; o < op->n_outputs; o++) {
                int found = nbi_nonfinite(k.out[o]);
                if (found) {
                    st = sess_error(s, NB_ERR_INVALID_ARGUMENT,
                                    "Tensor had %s values in output %d of node '%s' (op: %s)",
                                    nbi_nonfinite_what(found), o, op->name, op->def->type);
                    goto fail;
                }
            }
        }
    release:
        for (int r = 0; r < stp->n_release; r++) {
            int slot = stp->release[r];
            release_value(p, p->values[slot]);
            p->values[slot] = NULL;
        }
    }
    if (outputs) {
        /* A fetched variable that was never assigned has no value: TF's error,
         * not OK with a NULL output (found by fuzz/fuzz_graphdef.c). */
        for (int i = 0; i < n_fetches; i++) {
            int slot = p->fetch_slot[i];
            if (slot >= 0 && !p->values[slot]) {
                nb_op *src = p->fetches[i].op;
                const char *vn = src->variable ? src->variable->name : src->name;
                st = sess_error(s, NB_ERR_FAILED_PRECONDITION,
                                "Attempting to use uninitialized value %s\n\t [[{{node %s}} = %s]]",
                                vn, src->name, src->def->type);
                goto fail;
            }
        }
        for (int i = 0; i < n_fetches; i++) {
            int slot = p->fetch_slot[i];
            nb_tensor *t = slot >= 0 ? p->values[slot] : NULL;
            /* A fetched buffer stays in the pool (free again once the caller drops
             * it, so big outputs are not re-faulted every run) unless the pool has
             * grown past what the plan needs, e.g. when callers keep results. */
            if (t && t->pool_index >= 0 && p->n_pool > 2 * p->n_steps + 8) pool_release(p, t);
            outputs[i] = nb_tensor_ref(t);
        }
    }
    for (int e = 0; e < p->n_end; e++) {
        release_value(p, p->values[p->end_slots[e]]);
        p->values[p->end_slots[e]] = NULL;
    }
    return NB_OK;
fail:
    clear_values(p);
    return s->ks.status != NB_OK ? s->ks.status : st;
}

void nb_session_set_check_numerics(nb_session *s, bool on) {
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->check_numerics = on;
    pthread_mutex_unlock(&s->lock);
}

nb_tensor *nb_session_eval(nb_session *s, nb_output x, const nb_feed *feeds, int n_feeds) {
    nb_tensor *out = NULL;
    if (nb_session_run(s, feeds, n_feeds, &x, 1, &out) != NB_OK) return NULL;
    return out;
}

/*** direct variable access ***/

nb_tensor *nb_session_variable_value(nb_session *s, nb_output var) {
    nb_op *v = nb_variable_op(var);
    if (!s || !v || v->graph != s->graph) return NULL;
    pthread_mutex_lock(&s->lock);
    nb_tensor *t = grow_state(s) ? s->ks.vars[v->var_index] : NULL;
    nb_tensor *c = t ? nb_tensor_copy(t) : NULL;
    pthread_mutex_unlock(&s->lock);
    return c;
}

nb_tensor *nbi_session_variable_ref(nb_session *s, const nb_op *v, bool *oom) {
    *oom = false;
    if (!s || !v || v->graph != s->graph || v->var_index < 0) return NULL;
    pthread_mutex_lock(&s->lock);
    nb_tensor *t = NULL;
    if (!grow_state(s)) *oom = true;
    else t = nbi_ref(s->ks.vars[v->var_index]); /* later updates copy first: a snapshot */
    pthread_mutex_unlock(&s->lock);
    return t;
}

int nbi_session_fused_steps(nb_session *s) {
    int n = 0;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->n_plans; i++)
        for (int j = 0; j < s->plans[i]->n_steps; j++) n += s->plans[i]->steps[j].fused_into >= 0;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* set_variable's errors: recorded under the lock, as a run's are. */
static nb_status set_var_error(nb_session *s, nb_status code, const char *msg, const char *name) {
    pthread_mutex_lock(&s->lock);
    if (name) sess_error(s, code, "%s '%s'", msg, name);
    else sess_error(s, code, "%s", msg);
    remember(s, code);
    pthread_mutex_unlock(&s->lock);
    return code;
}

nb_status nb_session_set_variable(nb_session *s, nb_output var, const nb_tensor *value) {
    if (!s) return nbi_error(NB_ERR_INVALID_ARGUMENT);
    nb_op *v = nb_variable_op(var);
    if (!v || v->graph != s->graph)
        return set_var_error(s, NB_ERR_INVALID_ARGUMENT,
                             "nb_session_set_variable: not a variable of this graph", NULL);
    if (!value || value->dtype != v->attrs.dtype ||
        !nbi_shape_compatible(&v->attrs.shape, value->rank, value->dims))
        return set_var_error(s, NB_ERR_SHAPE, "nb_session_set_variable: value does not match variable",
                             v->name);
    nb_tensor *c = nb_tensor_copy(value);
    if (!c) return set_var_error(s, NB_ERR_OUT_OF_MEMORY, "out of memory", NULL);
    pthread_mutex_lock(&s->lock);
    if (!grow_state(s)) {
        pthread_mutex_unlock(&s->lock);
        nb_tensor_unref(c);
        return set_var_error(s, NB_ERR_OUT_OF_MEMORY, "out of memory", NULL);
    }
    nb_tensor_unref(s->ks.vars[v->var_index]);
    s->ks.vars[v->var_index] = c;
    pthread_mutex_unlock(&s->lock);
    return NB_OK;
}
