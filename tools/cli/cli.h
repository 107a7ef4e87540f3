/*
 * cli.h — what the `nabla` tool's subcommands share (tools/cli/cli.c): the
 * program name for messages, allocation that exits on failure, the usage
 * error, and the loop that reads every event file under a path.
 *
 * Layout: tools/nabla.c is the dispatcher (usage text, command table, main);
 * each subcommand is one file, tools/cli/<command>.c, entered through
 * cmd_<command>(argc, argv) with the arguments after its name; `nabla board`
 * lives in tools/board/ (nb_board_main gets "board" as argv[0]).
 * Exit status everywhere: 0 on success, 1 when a file is unreadable, corrupt
 * or holds nothing to show, 2 for a usage error.
 */
#ifndef NABLA_TOOLS_CLI_H
#define NABLA_TOOLS_CLI_H

#include <nabla.h>

#include <stddef.h>

/* "nabla": the prefix of every message on stderr. */
extern const char *prog;

/* `nabla --help`'s text (tools/nabla.c); `events --help` and `graph --help` print it too. */
extern const char usage_text[];

/* Allocation for a command-line tool: out of memory prints "nabla: out of
 * memory" and exits with status 1. */
void die_oom(void);
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Prints "nabla: <message>" and the pointer to --help on stderr; returns 2. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Called for every event read; returns nothing, may print. */
typedef void (*event_fn)(void *ctx, const char *run, const char *file, const nb_event *ev);

/* Reads every event file under path in TensorBoard's order, calling fn on each
 * event. A corrupt or truncated file is reported (path and byte offset, from
 * the reader) and reading goes on with the next file. run_filter, when set,
 * keeps only that run. Returns 0, or 1 when anything could not be read. */
int for_each_event(const char *path, const char *run_filter, event_fn fn, void *ctx, int *n_files_read);

/* The subcommands: argv holds the arguments after the command's name. */
int cmd_events(int argc, char **argv); /* tools/cli/events.c */
int cmd_graph(int argc, char **argv);  /* tools/cli/graph.c */
int cmd_plot(int argc, char **argv);   /* tools/cli/plot.c */
/* `nabla board`: tools/board/board.c; argv[0] is "board". */
int nb_board_main(int argc, char **argv);

#endif
