/*
 * dist_fault.c — a job whose rank 1 fails (tests/dist/fault.sh runs it with 3
 * ranks): mode "kill", rank 1 kills itself (SIGKILL) at step 3; mode "stop",
 * rank 1 stops (SIGSTOP: alive but silent) at step 3. Modes "kill_overlap"
 * and "stop_overlap" do the same in a training step whose all-reduce is the
 * overlapped one (NablaAllreduceStart on the communication thread, then
 * NablaAllreduceWait). The others keep all-reducing; a failed run prints its message and ends the job with
 * nb_dist_abort, as a program should. fault.sh checks the time and the message.
 */
#include <nabla.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    nb_error err;
    if (nb_dist_init(&argc, &argv, &err) != NB_OK) {
        fprintf(stderr, "nb_dist_init: %s\n", err.message);
        return 1;
    }
    const char *mode = argc > 1 ? argv[1] : "kill";
    bool overlap = strstr(mode, "_overlap") != NULL;
    nb_graph *g = nb_graph_new();
    nb_tensor *x = nb_tensor_scalar(NB_FLOAT32, 1.0);
    nb_output y;
    nb_output init = nb_nil;
    if (overlap) { /* w -= 0.01 * average over ranks of d(w^2)/dw */
        nb_output w = nb_variable(g, nb_constant(g, x, "w0"), "w");
        nb_output loss = nb_square(g, w, "loss");
        nb_dist_set_overlap(1 << 20);
        y = nb_dist_minimize(nb_train_gradient_descent(g, 0.01), loss, NULL, 0, NB_DIST_AVERAGE, nb_nil);
        init = nb_global_variables_initializer(g);
    } else {
        y = nb_dist_allreduce(g, nb_constant(g, x, "x"), NB_DIST_SUM, "grads");
    }
    nb_tensor_unref(x);
    nb_session *s = nb_session_new(g);
    if (overlap && nb_session_run(s, NULL, 0, &init, 1, NULL) != NB_OK) {
        fprintf(stderr, "init: %s\n", nb_session_errmsg(s));
        return 1;
    }
    for (int step = 0; step < 1000000; step++) {
        if (step == 3 && nb_dist_rank() == 1) raise(strncmp(mode, "stop", 4) ? SIGKILL : SIGSTOP);
        nb_tensor *t = NULL;
        if (overlap) {
            if (nb_session_run(s, NULL, 0, &y, 1, NULL) == NB_OK) t = nb_tensor_scalar(NB_FLOAT32, 0);
        } else {
            t = nb_session_eval(s, y, NULL, 0);
        }
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
