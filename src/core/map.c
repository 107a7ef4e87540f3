/*
 * map.c — a string -> pointer hash map (open addressing, FNV-1a): the graph's
 * names, the summary writer's and the summary ops' tags, the event reader's
 * seen files.
 */
#include "core/core.h"

#include <string.h>

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

void *nbi_map_get(const nbi_map *m, const char *key) {
    if (!m->cap) return NULL;
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) return NULL;
        if (!strcmp(m->keys[i], key)) return m->vals[i];
    }
}

static bool map_grow(nbi_map *m) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    char **keys = nbi_calloc(cap, sizeof *keys);
    void **vals = nbi_calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        nbi_free(keys);
        nbi_free(vals);
        return false;
    }
    for (size_t j = 0; j < m->cap; j++) {
        if (!m->keys[j]) continue;
        size_t i = hash_str(m->keys[j]) & (cap - 1);
        while (keys[i]) i = (i + 1) & (cap - 1);
        keys[i] = m->keys[j];
        vals[i] = m->vals[j];
    }
    nbi_free(m->keys);
    nbi_free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return true;
}

bool nbi_map_put(nbi_map *m, const char *key, void *val) {
    if ((m->count + 1) * 2 > m->cap && !map_grow(m)) return false;
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (!strcmp(m->keys[i], key)) {
            m->vals[i] = val;
            return true;
        }
        i = (i + 1) & (m->cap - 1);
    }
    char *k = nbi_strdup(key);
    if (!k) return false;
    m->keys[i] = k;
    m->vals[i] = val;
    m->count++;
    return true;
}

void nbi_map_free(nbi_map *m) {
    for (size_t i = 0; i < m->cap; i++) nbi_free(m->keys[i]);
    nbi_free(m->keys);
    nbi_free(m->vals);
    memset(m, 0, sizeof *m);
}
