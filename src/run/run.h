/*
 * run.h — the run room's private header (src/run/): what sessions offer the
 * files that save them (checkpoints, freezing).
 */
#ifndef NB_RUN_H
#define NB_RUN_H

#include "kernel/kernel.h"

/*** Sessions (src/run/session.c) *******************************************/

/* A session's current value of variable op v, by reference and without
 * copying (updates made later copy first, so it stays a snapshot). NULL when
 * uninitialized, or with *oom set when the session's state could not grow. */
nb_tensor *nbi_session_variable_ref(nb_session *s, const nb_op *v, bool *oom);
/* How many producer steps the session's compiled plans fold into a consumer
 * (run-time fusion, nbi_opdef.fused); for tests. */
int nbi_session_fused_steps(nb_session *s);

#endif /* NB_RUN_H */
