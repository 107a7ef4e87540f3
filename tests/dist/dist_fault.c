/*
 * dist_fault.c — a job whose rank 1 fails (tests/dist/fault.sh runs it with 3
 * ranks): mode "kill", rank 1 kills itself (SIGKILL) at step 3; mode "stop",
 * rank 1 stops (SIGSTOP: alive but silent) at step 3. The others keep
 * all-reducing; a failed run prints its message and ends the job with
 * nb_dist_abort, as a program should. fault.sh checks the time and the message.
 */
#include <nabla.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    nb_error err;
    if (nb_dist_init(&argc, &argv, &err) != NB_OK) {
        fprintf(stderr, "nb_dist_init: %s\n", err.message);
        return 1;
    }
    const char *mode = argc > 1 ? argv[1] : "kill";
    nb_graph *g = nb_graph_new();
    nb_tensor *x = nb_tensor_scalar(NB_FLOAT32, 1.0);
    nb_output y = nb_dist_allreduce(g, nb_constant(g, x, "x"), NB_DIST_SUM, "grads");
    nb_tensor_unref(x);
    nb_session *s = nb_session_new(g);
    for (int step = 0; step < 1000000; step++) {
        if (step == 3 && nb_dist_rank() == 1) raise(strcmp(mode, "stop") ? SIGKILL : SIGSTOP);
        nb_tensor *t = nb_session_eval(s, y, NULL, 0);
        if (!t) {
            fprintf(stderr, "rank %d, step %d: %s\n", nb_dist_rank(), step, nb_session_errmsg(s));
            nb_session_free(s);
            nb_graph_free(g);
            nb_dist_abort(3);
            return 3;
        }
        nb_tensor_unref(t);
    }
    nb_session_free(s);
    nb_graph_free(g);
    nb_dist_finalize();
    return 0;
}
