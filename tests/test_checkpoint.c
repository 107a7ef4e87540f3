/*
 * test_checkpoint.c — safetensors checkpoints: bit-for-bit round trips, numpy
 * reading the file, a save killed before its rename, every corrupt-input
 * case, restore errors naming the variable, and keep-last-N.
 */
#include "harness.h"
#include "io/atomic.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir_[256];

static const char *tmpdir(void) {
    if (!tmpdir_[0]) {
        snprintf(tmpdir_, sizeof tmpdir_, "/tmp/nb_ckpt_test.%ld", (long)getpid());
        mkdir(tmpdir_, 0777);
    }
    return tmpdir_;
}

static char *tpath(const char *name) {
    static char buf[4][512];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", tmpdir(), name);
    return b;
}

/* A graph with variables of every dtype, scoped names and an optimizer slot. */
typedef struct model {
    nb_graph *g;
    nb_output w, b, d, i32, i64, u8, flag, loss, train, init;
} model;

static model make_model(float w0) {
    model m;
    m.g = nb_graph_new();
    nb_graph *g = m.g;
    float wv[6] = {w0, 2, 3, 4, 5, 6};
    int64_t wd[2] = {2, 3};
    nb_tensor *wt = nb_tensor_new(NB_FLOAT32, 2, wd, wv);
    m.w = nb_variable_from_tensor(g, wt, "weights");
    nb_tensor_unref(wt);
    nb_name_scope_push(g, "dense");
    m.b = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(3), NULL), "kernel");
    nb_name_scope_pop(g);
    m.d = nb_variable(g, nb_constant_f64(g, 0.1, NULL), "d64");
    m.i32 = nb_variable(g, nb_constant_i32(g, -7, NULL), "count");
    int64_t n3 = 3;
    int64_t iv[3] = {INT64_MIN, -1, INT64_MAX};
    nb_tensor *it = nb_tensor_new(NB_INT64, 1, &n3, iv);
    m.i64 = nb_variable_from_tensor(g, it, "big");
    nb_tensor_unref(it);
    uint8_t uv[3] = {0, 128, 255};
    nb_tensor *ut = nb_tensor_new(NB_UINT8, 1, &n3, uv);
    m.u8 = nb_variable_from_tensor(g, ut, "bytes");
    nb_tensor_unref(ut);
    bool bv[3] = {true, false, true};
    nb_tensor *bt = nb_tensor_new(NB_BOOL, 1, &n3, bv);
    m.flag = nb_variable_from_tensor(g, bt, "flags");
    nb_tensor_unref(bt);
    nb_output x = nb_constant_f32(g, 1.5f, "x");
    m.loss = nb_reduce_sum(g, nb_square(g, nb_add(g, nb_multiply(g, m.w, x, NULL), m.b, NULL), NULL),
                           NULL, NB_ALL_AXES, false, "loss");
    nb_output vars[2] = {m.w, m.b};
    m.train = nb_optimizer_minimize(nb_train_momentum(g, 0.01, 0.9, false), m.loss, vars, 2, nb_nil);
    m.init = nb_global_variables_initializer(g);
    return m;
}

static nb_session *trained(model *m, int steps) {
    nb_session *s = nb_session_new(m->g);
    nb_session_run(s, NULL, 0, &m->init, 1, NULL);
    for (int i = 0; i < steps; i++) nb_session_run(s, NULL, 0, &m->train, 1, NULL);
    return s;
}

/* Every variable of two sessions over graphs with the same variables: same bytes? */
static bool same_vars(nb_session *a, nb_session *b) {
    nb_graph *ga = nb_session_graph(a), *gb = nb_session_graph(b);
    if (nb_graph_num_variables(ga) != nb_graph_num_variables(gb)) return false;
    for (int i = 0; i < nb_graph_num_variables(ga); i++) {
        nb_tensor *x = nb_session_variable_value(a, nb_graph_variable(ga, i));
        nb_tensor *y = nb_session_variable_value(b, nb_graph_variable(gb, i));
        bool ok = x && y && nb_tensor_nbytes(x) == nb_tensor_nbytes(y) &&
                  nb_tensor_dtype(x) == nb_tensor_dtype(y) &&
                  !memcmp(nb_tensor_data_const(x), nb_tensor_data_const(y), nb_tensor_nbytes(x));
        nb_tensor_unref(x);
        nb_tensor_unref(y);
        if (!ok) return false;
    }
    return true;
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)sz + 1);
    *n = fread(b, 1, (size_t)sz, f);
    fclose(f);
    return b;
}

static void spit(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (n) fwrite(b, 1, n, f);
    fclose(f);
}

TEST(round_trip_bit_for_bit) {
    model m = make_model(1);
    CHECK_GRAPH_OK(m.g);
    nb_session *s = trained(&m, 5);
    nb_error err;
    const char *p = tpath("rt.safetensors");
    CHECK_STATUS(nb_checkpoint_save(s, p, &err), NB_OK);
    /* A second session of the same graph, and one of a fresh, identical graph. */
    nb_session *s2 = nb_session_new(m.g);
    CHECK_STATUS(nb_checkpoint_restore(s2, p, &err), NB_OK);
    CHECK(same_vars(s, s2));
    model m3 = make_model(42);
    nb_session *s3 = trained(&m3, 1);
    CHECK(!same_vars(s, s3));
    CHECK_STATUS(nb_checkpoint_restore(s3, p, &err), NB_OK);
    CHECK(same_vars(s, s3));
    /* Saving the restored session gives the same file. */
    const char *p2 = tpath("rt2.safetensors");
    CHECK_STATUS(nb_checkpoint_save(s3, p2, &err), NB_OK);
    size_t n1 = 0, n2 = 0;
    unsigned char *a = slurp(p, &n1), *b = slurp(p2, &n2);
    CHECK(a && b && n1 == n2 && !memcmp(a, b, n1));
    /* The header: 8-byte length, multiple of 8, JSON with the names. */
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)a[i] << (8 * i);
    CHECK(hl % 8 == 0 && hl + 8 <= n1);
    CHECK(memmem(a, n1, "\"dense/kernel\"", 14) != NULL);
    CHECK(memmem(a, n1, "\"weights/Momentum\"", 18) != NULL);
    CHECK(memmem(a, n1, "\"format\":\"nabla\"", 16) != NULL);
    /* nb_checkpoint_read */
    int n;
    char **names;
    nb_tensor **vals;
    CHECK_STATUS(nb_checkpoint_read(p, &n, &names, &vals, &err), NB_OK);
    CHECK(n == nb_graph_num_variables(m.g));
    nb_checkpoint_read_free(n, names, vals);
    free(a);
    free(b);
    nb_session_free(s);
    nb_session_free(s2);
    nb_session_free(s3);
    nb_graph_free(m.g);
    nb_graph_free(m3.g);
}

TEST(numpy_reads_the_file) {
    model m = make_model(1);
    nb_session *s = trained(&m, 3);
    nb_error err;
    const char *p = tpath("np.safetensors");
    CHECK_STATUS(nb_checkpoint_save(s, p, &err), NB_OK);
    if (access("/usr/bin/python3", X_OK) != 0) {
        FAILF("/usr/bin/python3 is missing: install python3 and python3-numpy (scripts/setup.sh)");
        goto out;
    }
    const char *script = tpath("read.py");
    FILE *f = fopen(script, "w");
    fputs("import json, struct, sys\n"
          "try:\n    import numpy as np\n"
          "except ImportError:\n    print('NO_NUMPY'); sys.exit(3)\n"
          "b = open(sys.argv[1], 'rb').read()\n"
          "(n,) = struct.unpack('<Q', b[:8])\n"
          "h = json.loads(b[8:8 + n])\n"
          "assert h['__metadata__']['format'] == 'nabla'\n"
          "dt = {'F32': '<f4', 'F64': '<f8', 'I32': '<i4', 'I64': '<i8', 'U8': 'u1', 'BOOL': '?'}\n"
          "data = b[8 + n:]\n"
          "for k in sorted(x for x in h if x != '__metadata__'):\n"
          "    e = h[k]; s, t = e['data_offsets']\n"
          "    a = np.frombuffer(data[s:t], dtype=dt[e['dtype']]).reshape(e['shape'])\n"
          "    print(k, e['dtype'], list(a.shape), a.tobytes().hex(), repr(a.ravel().tolist()))\n",
          f);
    fclose(f);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s", script, p);
    FILE *pp = popen(cmd, "r");
    char line[8192];
    int seen = 0;
    while (pp && fgets(line, sizeof line, pp)) {
        if (strstr(line, "NO_NUMPY")) {
            FAILF("numpy is missing for /usr/bin/python3: install python3-numpy (scripts/setup.sh)");
            break;
        }
        char name[128], dt[8], shape[64], hex[4096];
        if (sscanf(line, "%127s %7s %63[^]]] %4095s", name, dt, shape, hex) != 4) continue;
        nb_graph *g = m.g;
        nb_op *op = nb_graph_find_op(g, name);
        CHECK(op != NULL);
        if (!op) continue;
        nb_tensor *v = nb_session_variable_value(s, nb_op_output(op, 0));
        char mine[4096] = "";
        const unsigned char *d = nb_tensor_data_const(v);
        for (size_t i = 0; i < nb_tensor_nbytes(v) && 2 * i + 2 < sizeof mine; i++)
            sprintf(mine + 2 * i, "%02x", d[i]);
        if (strcmp(mine, hex)) FAILF("numpy reads %s as %s, nabla holds %s", name, hex, mine);
        checks_++;
        nb_tensor_unref(v);
        seen++;
    }
    int rc = pp ? pclose(pp) : -1;
    CHECK(rc == 0);
    CHECK(seen == nb_graph_num_variables(m.g));
out:
    nb_session_free(s);
    nb_graph_free(m.g);
}

static bool kill_hook(const char *tmp) {
    (void)tmp;
    raise(SIGKILL);
    return true;
}

static bool fail_hook(const char *tmp) {
    (void)tmp;
    return false;
}

static int count_files_with_prefix(const char *dir, const char *prefix) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -1 %s | grep -c '^%s' ", dir, prefix);
    FILE *p = popen(cmd, "r");
    int n = 0;
    if (p && fscanf(p, "%d", &n) != 1) n = -1;
    if (p) pclose(p);
    return n;
}

TEST(killed_save_leaves_old_checkpoint) {
    model m = make_model(1);
    nb_session *s = trained(&m, 2);
    nb_error err;
    const char *p = tpath("kill.safetensors");
    CHECK_STATUS(nb_checkpoint_save(s, p, &err), NB_OK);
    size_t n0 = 0;
    unsigned char *before = slurp(p, &n0);
    nb_session *old = nb_session_new(m.g);
    CHECK_STATUS(nb_checkpoint_restore(old, p, &err), NB_OK);
    for (int i = 0; i < 3; i++) nb_session_run(s, NULL, 0, &m.train, 1, NULL);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        nbi_atomic_before_rename = kill_hook;
        nb_checkpoint_save(s, p, NULL);
        _exit(0); /* not reached */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    size_t n1 = 0;
    unsigned char *after = slurp(p, &n1);
    CHECK(after && n0 == n1 && !memcmp(before, after, n0));
    nb_session *s2 = nb_session_new(m.g);
    CHECK_STATUS(nb_checkpoint_restore(s2, p, &err), NB_OK);
    CHECK(same_vars(s2, old));
    CHECK(!same_vars(s2, s));
    /* The killed writer left its temporary beside it, never under the final name. */
    CHECK(count_files_with_prefix(tmpdir(), "kill.safetensors.tmp.") == 1);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -f %s/kill.safetensors.tmp.*", tmpdir());
    CHECK(system(cmd) == 0);
    /* An I/O failure between write and rename: an error, old file intact, no temporary. */
    nbi_atomic_before_rename = fail_hook;
    CHECK_STATUS(nb_checkpoint_save(s, p, &err), NB_ERR_IO);
    nbi_atomic_before_rename = NULL;
    CHECK_STR_CONTAINS(err.message, "kill.safetensors");
    free(after);
    after = slurp(p, &n1);
    CHECK(after && n0 == n1 && !memcmp(before, after, n0));
    CHECK(count_files_with_prefix(tmpdir(), "kill.safetensors.tmp.") == 0);
    free(before);
    free(after);
    nb_session_free(s);
    nb_session_free(s2);
    nb_session_free(old);
    nb_graph_free(m.g);
}

/* Restore into a fresh session must fail with NB_ERR_IO naming the file. */
static void expect_corrupt(nb_graph *g, const char *p, const char *what, const char *ctx) {
    nb_session *s = nb_session_new(g);
    nb_error err;
    nb_status st = nb_checkpoint_restore(s, p, &err);
    checks_++;
    if (st != NB_ERR_IO) FAILF("%s: restore gave %s (%s)", ctx, nb_status_string(st), err.message);
    else if (!strstr(err.message, p)) FAILF("%s: message does not name the file: %s", ctx, err.message);
    else if (what && !strstr(err.message, what))
        FAILF("%s: message \"%s\" does not say \"%s\"", ctx, err.message, what);
    nb_session_free(s);
}

TEST(truncated_and_flipped_files) {
    model m = make_model(1);
    nb_session *s = trained(&m, 1);
    nb_error err;
    const char *p = tpath("good.safetensors");
    CHECK_STATUS(nb_checkpoint_save(s, p, &err), NB_OK);
    size_t n = 0;
    unsigned char *b = slurp(p, &n);
    const char *q = tpath("bad.safetensors");
    for (size_t len = 0; len < n; len++) {
        spit(q, b, len);
        char ctx[64];
        snprintf(ctx, sizeof ctx, "truncated at %zu of %zu", len, n);
        expect_corrupt(m.g, q, NULL, ctx);
    }
    /* Flip every byte: an error or a successful restore, never a crash. */
    int errors = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char *c = malloc(n);
        memcpy(c, b, n);
        c[i] ^= 0xA5;
        spit(q, c, n);
        free(c);
        nb_session *s2 = nb_session_new(m.g);
        if (nb_checkpoint_restore(s2, q, &err) != NB_OK) errors++;
        nb_session_free(s2);
    }
    CHECK(errors > 0);
    free(b);
    nb_session_free(s);
    nb_graph_free(m.g);
}

/* A file from a header string and data bytes. */
static void craft(const char *path, const char *json, size_t data_len, uint64_t hl_override) {
    size_t jl = strlen(json);
    uint64_t hl = hl_override ? hl_override : jl;
    unsigned char *b = calloc(1, 8 + jl + data_len + 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(hl >> (8 * i));
    memcpy(b + 8, json, jl);
    spit(path, b, 8 + jl + data_len);
    free(b);
}

TEST(corrupt_headers) {
    nb_graph *g = nb_graph_new();
    nb_output w = nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(2), NULL), "w");
    (void)w;
    const char *q = tpath("crafted.safetensors");
    struct {
        const char *json;
        size_t data;
        uint64_t hl;
        const char *what;
    } cases[] = {
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 1u << 30, "header length"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, (uint64_t)-1, "header length"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]", 8, 0, "JSON"},
        {"[1,2,3]", 8, 0, "not a JSON object"},
        {"{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 0, "dtype"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, 0, "outside"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, 0, "outside"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, 0,
         "tensor 'w' has 8 bytes of data, but its dtype (float32) and shape [3] need 12 bytes"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, 0, "overlap"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, 0, "twice"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, 0, "dimension"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, 0,
         "and shape [4294967296,4294967296,4294967296] need more than 18446744073709551614 bytes (the size overflows)"},
        /* 0 bytes for a huge shape once said "need 0" */
        {"{\"w\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0, 0,
         "tensor 'w' has 0 bytes of data, but its dtype (float64) and shape [4294967296,4294967296] need more than"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[0,7],\"data_offsets\":[0,4]}}", 4, 0,
         "has 4 bytes of data, but its dtype (float32) and shape [0,7] need 0 bytes"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0.5,8]}}", 8, 0, "data_offsets"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, 0, "data_offsets"},
        {"{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 0, "dtype"},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 8, 0, "rank"},
        {"{\"w\":5}", 8, 0, "not an object"},
        {"{\"__metadata__\":[]}", 0, 0, "__metadata__"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        craft(q, cases[i].json, cases[i].data, cases[i].hl);
        char ctx[32];
        snprintf(ctx, sizeof ctx, "case %zu", i);
        expect_corrupt(g, q, cases[i].what, ctx);
    }
    nb_error err;
    nb_session *s = nb_session_new(g);
    CHECK_STATUS(nb_checkpoint_restore(s, tpath("does-not-exist"), &err), NB_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.message, "does-not-exist");
    /* A valid hand-made file restores. */
    craft(q, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 0);
    CHECK_STATUS(nb_checkpoint_restore(s, q, &err), NB_OK);
    nb_session_free(s);
    nb_graph_free(g);
}

TEST(restore_errors_name_the_variable) {
    model m = make_model(1);
    nb_session *s = trained(&m, 1);
    nb_error err;
    const char *p = tpath("names.safetensors");
    CHECK_STATUS(nb_checkpoint_save(s, p, &err), NB_OK);

    /* A graph whose "dense/kernel" has another shape, and a variable before it
     * that would restore fine: nothing may change. */
    nb_graph *g = nb_graph_new();
    float wv[6] = {9, 9, 9, 9, 9, 9};
    int64_t wd[2] = {2, 3};
    nb_tensor *wt = nb_tensor_new(NB_FLOAT32, 2, wd, wv);
    nb_output w = nb_variable_from_tensor(g, wt, "weights");
    nb_tensor_unref(wt);
    nb_name_scope_push(g, "dense");
    nb_variable(g, nb_zeros(g, NB_FLOAT32, NB_SHAPE(4), NULL), "kernel");
    nb_name_scope_pop(g);
    nb_output init = nb_global_variables_initializer(g);
    nb_session *s2 = nb_session_new(g);
    nb_session_run(s2, NULL, 0, &init, 1, NULL);
    CHECK_STATUS(nb_checkpoint_restore(s2, p, &err), NB_ERR_SHAPE);
    CHECK_STR_CONTAINS(err.message, "'dense/kernel'");
    CHECK_STR_CONTAINS(err.message, "[4]");
    nb_tensor *wnow = nb_session_variable_value(s2, w);
    CHECK(wnow && ((const float *)nb_tensor_data_const(wnow))[0] == 9);
    nb_tensor_unref(wnow);

    /* A missing variable, and a dtype mismatch. */
    nb_graph *g3 = nb_graph_new();
    nb_variable(g3, nb_zeros(g3, NB_FLOAT32, NB_SHAPE(2), NULL), "not_saved");
    nb_session *s3 = nb_session_new(g3);
    CHECK_STATUS(nb_checkpoint_restore(s3, p, &err), NB_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.message, "'not_saved'");
    nb_graph *g4 = nb_graph_new();
    nb_variable(g4, nb_constant_f32(g4, 0, NULL), "d64");
    nb_session *s4 = nb_session_new(g4);
    CHECK_STATUS(nb_checkpoint_restore(s4, p, &err), NB_ERR_DTYPE);
    CHECK_STR_CONTAINS(err.message, "'d64'");
    nb_session_free(s2);
    nb_session_free(s3);
    nb_session_free(s4);
    nb_graph_free(g);
    nb_graph_free(g3);
    nb_graph_free(g4);
    nb_session_free(s);
    nb_graph_free(m.g);
}

TEST(keep_last_n_and_latest) {
    model m = make_model(1);
    nb_session *s = trained(&m, 1);
    nb_error err;
    char dir[600], prefix[700];
    snprintf(dir, sizeof dir, "%s/run", tmpdir());
    mkdir(dir, 0777);
    snprintf(prefix, sizeof prefix, "%s/model", dir);
    char *latest = nb_checkpoint_latest(dir, &err);
    CHECK(latest == NULL && err.code == NB_ERR_NOT_FOUND);
    for (int step = 10; step <= 50; step += 10) {
        char *saved = NULL;
        CHECK_STATUS(nb_checkpoint_save_step(s, prefix, step, 2, &saved, &err), NB_OK);
        char want[800];
        snprintf(want, sizeof want, "%s-%d.safetensors", prefix, step);
        CHECK(saved && !strcmp(saved, want));
        free(saved);
        nb_session_run(s, NULL, 0, &m.train, 1, NULL);
    }
    CHECK(count_files_with_prefix(dir, "model-") == 2);
    char p40[800], p50[800], p30[800];
    snprintf(p30, sizeof p30, "%s-30.safetensors", prefix);
    snprintf(p40, sizeof p40, "%s-40.safetensors", prefix);
    snprintf(p50, sizeof p50, "%s-50.safetensors", prefix);
    CHECK(access(p30, F_OK) != 0 && access(p40, F_OK) == 0 && access(p50, F_OK) == 0);
    latest = nb_checkpoint_latest(dir, &err);
    CHECK(latest && !strcmp(latest, p50));
    nb_session *s2 = nb_session_new(m.g);
    CHECK_STATUS(nb_checkpoint_restore(s2, latest, &err), NB_OK);
    free(latest);
    nb_session_free(s2);
    nb_session_free(s);
    nb_graph_free(m.g);
}

int main(int argc, char **argv) {
    int rc = run_tests(argc, argv);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir());
    if (system(cmd) != 0) rc = 1;
    return rc;
}
