/*
 * kstate.h — per-session state a kernel keeps between runs (the executor's
 * side, src/run/session.c). Kept out of nb_internal.h while that header is
 * split per layer.
 */
#ifndef NB_RUN_KSTATE_H
#define NB_RUN_KSTATE_H

#include "nb_internal.h"

/* This op's counter in this session: zero when the session is made (or the op
 * is added later), kept across runs, private to the session as a TF1 kernel's
 * member is. Shared with nbi_kseed, which counts a random op's runs in it, so
 * only ops without NBI_SEEDED may use it (Print's first_n). Runs of one session
 * never overlap, so plain reads and writes suffice. */
uint32_t *nbi_kop_counter(nbi_kctx *k);

#endif /* NB_RUN_KSTATE_H */
