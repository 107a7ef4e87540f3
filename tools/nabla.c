/*
 * nabla.c — the command-line tool: TensorBoard's views for people without
 * TensorBoard. This file is the dispatcher: the usage text, the table of
 * subcommands, and main. Each subcommand is its own file:
 *
 *   nabla events LOGDIR|FILE   tools/cli/events.c: lists runs, tags, steps,
 *                              wall times and values (CSV or JSON), or a
 *                              per-tag summary; every record's CRCs are
 *                              checked by the library reader
 *   nabla graph LOGDIR|FILE -o out.svg|png|dot
 *                              tools/cli/graph.c: draws the stored GraphDef
 *                              with Graphviz: one cluster per name scope, op
 *                              types on nodes, shapes on data edges, control
 *                              edges dashed
 *   nabla plot LOGDIR|FILE --tag TAG -o out.png|svg
 *                              tools/cli/plot.c: one scalar tag, one line per run
 *   nabla board --logdir DIR   tools/board/: TensorBoard's views served over HTTP
 *
 * What they share (program name, allocation, usage errors, the event-file
 * reading loop) is tools/cli/cli.h + cli.c. Reading goes through the public
 * reader (nb_events_list_files, nb_event_reader_*).
 * Exit status: 0 on success, 1 when a file is unreadable, corrupt or holds no
 * graph, 2 for a usage error.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

/*** Usage ***/

const char usage_text[] =
    "usage: nabla <command> [options]\n"
    "\n"
    "Commands:\n"
    "  events LOGDIR|FILE [--format csv|json] [--tag TAG] [--no-wall-time]\n"
    "      List every summary value of the event files under LOGDIR (one run per\n"
    "      directory, as TensorBoard reads them): run, tag, step, wall time, kind\n"
    "      and value. Histograms give count/min/max/mean, images width x height,\n"
    "      graphs their node count. Every record's CRCs are checked; a corrupt or\n"
    "      truncated file is reported on stderr with its byte offset, the records\n"
    "      before it are still listed, and the exit status is 1.\n"
    "  events --summary LOGDIR|FILE [--format csv|json] [--tag TAG]\n"
    "      One line per run and tag: number of points, first and last step and value.\n"
    "  graph LOGDIR|FILE -o OUT.svg|OUT.png|OUT.dot [--run RUN] [--depth N]\n"
    "      Draw the (last) graph stored in the event files with Graphviz: one box\n"
    "      per name scope, nodes labelled with name and op type, data edges with\n"
    "      tensor shapes, control edges dashed. --run picks the run when several\n"
    "      hold a graph. --depth N draws each scope nested deeper than N as one\n"
    "      box (0: one box per top-level scope), for big graphs. The output is\n"
    "      written atomically.\n"
    "  plot LOGDIR|FILE --tag TAG -o OUT.png|OUT.svg [--log-y] [--title TEXT]\n"
    "      Draw every run's curve of one scalar tag (value against step) on one\n"
    "      figure, one line per run, e.g. the three learning rates of\n"
    "      logs/learning_rate. Written atomically.\n"
    "  board --logdir DIR [--port N] [--host ADDR]\n"
    "      Serve TensorBoard's views of DIR at http://127.0.0.1:6006/ (`nabla board\n"
    "      --help`; tools/board/README.md).\n"
    "\n"
    "Options:\n"
    "  -h, --help       this text\n"
    "  -V, --version    the nabla version\n"
    "\n"
    "With TensorBoard installed, `tensorboard --logdir LOGDIR` shows the same files.\n";

/*** The subcommands ***/

/* skip: the arguments a command is not given. events, graph and plot get those
 * after their name; board, a program of its own, gets its name as argv[0]. */
static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    int skip;
} commands[] = {
    {"events", cmd_events, 2},
    {"graph", cmd_graph, 2},
    {"plot", cmd_plot, 2},
    {"board", nb_board_main, 1},
};
enum { N_COMMANDS = (int)(sizeof commands / sizeof *commands) };

/*** main ***/

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("nabla %s\n", nb_version());
        return 0;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - commands[i].skip, argv + commands[i].skip);
    if (cmd[0] == '-') return usage_error("unknown option '%s'", cmd);
    char names[128] = "";
    for (int i = 0; i < N_COMMANDS; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", commands[i].name);
    return usage_error("unknown command '%s' (commands: %s)", cmd, names);
}
