/*
 * graphdef_file.c — GraphDef files: writing one (.pb, atomically, through
 * graphdef_export.c) and loading one into a graph (through graphdef_import.c),
 * with the path in front of any error.
 */
#include "nb_internal.h"
#include "io/atomic.h"

#include <stdlib.h>

nb_status nb_graph_save_graphdef(const nb_graph *g, const char *path, nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    if (!g || !path) return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "nb_graph_save_graphdef: no graph or path");
    if (g->status != NB_OK)
        return nbi_set_error(err, NB_ERR_INVALID_ARGUMENT, "%s: the graph is in error: %s", path, g->errmsg);
    void *bytes;
    size_t len;
    nb_status st = nb_graph_to_graphdef(g, &bytes, &len);
    if (st != NB_OK) return nbi_set_error(err, st, "%s: cannot serialize the graph", path);
    const void *chunk = bytes;
    st = nbi_write_atomic(path, &chunk, &len, 1, err);
    free(bytes);
    return st;
}

nb_status nb_graph_load_graphdef(nb_graph *g, const char *path, const char *prefix, nb_error *err) {
    if (err) err->code = NB_OK, err->message[0] = 0;
    size_t len;
    void *buf = nbi_read_file(path, &len, err);
    if (!buf) return err ? err->code : NB_ERR_IO;
    nb_status st = nb_graph_import_graphdef(g, buf, len, prefix, err);
    if (st != NB_OK && err) {
        char msg[sizeof err->message];
        memcpy(msg, err->message, sizeof msg);
        size_t pl = strlen(path) < 200 ? strlen(path) : 200;
        memcpy(err->message, path, pl);
        memcpy(err->message + pl, ": ", 2);
        size_t room = sizeof err->message - pl - 3;
        size_t ml = strnlen(msg, room);
        memcpy(err->message + pl + 2, msg, ml);
        err->message[pl + 2 + ml] = 0;
    }
    nbi_free(buf);
    return st;
}
