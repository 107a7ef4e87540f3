/*
 * fixture_graphs.h — the course graphs that the event-file fixtures and tests
 * build (tests/cli_fixture.c, tests/test_events.c, tools/board/tests/board_fixture.c),
 * written once so the files they write describe the same graphs.
 */
#ifndef NB_FIXTURE_GRAPHS_H
#define NB_FIXTURE_GRAPHS_H

#include <nabla.h>

/* The HW2 graph of examples/hw2.c. */
static inline nb_graph *hw2_graph(void) {
    nb_graph *g = nb_graph_new();
    nb_name_scope_push(g, "Input_placeholder");
    nb_output a = nb_placeholder(g, NB_FLOAT32, NB_SHAPE_UNKNOWN_RANK, "a");
    nb_name_scope_pop(g);
    nb_name_scope_push(g, "Middle_section");
    nb_output b = nb_reduce_prod(g, a, NULL, NB_ALL_AXES, false, "prod_b");
    nb_output c = nb_reduce_mean(g, a, NULL, NB_ALL_AXES, false, NULL);
    nb_output d = nb_reduce_sum(g, a, NULL, NB_ALL_AXES, false, "sum_a");
    nb_output e = nb_add(g, b, c, "add_d");
    nb_name_scope_pop(g);
    nb_name_scope_push(g, "Final_node");
    nb_multiply(g, e, d, "final_multiply_node");
    nb_name_scope_pop(g);
    return g;
}

/* The course's linear regression: loss = sum((y - (x W + b))^2), GD minimize, and the
 * variables' initializer. *loss (when not NULL) gets the loss output. */
static inline nb_graph *linreg_graph(nb_output *loss_out) {
    nb_graph *g = nb_graph_new();
    nb_output x = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 2), "x");
    nb_output y = nb_placeholder(g, NB_FLOAT32, NB_SHAPE(NB_DIM_UNKNOWN, 1), "y");
    nb_output W = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(2, 1), NULL), "weights");
    nb_output b = nb_variable(g, nb_constant_f32(g, 0.0f, NULL), "bias");
    nb_output pred = nb_add(g, nb_matmul(g, x, W, false, false, NULL), b, NULL);
    nb_output loss = nb_reduce_sum(g, nb_squared_difference(g, y, pred, NULL), NULL, NB_ALL_AXES,
                                   false, NULL);
    nb_optimizer_minimize(nb_train_gradient_descent(g, 1e-6), loss, NULL, 0, nb_nil);
    nb_global_variables_initializer(g);
    if (loss_out) *loss_out = loss;
    return g;
}

#endif
