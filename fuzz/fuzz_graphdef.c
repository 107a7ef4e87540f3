/* fuzz_graphdef.c — nb_graph_import_graphdef on arbitrary bytes; a graph that imports
 * cleanly is exported again and run once (fetching nothing is skipped). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nb_graph *g = nb_graph_new();
    if (!g) return 0;
    nb_error err = {0};
    nb_status st = nb_graph_import_graphdef(g, data, size, (size & 1) ? "import" : NULL, &err);
    if (st != NB_OK) {
        fuzz_check_error(&err);
        if (nb_graph_status(g) == NB_OK && err.code != NB_ERR_IO) abort(); /* sticky on g */
    } else {
        void *bytes = NULL;
        size_t len = 0;
        if (nb_graph_to_graphdef(g, &bytes, &len) == NB_OK) free(bytes);
    }
    nb_graph_free(g);
    return 0;
}
