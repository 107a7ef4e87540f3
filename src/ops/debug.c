/*
 * debug.c — tf.debugging.check_numerics: the CheckNumerics op (its scan,
 * nbi_nonfinite, is in src/core/tensor.c: the session's check-numerics option
 * runs it too).
 */
#include "ops/ops_impl.h"
#include "graph/graphdef_attrs.h"


static nb_status infer_check_numerics(nb_op *op) {
    nb_dtype dt = nbi_in_dtype(op, 0);
    if (!nbi_dtype_is_float(dt))
        return nbi_infer_error(op, NB_ERR_DTYPE,
                               "Value for attr 'T' of %s is not in the list of allowed values: "
                               "float, double", nbi_dtype_tfname(dt));
    if (!nbi_set_outputs(op, 1)) return NB_ERR_OUT_OF_MEMORY;
    op->out_dtype[0] = dt;
    op->out_shape[0] = *nbi_in_shape(op, 0);
    return NB_OK;
}

static nb_status k_check_numerics(nbi_kctx *k) {
    int found = nbi_nonfinite(k->in[0]);
    if (found) {
        const char *msg = k->op->attrs.message ? k->op->attrs.message : "";
        return nbi_kerror(k, NB_ERR_INVALID_ARGUMENT, "%s : Tensor had %s values", msg,
                          nbi_nonfinite_what(found));
    }
    k->out[0] = nb_tensor_ref(k->in[0]);
    return NB_OK;
}

/* TF registers CheckNumerics' gradient as CheckNumerics of the incoming
 * gradient; as the issue asks, nabla's passes it through unchanged (identity). */
static void grad_check_numerics(nb_graph *g, nb_op *op, const nb_output *dy, nb_output *dx) {
    (void)g; (void)op;
    dx[0] = dy[0];
}

const nbi_opdef nbi_opdef_CHECK_NUMERICS = {
    .type = "CheckNumerics", .n_inputs = 1, .infer = infer_check_numerics, .kernel = k_check_numerics,
    .grad = grad_check_numerics,
    .attrs = NBI_ATTRS(NBI_ATTR_T, {"message", NBI_A_MESSAGE}),
};

nb_output nb_check_numerics(nb_graph *g, nb_output x, const char *message, const char *name) {
    nb_op *op = nbi_op_new(g, NBI_OP_CHECK_NUMERICS, name, NULL, &x, 1);
    if (!op) return nb_nil;
    char *m = nbi_strdup(message ? message : "");
    if (!m || !nbi_graph_own(g, m, nbi_free)) {
        nbi_free(m);
        nbi_op_discard(op);
        nbi_graph_error(g, NB_ERR_OUT_OF_MEMORY, "out of memory adding CheckNumerics");
        return nb_nil;
    }
    op->attrs.message = m;
    return nbi_op_finish(op);
}
