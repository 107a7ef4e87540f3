/*
 * graph.c — graphs, ops, unique names and name scopes, sticky errors.
 *
 * Naming follows TensorFlow 1.x's Graph.unique_name and Graph.name_scope
 * (tensorflow/python/framework/ops.py): names are counted case-insensitively,
 * the n-th reuse of a name gets "_n", scopes and op names share one namespace,
 * a name ending in '/' is taken verbatim.
 *
 * Invariant: an op's inputs always have smaller ids than the op, so creation
 * order is a topological order; the session and the gradient code rely on it.
 */
#include "nb_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

/*** string map ***/

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

void *nbi_map_get(const nbi_map *m, const char *key) {
    if (!m->cap) return NULL;
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) return NULL;
        if (!strcmp(m->keys[i], key)) return m->vals[i];
    }
}

static bool map_grow(nbi_map *m) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    char **keys = nbi_calloc(cap, sizeof *keys);
    void **vals = nbi_calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        nbi_free(keys);
        nbi_free(vals);
        return false;
    }
    for (size_t j = 0; j < m->cap; j++) {
        if (!m->keys[j]) continue;
        size_t i = hash_str(m->keys[j]) & (cap - 1);
        while (keys[i]) i = (i + 1) & (cap - 1);
        keys[i] = m->keys[j];
        vals[i] = m->vals[j];
    }
    nbi_free(m->keys);
    nbi_free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return true;
}

bool nbi_map_put(nbi_map *m, const char *key, void *val) {
    if ((m->count + 1) * 2 > m->cap && !map_grow(m)) return false;
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (!strcmp(m->keys[i], key)) {
            m->vals[i] = val;
            return true;
        }
        i = (i + 1) & (m->cap - 1);
    }
    char *k = nbi_strdup(key);
    if (!k) return false;
    m->keys[i] = k;
    m->vals[i] = val;
    m->count++;
    return true;
}

void nbi_map_free(nbi_map *m) {
    for (size_t i = 0; i < m->cap; i++) nbi_free(m->keys[i]);
    nbi_free(m->keys);
    nbi_free(m->vals);
    memset(m, 0, sizeof *m);
}

/*** graph lifetime ***/

nb_graph *nb_graph_new(void) {
    nb_graph *g = nbi_calloc(1, sizeof *g);
    if (!g) return NULL;
    atomic_init(&g->refcount, 1);
    return g;
}

static void op_free(nb_op *op) {
    if (!op) return;
    nbi_free(op->name);
    nbi_free(op->inputs);
    nbi_free(op->control);
    nbi_free(op->out_dtype);
    nbi_free(op->out_shape);
    nb_tensor_unref(op->value);
    nbi_free(op);
}

static void graph_destroy(nb_graph *g) {
    for (int i = 0; i < g->n_owned; i++) g->owned_free[i](g->owned[i]);
    nbi_free(g->owned);
    nbi_free(g->owned_free);
    for (int i = 0; i < g->n_ops; i++) op_free(g->ops[i]);
    nbi_free(g->ops);
    nbi_map_free(&g->by_name);
    nbi_map_free(&g->names_used);
    for (int i = 0; i < g->n_scopes; i++) nbi_free(g->scopes[i]);
    nbi_free(g->scopes);
    for (int i = 0; i < g->n_ctrl; i++) nbi_free(g->ctrl[i]);
    nbi_free(g->ctrl);
    nbi_free(g->ctrl_n);
    nbi_free(g->vars);
    nbi_free(g);
}

void nbi_graph_unref(nb_graph *g) {
    /* acq_rel: every session's use of the graph happens before its destruction */
    if (g && atomic_fetch_sub_explicit(&g->refcount, 1, memory_order_acq_rel) == 1)
        graph_destroy(g);
}

void nb_graph_free(nb_graph *g) { nbi_graph_unref(g); }

bool nbi_graph_own(nb_graph *g, void *obj, void (*free_fn)(void *)) {
    if (g->n_owned == g->cap_owned) {
        int cap = g->cap_owned ? g->cap_owned * 2 : 8;
        void **o = nbi_realloc(g->owned, (size_t)cap * sizeof *o);
        if (!o) return false;
        g->owned = o;
        void (**f)(void *) = nbi_realloc(g->owned_free, (size_t)cap * sizeof *f);
        if (!f) return false;
        g->owned_free = f;
        g->cap_owned = cap;
    }
    g->owned[g->n_owned] = obj;
    g->owned_free[g->n_owned++] = free_fn;
    return true;
}

/*** errors ***/

nb_status nbi_graph_error(nb_graph *g, nb_status code, const char *fmt, ...) {
    nbi_error(code);
    if (!g || g->status != NB_OK) return code;
    g->status = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->errmsg, sizeof g->errmsg, fmt, ap);
    va_end(ap);
    return code;
}

bool nbi_graph_ok(const nb_graph *g) { return g && g->status == NB_OK; }

nb_status nb_graph_status(const nb_graph *g) {
    return g ? g->status : NB_ERR_INVALID_ARGUMENT;
}

const char *nb_graph_errmsg(const nb_graph *g) {
    return g ? g->errmsg : "graph is NULL";
}

void nb_graph_clear_error(nb_graph *g) {
    if (!g) return;
    g->status = NB_OK;
    g->errmsg[0] = 0;
}

void nb_graph_set_seed(nb_graph *g, int64_t seed) {
    if (!g) return;
    g->has_seed = true;
    g->seed = seed;
}

/*** names and scopes ***/

static void lower_into(char *dst, const char *src) {
    while (*src) *dst++ = (char)tolower((unsigned char)*src++);
    *dst = 0;
}

/* TF's Graph.unique_name(name, mark_as_used=True) with `name` already prefixed. */
static char *unique_full(nb_graph *g, const char *full) {
    size_t n = strlen(full);
    char *key = nbi_malloc(n + 24);
    if (!key) return NULL;
    lower_into(key, full);
    intptr_t i = (intptr_t)nbi_map_get(&g->names_used, key);
    if (!nbi_map_put(&g->names_used, key, (void *)(i + 1))) {
        nbi_free(key);
        return NULL;
    }
    if (i == 0) {
        nbi_free(key);
        return nbi_strdup(full);
    }
    char *base = nbi_strdup(key);
    if (!base) {
        nbi_free(key);
        return NULL;
    }
    while (nbi_map_get(&g->names_used, key)) {
        snprintf(key, n + 24, "%s_%ld", base, (long)i);
        i++;
    }
    nbi_free(base);
    if (!nbi_map_put(&g->names_used, key, (void *)1)) {
        nbi_free(key);
        return NULL;
    }
    nbi_free(key);
    return nbi_asprintf("%s_%ld", full, (long)(i - 1));
}

const char *nb_name_scope_current(const nb_graph *g) {
    return g && g->n_scopes ? g->scopes[g->n_scopes - 1] : "";
}

char *nbi_unique_name(nb_graph *g, const char *name) {
    const char *scope = nb_name_scope_current(g);
    size_t len = strlen(name);
    if (len && name[len - 1] == '/') { /* verbatim */
        char *s = nbi_strdup(name);
        if (s) s[len - 1] = 0;
        return s;
    }
    char *full = nbi_asprintf("%s%s", scope, name);
    if (!full) return NULL;
    char *u = unique_full(g, full);
    nbi_free(full);
    return u;
}

static bool valid_name(const char *s, bool scope) {
    if (!*s) return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(isalnum(c) || c == '_' || c == '.' || c == '-' || c == '/' || c == '>')) return false;
    }
    return scope || (s[0] != '_' && s[0] != '-' && s[0] != '/');
}

const char *nb_name_scope_push(nb_graph *g, const char *name) {
    if (!g) return "";
    char *scope;
    if (!name || !*name) {
        scope = nbi_strdup("");
    } else if (name[strlen(name) - 1] == '/') {
        scope = nbi_strdup(name);
    } else {
        if (!valid_name(name, g->n_scopes > 0 && *nb_name_scope_current(g))) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "'%s' is not a valid scope name", name);
            name = "invalid_scope";
        }
        char *u = nbi_unique_name(g, name);
        scope = u ? nbi_asprintf("%s/", u) : NULL;
        nbi_free(u);
    }
    if (scope && g->n_scopes == g->cap_scopes) {
        int cap = g->cap_scopes ? g->cap_scopes * 2 : 8;
        char **s = nbi_realloc(g->scopes, (size_t)cap * sizeof *s);
        if (!s) {
            nbi_free(scope);
            scope = NULL;
        } else {
            g->scopes = s;
            g->cap_scopes = cap;
        }
    }
    if (!scope) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory entering name scope");
        /* keep push/pop balanced: push the current scope again */
        scope = NULL;
        if (g->n_scopes < g->cap_scopes) {
            char *again = nbi_strdup(nb_name_scope_current(g));
            if (again) {
                g->scopes[g->n_scopes++] = again;
                return again;
            }
        }
        return "";
    }
    g->scopes[g->n_scopes++] = scope;
    return scope;
}

void nb_name_scope_pop(nb_graph *g) {
    if (!g || g->n_scopes == 0) return;
    nbi_free(g->scopes[--g->n_scopes]);
}

/*** control dependencies ***/

void nb_control_dependencies_push(nb_graph *g, const nb_output *deps, int n) {
    if (!g) return;
    if (g->n_ctrl == g->cap_ctrl) {
        int cap = g->cap_ctrl ? g->cap_ctrl * 2 : 4;
        nb_op ***c = nbi_realloc(g->ctrl, (size_t)cap * sizeof *c);
        int *cn = c ? nbi_realloc(g->ctrl_n, (size_t)cap * sizeof *cn) : NULL;
        if (c) g->ctrl = c;
        if (!c || !cn) {
            nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory in control_dependencies");
            return;
        }
        g->ctrl_n = cn;
        g->cap_ctrl = cap;
    }
    nb_op **ops = nbi_calloc(n > 0 ? (size_t)n : 1, sizeof *ops);
    if (!ops) {
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory in control_dependencies");
        return;
    }
    int k = 0;
    if (n > 0 && !deps)
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                        "control_dependencies: %d dependencies but the array is NULL", n);
    for (int i = 0; deps && i < n; i++) {
        const nb_op *d = deps[i].op;
        if (d && d->graph != g) {
            /* Running it would index this graph's tables with another graph's
             * op id. The frame is still pushed (empty), so pops stay balanced. */
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                            "control_dependencies: dependency %d comes from another graph ('%s')", i,
                            d->name);
            k = 0;
            break;
        }
        if (deps[i].op) ops[k++] = deps[i].op;
    }
    g->ctrl[g->n_ctrl] = ops;
    g->ctrl_n[g->n_ctrl++] = k;
}

void nb_control_dependencies_pop(nb_graph *g) {
    if (!g || g->n_ctrl == 0) return;
    nbi_free(g->ctrl[--g->n_ctrl]);
}

/*** building ops ***/

nb_op *nbi_op_new(nb_graph *g, int type, const char *name, const char *default_name,
                  const nb_output *inputs, int n_inputs) {
    if (!g || g->status != NB_OK) return NULL;
    if (type < 0 || type >= NBI_OP_COUNT) {
        nbi_graph_error(g, NB_ERR_INTERNAL, "op type %d is out of range", type);
        return NULL;
    }
    const nbi_opdef *def = nbi_registry[type];
    const char *base = name && *name ? name : default_name ? default_name : def->type;
    for (int i = 0; i < n_inputs; i++) {
        const nb_op *in = inputs[i].op;
        if (!in) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                            "input %d of '%s%s' (op: '%s') is a nil output", i,
                            nb_name_scope_current(g), base, def->type);
            return NULL;
        }
        if (in->graph != g) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                            "input %d of '%s%s' (op: '%s') comes from another graph ('%s')", i,
                            nb_name_scope_current(g), base, def->type, in->name);
            return NULL;
        }
        if (inputs[i].index < 0 || inputs[i].index >= in->n_outputs) {
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                            "input %d of '%s%s' (op: '%s'): '%s' has no output %d", i,
                            nb_name_scope_current(g), base, def->type, in->name,
                            inputs[i].index);
            return NULL;
        }
    }
    if (def->n_inputs >= 0 && n_inputs != def->n_inputs) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "op '%s' takes %d inputs, got %d",
                        def->type, def->n_inputs, n_inputs);
        return NULL;
    }
    if (name && *name && !valid_name(name, true)) {
        nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT, "'%s' is not a valid node name", name);
        return NULL;
    }
    if (!nbi_utf8_name_ok(g, nb_name_scope_current(g), base)) return NULL;
    nb_op *op = nbi_calloc(1, sizeof *op);
    if (!op) goto oom;
    op->graph = g;
    op->type = type;
    op->def = def;
    op->var_index = -1;
    op->id = -1;
    op->name = nbi_unique_name(g, base);
    op->inputs = nbi_calloc(n_inputs > 0 ? (size_t)n_inputs : 1, sizeof *op->inputs);
    if (!op->name || !op->inputs) goto oom;
    for (int i = 0; i < n_inputs; i++) op->inputs[i] = inputs[i];
    op->n_inputs = n_inputs;
    for (int f = 0; f < g->n_ctrl; f++)
        for (int j = 0; j < g->ctrl_n[f]; j++)
            if (!nbi_op_add_control(op, g->ctrl[f][j])) goto oom;
    return op;
oom:
    op_free(op);
    nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory creating a '%s' op", def->type);
    return NULL;
}

bool nbi_op_add_control(nb_op *op, nb_op *dep) {
    for (int i = 0; i < op->n_control; i++)
        if (op->control[i] == dep) return true;
    nb_op **c = nbi_realloc(op->control, (size_t)(op->n_control + 1) * sizeof *c);
    if (!c) return false;
    op->control = c;
    op->control[op->n_control++] = dep;
    return true;
}

void nbi_op_discard(nb_op *op) { op_free(op); }

bool nbi_set_outputs(nb_op *op, int n) {
    nbi_free(op->out_dtype);
    nbi_free(op->out_shape);
    op->out_dtype = nbi_calloc(n > 0 ? (size_t)n : 1, sizeof *op->out_dtype);
    op->out_shape = nbi_calloc(n > 0 ? (size_t)n : 1, sizeof *op->out_shape);
    op->n_outputs = n;
    if (!op->out_dtype || !op->out_shape) {
        nbi_graph_error(op->graph, NB_ERR_OUT_OF_MEMORY, "out of memory in '%s'", op->name);
        return false;
    }
    for (int i = 0; i < n; i++) op->out_shape[i].rank = -1;
    return true;
}

nb_status nbi_infer_error(nb_op *op, nb_status code, const char *fmt, ...) {
    char msg[1024], shapes[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t len = 0;
    shapes[0] = 0;
    for (int i = 0; i < op->n_inputs && len + 64 < sizeof shapes; i++) {
        char b[128];
        const nb_shape *s = nbi_in_shape(op, i);
        len += (size_t)snprintf(shapes + len, sizeof shapes - len, "%s%s", i ? ", " : "",
                                nb_shape_string(*s, b, sizeof b));
    }
    if (op->n_inputs)
        return nbi_graph_error(op->graph, code, "%s for '%s' (op: '%s') with input shapes: %s.",
                               msg, op->name, op->def->type, shapes);
    return nbi_graph_error(op->graph, code, "%s for '%s' (op: '%s').", msg, op->name,
                           op->def->type);
}

static nb_status infer_like_input0(nb_op *op) {
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = nbi_in_dtype(op, 0);
    op->out_shape[0] = *nbi_in_shape(op, 0);
    return NB_OK;
}

nb_output nbi_op_finish(nb_op *op) {
    if (!op) return nb_nil;
    nb_graph *g = op->graph;
    /* A ref input (Assign's, the Apply ops') must come from a variable: a GraphDef
     * can name any node there (found by fuzz/fuzz_graphdef.c). TF's words. */
    static const unsigned ref_flag[3] = {NBI_REF_IN0, NBI_REF_IN1, NBI_REF_IN2};
    for (int i = 0; i < 3 && i < op->n_inputs; i++)
        if ((op->def->flags & ref_flag[i]) && !op->inputs[i].op->variable) {
            nb_output in = op->inputs[i];
            const char *dt = nbi_dtype_tfname(in.op->out_dtype[in.index]);
            nbi_graph_error(g, NB_ERR_INVALID_ARGUMENT,
                            "Input %d of node %s was passed %s from %s:%d incompatible with expected %s_ref.",
                            i, op->name, dt, in.op->name, in.index, dt);
            op_free(op);
            return nb_nil;
        }
    nb_status st = op->def->infer ? op->def->infer(op) : infer_like_input0(op);
    if (st == NB_OK && g->status != NB_OK) st = g->status;
    if (st != NB_OK) {
        if (g->status == NB_OK)
            nbi_graph_error(g, st, "shape inference failed for '%s' (op: '%s')", op->name,
                            op->def->type);
        op_free(op);
        return nb_nil;
    }
    if (g->n_ops == g->cap_ops) {
        int cap = g->cap_ops ? g->cap_ops * 2 : 64;
        nb_op **ops = nbi_realloc(g->ops, (size_t)cap * sizeof *ops);
        if (!ops) goto oom;
        g->ops = ops;
        g->cap_ops = cap;
    }
    if (!nbi_map_put(&g->by_name, op->name, op)) goto oom;
    op->id = g->n_ops;
    g->ops[g->n_ops++] = op;
    return nbi_out(op, 0);
oom:
    nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory adding '%s'", op->name);
    op_free(op);
    return nb_nil;
}

const nb_tensor *nbi_const_input(nb_op *op, int i) {
    nb_op *in = op->inputs[i].op;
    return in->def->const_value ? in->def->const_value(in) : NULL;
}

int nbi_const_ints(nb_op *op, int i, int64_t *out, int max) {
    const nb_tensor *t = nbi_const_input(op, i);
    if (!t || !nbi_dtype_is_int(t->dtype) || t->rank > 1 || t->size > max) return -1;
    for (int64_t k = 0; k < t->size; k++) out[k] = nbi_load_int(t->data, t->dtype, k);
    return (int)t->size;
}

/*** queries ***/

int nb_graph_num_ops(const nb_graph *g) { return g ? g->n_ops : 0; }
nb_op *nb_graph_op(const nb_graph *g, int i) {
    return g && i >= 0 && i < g->n_ops ? g->ops[i] : NULL;
}
nb_op *nb_graph_find_op(const nb_graph *g, const char *name) {
    return g && name ? nbi_map_get(&g->by_name, name) : NULL;
}

nb_output nb_graph_find_output(const nb_graph *g, const char *name) {
    if (!g || !name) return nb_nil;
    const char *colon = strrchr(name, ':');
    int k = 0;
    char buf[1024];
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (*end || end == colon + 1 || v < 0 || (size_t)(colon - name) >= sizeof buf) return nb_nil;
        memcpy(buf, name, (size_t)(colon - name));
        buf[colon - name] = 0;
        name = buf;
        k = (int)v;
    }
    nb_op *op = nb_graph_find_op(g, name);
    if (!op || k >= op->n_outputs) return nb_nil;
    return nbi_out(op, k);
}

const char *nb_op_name(const nb_op *op) { return op ? op->name : ""; }
const char *nb_op_type(const nb_op *op) { return op ? op->def->type : ""; }
int nb_op_num_inputs(const nb_op *op) { return op ? op->n_inputs : 0; }
int nb_op_num_outputs(const nb_op *op) { return op ? op->n_outputs : 0; }
int nb_op_num_control_inputs(const nb_op *op) { return op ? op->n_control : 0; }
nb_output nb_op_input(const nb_op *op, int i) {
    return op && i >= 0 && i < op->n_inputs ? op->inputs[i] : nb_nil;
}
nb_op *nb_op_control_input(const nb_op *op, int i) {
    return op && i >= 0 && i < op->n_control ? op->control[i] : NULL;
}
nb_output nb_op_output(nb_op *op, int k) {
    return op && k >= 0 && k < op->n_outputs ? nbi_out(op, k) : nb_nil;
}

nb_dtype nb_output_dtype(nb_output o) {
    return o.op && o.index >= 0 && o.index < o.op->n_outputs ? o.op->out_dtype[o.index]
                                                              : NB_DTYPE_INVALID;
}

nb_shape nb_output_shape(nb_output o) {
    if (!o.op || o.index < 0 || o.index >= o.op->n_outputs) return nb_shape_make(-1, NULL);
    return o.op->out_shape[o.index];
}

char *nb_output_name(nb_output o, char *buf, size_t n) {
    if (n) snprintf(buf, n, "%s:%d", o.op ? o.op->name : "(nil)", o.index);
    return buf;
}

char *nbi_op_scope_push(nb_graph *g, const char *name, const char *defname) {
    if (!nbi_graph_ok(g)) return NULL;
    const char *s = nb_name_scope_push(g, name && *name ? name : defname);
    char *r = nbi_strdup(s);
    if (!r) {
        nb_name_scope_pop(g);
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory");
    }
    return r;
}
