/* print.c — placeholder until numpy-style printing lands (see tests/test_print.c). */
#include "nb_internal.h"

#include <stdio.h>
#include <stdlib.h>

char *nb_tensor_to_string(const nb_tensor *t) {
    if (!t) return NULL;
    if (t->rank == 0) return nbi_asprintf("%g", nbi_load(t->data, t->dtype, 0));
    return nbi_asprintf("<tensor of %lld elements>", (long long)t->size);
}

void nb_tensor_print(FILE *f, const nb_tensor *t) {
    char *s = nb_tensor_to_string(t);
    fprintf(f, "%s\n", s ? s : "(null)");
    free(s);
}
