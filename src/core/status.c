/*
 * status.c — status names, the error hook, and nb_error filling.
 */
#include "core/core.h"

#include <stdio.h>

static const char *const status_names[NB_STATUS_COUNT] = {
    [NB_OK] = "OK",
    [NB_ERR_INVALID_ARGUMENT] = "invalid argument",
    [NB_ERR_SHAPE] = "shape error",
    [NB_ERR_DTYPE] = "dtype error",
    [NB_ERR_NOT_FOUND] = "not found",
    [NB_ERR_UNIMPLEMENTED] = "unimplemented",
    [NB_ERR_OUT_OF_MEMORY] = "out of memory",
    [NB_ERR_IO] = "I/O error",
    [NB_ERR_INTERNAL] = "internal error",
    [NB_ERR_FAILED_PRECONDITION] = "failed precondition",
};

const char *nb_status_string(nb_status status) {
    if ((int)status < 0 || status >= NB_STATUS_COUNT) return "unknown status";
    return status_names[status];
}

const char *nb_version(void) { return "0.1.0"; }

/* Set a breakpoint here to stop at every error the library records. */
nb_status nbi_error(nb_status code) { return code; }

nb_status nbi_vrecord_error(nb_status *status, char *msg, size_t cap, nb_status code,
                            const char *fmt, va_list ap) {
    nbi_error(code);
    if (status) *status = code;
    vsnprintf(msg, cap, fmt, ap);
    return code;
}

nb_status nbi_record_error(nb_status *status, char *msg, size_t cap, nb_status code,
                           const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    nbi_vrecord_error(status, msg, cap, code, fmt, ap);
    va_end(ap);
    return code;
}

nb_status nbi_vset_error(nb_error *err, nb_status code, const char *fmt, va_list ap) {
    if (!err) return nbi_error(code);
    return nbi_vrecord_error(&err->code, err->message, sizeof err->message, code, fmt, ap);
}

nb_status nbi_set_error(nb_error *err, nb_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    nbi_vset_error(err, code, fmt, ap);
    va_end(ap);
    return code;
}
