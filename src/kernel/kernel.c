/*
 * kernel.c — the services a kernel receives with its context (nbi_kctx):
 * output buffers from the plan's pool and view headers (nbi_kalloc,
 * nbi_kview), per-step scratch memory, run-time errors naming the node,
 * variable slots with copy-on-write, and the seeds of random ops. The
 * executor (src/run/session.c) fills the context and owns the plan.
 */
#include "kernel/kernel.h"
#include "kernel/exec.h"

#include <stdio.h>

nb_status nbi_kerror(nbi_kctx *k, nb_status code, const char *fmt, ...) {
    char msg[3000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    nbi_kstate *s = k->state;
    if (s->status == NB_OK) /* first error wins within a run */
        nbi_record_error(&s->status, s->errmsg, sizeof s->errmsg, code, "%s\n\t [[{{node %s}} = %s]]",
                         msg, k->op->name, k->op->def->type);
    return code;
}

nb_status nbi_kcheck_numel(nbi_kctx *k, nb_dtype dt, int rank, const int64_t *dims) {
    int64_t a, b;
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0)
            return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "Dimension %d must be >= 0, got %lld", i,
                              (long long)dims[i]);
    if (nbi_numel_overflow(rank, dims, &a, &b) >= 0)
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT,
                          "Encountered overflow when multiplying %lld with %lld, result: -1",
                          (long long)a, (long long)b);
    int64_t n = nbi_numel(rank, dims);
    if (nbi_mul_size((size_t)n, nbi_dtype_size(dt)) == SIZE_MAX) {
        char sh[256];
        return nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "OOM when allocating tensor with shape%s and type %s",
                          nbi_dims_string(rank, dims, false, sh, sizeof sh), nbi_dtype_tfname(dt));
    }
    return NB_OK;
}

nb_tensor **nbi_kvar_slot(nbi_kctx *k, int i) {
    nb_op *v = i < 0 ? k->op : k->op->inputs[i].op->variable;
    return &k->state->vars[v->var_index];
}

nb_tensor *nbi_kvar_writable(nbi_kctx *k, int i) {
    nb_tensor **slot = nbi_kvar_slot(k, i);
    nb_tensor *cur = *slot;
    if (!cur) {
        nbi_kerror(k, NB_ERR_FAILED_PRECONDITION, "Attempting to use uninitialized value %s",
                   k->op->inputs[i].op->variable->name);
        return NULL;
    }
    if (nbi_refcount(cur) == 1 && !cur->base) return cur;
    nb_tensor *n = nb_tensor_copy(cur);
    if (!n) {
        nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory updating %s", k->op->inputs[i].op->name);
        return NULL;
    }
    nb_tensor_unref(cur);
    *slot = n;
    return n;
}

void nbi_kseed(nbi_kctx *k, uint64_t *seed, uint64_t *seed2, uint32_t *stream) {
    const nb_op *op = k->op;
    if (op->attrs.seed == 0 && op->attrs.seed2 == 0) {
        *seed = k->state->session_seed;
        *seed2 = (uint64_t)op->id;
    } else {
        *seed = (uint64_t)op->attrs.seed;
        *seed2 = (uint64_t)op->attrs.seed2;
    }
    *stream = k->state->runs[op->id]++;
}

uint32_t *nbi_kop_counter(nbi_kctx *k) { return &k->state->runs[k->op->id]; }

void *nbi_kscratch(nbi_kctx *k, size_t bytes) {
    nbi_step *st = k->step;
    if (bytes == 0) bytes = 1;
    if (st->scratch && st->scratch_size >= bytes) return st->scratch;
    nbi_aligned_free(st->scratch);
    st->scratch_size = 0;
    st->scratch = bytes == SIZE_MAX ? NULL : nbi_aligned_alloc(bytes);
    if (!st->scratch) {
        nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory allocating %zu bytes of scratch", bytes);
        return NULL;
    }
    st->scratch_size = bytes;
    return st->scratch;
}

nb_tensor *nbi_kalloc(nbi_kctx *k, nb_dtype dt, int rank, const int64_t *dims) {
    nbi_plan *p = k->plan;
    nbi_step *st = k->step;
    int which = st->n_alloc;
    /* 0. the same buffer as last run, same dtype and dims: nothing to compute */
    if (which < st->n_hint) {
        int h = st->hint[which];
        if (h >= 0 && h < p->n_pool) {
            nb_tensor *t = p->pool[h];
            if (nbi_refcount(t) == 1 && t->dtype == dt && nbi_same_dims(t, rank, dims)) {
                st->n_alloc++;
                return nbi_ref(t);
            }
        }
    }
    int64_t n = nbi_numel(rank, dims);
    if (n < 0 || !nbi_dtype_valid(dt) || rank > NB_MAX_RANK) {
        nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "invalid output shape");
        return NULL;
    }
    size_t need = nbi_mul_size((size_t)n, nbi_dtype_size(dt));
    st->n_alloc++;
    /* 1. the pool entry this step used last time */
    if (which < st->n_hint) {
        int h = st->hint[which];
        if (h >= 0 && h < p->n_pool) {
            nb_tensor *t = p->pool[h];
            if (nbi_refcount(t) == 1 && t->capacity >= need && t->capacity <= 2 * need + 256) {
                nbi_tensor_relabel(t, dt, rank, dims);
                return nbi_ref(t);
            }
        }
    }
    /* 2. any free pool entry of a fitting size */
    int best = -1;
    for (int i = 0; i < p->n_pool; i++) {
        nb_tensor *t = p->pool[i];
        if (nbi_refcount(t) == 1 && t->capacity >= need && t->capacity <= 2 * need + 256 &&
            (best < 0 || t->capacity < p->pool[best]->capacity))
            best = i;
    }
    nb_tensor *t;
    if (best >= 0) {
        t = p->pool[best];
        nbi_tensor_relabel(t, dt, rank, dims);
    } else {
        /* 3. a new pool entry */
        if (p->n_pool == p->cap_pool) {
            int cap = p->cap_pool ? p->cap_pool * 2 : 16;
            nb_tensor **pl = nbi_realloc(p->pool, (size_t)cap * sizeof *pl);
            if (!pl) goto oom;
            p->pool = pl;
            p->cap_pool = cap;
        }
        t = nbi_tensor_alloc(dt, rank, dims);
        if (!t) goto oom;
        t->pool_index = p->n_pool;
        p->pool[p->n_pool++] = t;
        best = t->pool_index;
    }
    if (which < st->n_hint) st->hint[which] = best;
    return nb_tensor_ref(t);
oom:
    nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory allocating an output of %zu bytes", need);
    return NULL;
}

nb_tensor *nbi_kview(nbi_kctx *k, nb_tensor *base, int rank, const int64_t *dims) {
    nbi_step *st = k->step;
    nb_tensor *v = st->view;
    if (base->base) base = base->base; /* views of views share the original */
    if (v && nbi_refcount(v) == 1) {
        /* only the step holds it: re-point it at the new base */
        int64_t n = nbi_numel(rank, dims);
        if (n == base->size) {
            nb_tensor *old = v->base;
            v->base = nb_tensor_ref(base);
            nb_tensor_unref(old);
            v->data = base->data;
            v->capacity = base->nbytes;
            nbi_tensor_relabel(v, base->dtype, rank, dims);
            return nb_tensor_ref(v);
        }
    }
    nb_tensor *nv = nbi_tensor_view(base, rank, dims);
    if (!nv) {
        nbi_kerror(k, NB_ERR_OUT_OF_MEMORY, "out of memory making a view");
        return NULL;
    }
    if (st->view) atomic_store(&st->view->view_plan, NULL); /* the caller's alone now */
    nb_tensor_unref(st->view);
    atomic_store(&nv->view_plan, (const void *)k->plan);
    st->view = nb_tensor_ref(nv);
    return nv;
}
