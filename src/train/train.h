/*
 * train.h — the train room's private header (src/train/): what the optimizers
 * share with distributed training (src/dist/).
 */
#ifndef NB_TRAIN_H
#define NB_TRAIN_H

#include "ops/ops_impl.h"

/*** Training (src/train/optimizers.c) **************************************/

/* The variable list minimize works on: *vars/n_vars as given, or, when *vars is NULL or
 * n_vars <= 0, the graph's trainable variables in a new list stored in *vars and *owned
 * (the caller frees *owned with nbi_free). Returns the count, or -1 with g's error set
 * (out of memory, "No variables to optimize."). Used by nb_optimizer_minimize and
 * nb_dist_minimize. */
int nbi_minimize_var_list(nb_graph *g, const nb_output **vars, int n_vars, nb_output **owned);

#endif /* NB_TRAIN_H */
