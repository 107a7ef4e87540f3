/*
 * print.c — nb_tensor_to_string: the text numpy's str() gives (numpy 1.24,
 * default print options: precision 8, floatmode 'maxprec', linewidth 75,
 * threshold 1000, edgeitems 3).
 *
 * Floats are formatted with the Dragon4 algorithm (Steele & White, "How to
 * print floating-point numbers accurately", PLDI 1990; Burger & Dybvig,
 * "Printing floating-point numbers quickly and accurately", PLDI 1996) in the
 * variant numpy uses (Ryan Juckett's, numpy/core/src/multiarray/dragon4.c):
 * shortest digits that identify the value among its neighbours of the same
 * type (so float32 prints as float32), with an optional cap and minimum on the
 * number of digits. The array layout follows numpy/core/arrayprint.py:
 * FloatingFormat, IntegerFormat, BoolFormat and _formatArray.
 */
#include "io/io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/*** Big integers ************************************************************/

/* Unsigned integers of up to BIG_BLOCKS 32-bit blocks, least significant first.
 * Dragon4 on a double needs about 1200 bits (2^1076 scales times 10^17). */
#define BIG_BLOCKS 80

typedef struct big {
    int len; /* blocks in use; 0 means zero; blocks[len-1] != 0 */
    uint32_t b[BIG_BLOCKS];
} big;

static void big_trim(big *a) {
    while (a->len > 0 && a->b[a->len - 1] == 0) a->len--;
}

static void big_set_u64(big *a, uint64_t v) {
    a->b[0] = (uint32_t)v;
    a->b[1] = (uint32_t)(v >> 32);
    a->len = 2;
    big_trim(a);
}

static void big_pow2(big *a, int n) {
    int blk = n / 32;
    memset(a->b, 0, sizeof a->b);
    a->b[blk] = 1u << (n % 32);
    a->len = blk + 1;
}

static int big_cmp(const big *a, const big *b) {
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    for (int i = a->len - 1; i >= 0; i--)
        if (a->b[i] != b->b[i]) return a->b[i] < b->b[i] ? -1 : 1;
    return 0;
}

static void big_mul_small(big *a, uint32_t m) {
    uint64_t carry = 0;
    for (int i = 0; i < a->len; i++) {
        uint64_t p = (uint64_t)a->b[i] * m + carry;
        a->b[i] = (uint32_t)p;
        carry = p >> 32;
    }
    if (carry && a->len < BIG_BLOCKS) a->b[a->len++] = (uint32_t)carry;
}

static void big_mul_pow10(big *a, int n) {
    for (; n >= 9; n -= 9) big_mul_small(a, 1000000000u);
    static const uint32_t p10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                    100000000};
    if (n > 0) big_mul_small(a, p10[n]);
}

static void big_shl(big *a, int n) {
    if (a->len == 0 || n == 0) return;
    int blk = n / 32, bits = n % 32;
    int len = a->len + blk + 1;
    if (len > BIG_BLOCKS) len = BIG_BLOCKS;
    for (int i = len - 1; i >= 0; i--) {
        int src = i - blk;
        uint32_t hi = src >= 0 && src < a->len ? a->b[src] : 0;
        uint32_t lo = src - 1 >= 0 && src - 1 < a->len ? a->b[src - 1] : 0;
        a->b[i] = bits ? (hi << bits) | (lo >> (32 - bits)) : hi;
    }
    a->len = len;
    big_trim(a);
}

/* r = a + b */
static void big_add(big *r, const big *a, const big *b) {
    int n = a->len > b->len ? a->len : b->len;
    uint64_t carry = 0;
    for (int i = 0; i < n; i++) {
        uint64_t s = carry + (i < a->len ? a->b[i] : 0) + (i < b->len ? b->b[i] : 0);
        r->b[i] = (uint32_t)s;
        carry = s >> 32;
    }
    r->len = n;
    if (carry && n < BIG_BLOCKS) r->b[r->len++] = (uint32_t)carry;
}

/* a -= b, requires a >= b */
static void big_sub(big *a, const big *b) {
    int64_t borrow = 0;
    for (int i = 0; i < a->len; i++) {
        int64_t d = (int64_t)a->b[i] - (i < b->len ? b->b[i] : 0) - borrow;
        borrow = d < 0;
        a->b[i] = (uint32_t)(d + (borrow ? ((int64_t)1 << 32) : 0));
    }
    big_trim(a);
}

/* Returns floor(a / s) (at most 9 here) and leaves the remainder in a. */
static uint32_t big_divmod_small_quotient(big *a, const big *s) {
    uint32_t q = 0;
    while (q < 10 && big_cmp(a, s) >= 0) {
        big_sub(a, s);
        q++;
    }
    return q;
}

/*** Dragon4 ******************************************************************/

enum trim_mode { TRIM_NONE, TRIM_ZEROS, TRIM_LEAVE_ONE_ZERO, TRIM_DPT_ZEROS };

/* A finite float split as value = mantissa * 2^exponent. */
typedef struct fparts {
    uint64_t mantissa;
    int exponent;
    int mantissa_bit;  /* index of the highest set bit of mantissa */
    bool unequal;      /* the gap above is twice the gap below (a power of two) */
    bool negative;
    bool nan, inf;
} fparts;

static int log2_u64(uint64_t v) {
    int n = -1;
    while (v) {
        v >>= 1;
        n++;
    }
    return n;
}

static fparts split_f64(double x) {
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    fparts p = {0};
    p.negative = bits >> 63;
    uint64_t frac = bits & ((UINT64_C(1) << 52) - 1);
    int e = (int)((bits >> 52) & 0x7ff);
    if (e == 0x7ff) {
        p.nan = frac != 0;
        p.inf = frac == 0;
    } else if (e != 0) {
        p.mantissa = (UINT64_C(1) << 52) | frac;
        p.exponent = e - 1023 - 52;
        p.mantissa_bit = 52;
        p.unequal = e != 1 && frac == 0;
    } else {
        p.mantissa = frac;
        p.exponent = 1 - 1023 - 52;
        p.mantissa_bit = log2_u64(frac);
    }
    return p;
}

static fparts split_f32(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    fparts p = {0};
    p.negative = bits >> 31;
    uint32_t frac = bits & ((1u << 23) - 1);
    int e = (int)((bits >> 23) & 0xff);
    if (e == 0xff) {
        p.nan = frac != 0;
        p.inf = frac == 0;
    } else if (e != 0) {
        p.mantissa = (1u << 23) | frac;
        p.exponent = e - 127 - 23;
        p.mantissa_bit = 23;
        p.unequal = e != 1 && frac == 0;
    } else {
        p.mantissa = frac;
        p.exponent = 1 - 127 - 23;
        p.mantissa_bit = log2_u64(frac);
    }
    return p;
}

/* Largest number of digits Dragon4 writes (numpy's buffer is larger, but the
 * unique mode never gets near this for 32/64-bit floats). */
#define MAX_DIGITS 400

/* Writes the decimal digits of a finite value (unique mode) to out and the
 * power of ten of the first digit to *out_exp; returns the digit count.
 * cutoff_max / cutoff_min are numpy's precision / min_digits (-1: none),
 * counted after the point when fractional, else as significant digits. */
static int dragon4(const fparts *fp, bool fractional, int cutoff_max, int cutoff_min,
                   char *out, int *out_exp) {
    static const double log10_2 = 0.30102999566398119521373889472449;
    big scale, value, mlow, mhigh_store, vhigh;
    big *mhigh = &mlow;
    int k, cut_max_exp, cut_min_exp;
    bool is_even = (fp->mantissa & 1) == 0;
    bool low = false, high = false;
    uint32_t digit = 0;
    int n = 0;

    if (fp->mantissa == 0) {
        out[0] = '0';
        *out_exp = 0;
        return 1;
    }
    memset(&scale, 0, sizeof scale);
    memset(&value, 0, sizeof value);
    memset(&mlow, 0, sizeof mlow);
    memset(&mhigh_store, 0, sizeof mhigh_store);
    big_set_u64(&value, fp->mantissa);
    if (fp->unequal) {
        if (fp->exponent > 0) {
            big_shl(&value, fp->exponent + 2);
            big_set_u64(&scale, 4);
            big_pow2(&mlow, fp->exponent);
            big_pow2(&mhigh_store, fp->exponent + 1);
        } else {
            big_shl(&value, 2);
            big_pow2(&scale, -fp->exponent + 2);
            big_set_u64(&mlow, 1);
            big_set_u64(&mhigh_store, 2);
        }
        mhigh = &mhigh_store;
    } else {
        if (fp->exponent > 0) {
            big_shl(&value, fp->exponent + 1);
            big_set_u64(&scale, 2);
            big_pow2(&mlow, fp->exponent);
        } else {
            big_shl(&value, 1);
            big_pow2(&scale, -fp->exponent + 1);
            big_set_u64(&mlow, 1);
        }
    }

    /* Estimate of floor(log10(v)) + 1, correct or one too small. */
    k = (int)ceil((double)(fp->mantissa_bit + fp->exponent) * log10_2 - 0.69);
    if (cutoff_max >= 0 && fractional && k <= -cutoff_max) k = -cutoff_max + 1;

    if (k > 0) {
        big_mul_pow10(&scale, k);
    } else if (k < 0) {
        big_mul_pow10(&value, -k);
        big_mul_pow10(&mlow, -k);
        if (mhigh != &mlow) {
            *mhigh = mlow;
            big_shl(mhigh, 1);
        }
    }
    if (big_cmp(&value, &scale) >= 0) {
        k++;
    } else {
        big_mul_small(&value, 10);
        big_mul_small(&mlow, 10);
        if (mhigh != &mlow) {
            *mhigh = mlow;
            big_shl(mhigh, 1);
        }
    }

    cut_max_exp = k - MAX_DIGITS;
    if (cutoff_max >= 0) {
        int want = fractional ? -cutoff_max : k - cutoff_max;
        if (want > cut_max_exp) cut_max_exp = want;
    }
    cut_min_exp = k;
    if (cutoff_min >= 0) {
        int want = fractional ? -cutoff_min : k - cutoff_min;
        if (want < cut_min_exp) cut_min_exp = want;
    }
    *out_exp = k - 1;

    for (;;) {
        k--;
        digit = big_divmod_small_quotient(&value, &scale);
        big_add(&vhigh, &value, mhigh);
        int c = big_cmp(&value, &mlow);
        low = is_even ? c <= 0 : c < 0;
        c = big_cmp(&vhigh, &scale);
        high = is_even ? c >= 0 : c > 0;
        if (((low || high) && k <= cut_min_exp) || k == cut_max_exp) break;
        out[n++] = (char)('0' + digit);
        big_mul_small(&value, 10);
        big_mul_small(&mlow, 10);
        if (mhigh != &mlow) {
            *mhigh = mlow;
            big_shl(mhigh, 1);
        }
    }

    bool round_down = low;
    if (low == high) { /* both or neither direction is allowed: round to nearest */
        big_shl(&value, 1);
        int c = big_cmp(&value, &scale);
        round_down = c < 0;
        if (c == 0) round_down = (digit & 1) == 0;
    }
    if (round_down) {
        out[n++] = (char)('0' + digit);
    } else if (digit == 9) {
        for (;;) { /* carry over the trailing nines */
            if (n == 0) {
                out[n++] = '1';
                *out_exp += 1;
                break;
            }
            n--;
            if (out[n] != '9') {
                out[n]++;
                n++;
                break;
            }
        }
    } else {
        out[n++] = (char)('0' + digit + 1);
    }
    return n;
}

/* Options of one formatting call, numpy's Dragon4_Options. */
typedef struct fopts {
    bool scientific;
    bool fractional;   /* positional only: precision counts fraction digits */
    int precision;     /* -1: none */
    int min_digits;    /* -1: none */
    enum trim_mode trim;
    int pad_left;      /* -1: none */
    int pad_right;     /* -1: none (positional) */
    int exp_digits;    /* -1: at least two (scientific) */
} fopts;

#define FBUF 1024

/* numpy's FormatPositional / FormatScientific / PrintInfNan for one value.
 * out holds FBUF chars; returns the length. */
static int format_float(const fparts *fp, const fopts *o, char *out) {
    char digits[MAX_DIGITS + 8];
    int pos = 0, pe, nd;

    if (fp->nan || fp->inf) {
        if (fp->inf && fp->negative) out[pos++] = '-';
        memcpy(out + pos, fp->nan ? "nan" : "inf", 3);
        pos += 3;
        out[pos] = 0;
        return pos;
    }
    if (!o->scientific) {
        int whole, nfrac = 0, has_sign = fp->negative ? 1 : 0;
        nd = dragon4(fp, o->fractional, o->precision, o->min_digits, digits, &pe);
        if (has_sign) out[pos++] = '-';
        if (pe >= 0) {
            whole = pe + 1;
            if (nd <= whole) {
                memcpy(out + pos, digits, (size_t)nd);
                pos += nd;
                for (int i = nd; i < whole; i++) out[pos++] = '0';
            } else {
                memcpy(out + pos, digits, (size_t)whole);
                pos += whole;
                out[pos++] = '.';
                memcpy(out + pos, digits + whole, (size_t)(nd - whole));
                pos += nd - whole;
                nfrac = nd - whole;
            }
        } else {
            int zeros = -(pe + 1);
            out[pos++] = '0';
            out[pos++] = '.';
            for (int i = 0; i < zeros; i++) out[pos++] = '0';
            memcpy(out + pos, digits, (size_t)nd);
            pos += nd;
            nfrac = zeros + nd;
            whole = 1;
        }
        if (o->trim != TRIM_DPT_ZEROS && nfrac == 0) out[pos++] = '.';
        int add = o->min_digits;
        int want = add < 0 ? 0 : add;
        if (!o->fractional) want = add - whole;
        if (o->trim == TRIM_LEAVE_ONE_ZERO) {
            if (nfrac == 0) {
                out[pos++] = '0';
                nfrac++;
            }
        } else if (o->trim == TRIM_NONE && want > nfrac) {
            while (nfrac < want) {
                out[pos++] = '0';
                nfrac++;
            }
        }
        if (o->trim != TRIM_NONE && nfrac > 0) {
            while (out[pos - 1] == '0') {
                pos--;
                nfrac--;
            }
            if (out[pos - 1] == '.') {
                if (o->trim == TRIM_LEAVE_ONE_ZERO) {
                    out[pos++] = '0';
                    nfrac++;
                } else if (o->trim == TRIM_DPT_ZEROS) {
                    pos--;
                }
            }
        }
        if (o->pad_right >= nfrac) {
            int count = o->pad_right - nfrac;
            if (o->trim == TRIM_DPT_ZEROS && nfrac == 0) out[pos++] = ' ';
            while (count-- > 0) out[pos++] = ' ';
        }
        if (o->pad_left > whole + has_sign) {
            int shift = o->pad_left - (whole + has_sign);
            memmove(out + shift, out, (size_t)pos);
            memset(out, ' ', (size_t)shift);
            pos += shift;
        }
        out[pos] = 0;
        return pos;
    }

    /* scientific: d.dddde+XX */
    int leftchars = 1 + (fp->negative ? 1 : 0);
    for (int i = 0; i < o->pad_left - leftchars; i++) out[pos++] = ' ';
    if (fp->negative) out[pos++] = '-';
    nd = dragon4(fp, false, o->precision < 0 ? -1 : o->precision + 1,
                 o->min_digits < 0 ? -1 : o->min_digits + 1, digits, &pe);
    out[pos++] = digits[0];
    int nfrac = nd - 1;
    if (nfrac > 0) {
        out[pos++] = '.';
        memcpy(out + pos, digits + 1, (size_t)nfrac);
        pos += nfrac;
    }
    if (o->trim != TRIM_DPT_ZEROS && nfrac == 0) out[pos++] = '.';
    int add = o->min_digits < 0 ? 0 : o->min_digits;
    if (o->trim == TRIM_LEAVE_ONE_ZERO) {
        if (nfrac == 0) {
            out[pos++] = '0';
            nfrac++;
        }
    } else if (o->trim == TRIM_NONE) {
        while (nfrac < add) {
            out[pos++] = '0';
            nfrac++;
        }
    }
    if (o->trim != TRIM_NONE && nfrac > 0) {
        while (out[pos - 1] == '0') {
            pos--;
            nfrac--;
        }
        if (o->trim == TRIM_LEAVE_ONE_ZERO && out[pos - 1] == '.') {
            out[pos++] = '0';
            nfrac++;
        }
    }
    int exp_digits = o->exp_digits < 0 ? 2 : o->exp_digits > 5 ? 5 : o->exp_digits;
    out[pos++] = 'e';
    out[pos++] = pe >= 0 ? '+' : '-';
    if (pe < 0) pe = -pe;
    char eb[8];
    int ne = 0;
    do {
        eb[ne++] = (char)('0' + pe % 10);
        pe /= 10;
    } while (pe > 0 && ne < 5);
    while (ne < exp_digits) eb[ne++] = '0';
    while (ne > 0) out[pos++] = eb[--ne];
    out[pos] = 0;
    return pos;
}

/*** String builder **********************************************************/

void nbi_sb_putn(nbi_sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = nbi_realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void nbi_sb_puts(nbi_sbuf *b, const char *s) { nbi_sb_putn(b, s, strlen(s)); }

static void sb_spaces(nbi_sbuf *b, int n) {
    for (int i = 0; i < n; i++) nbi_sb_putn(b, " ", 1);
}

/*** Element formats (arrayprint's FloatingFormat, IntegerFormat, BoolFormat) ***/

#define LINE_WIDTH 75
#define THRESHOLD 1000
#define EDGE_ITEMS 3
#define PRECISION 8

typedef struct printer {
    const nb_tensor *t;
    int64_t strides[NB_MAX_RANK];
    bool summarize;
    /* integer format */
    int int_width;
    bool int_seen;
    int64_t imax, imin;
    /* float format */
    bool exp_format;
    int pad_left, pad_right, exp_size, precision, min_digits;
    bool any_finite, any_nonfinite, neg_inf;
    double amax, amin; /* over finite nonzero |x|; amax < 0 when none */
    bool oom;
} printer;

static fparts elem_parts(const printer *p, int64_t i) {
    if (p->t->dtype == NB_FLOAT32) return split_f32(((const float *)p->t->data)[i]);
    return split_f64(((const double *)p->t->data)[i]);
}

static bool elem_finite(const fparts *fp) { return !fp->nan && !fp->inf; }

/* Calls fn on every element the printout shows (the edge items of each long
 * axis when summarizing), as numpy's _leading_trailing selects them. */
static void visit(printer *p, int axis, int64_t off, void (*fn)(printer *, int64_t)) {
    if (axis == p->t->rank) {
        fn(p, off);
        return;
    }
    int64_t d = p->t->dims[axis];
    bool cut = p->summarize && d > 2 * EDGE_ITEMS;
    for (int64_t i = 0; i < d; i++) {
        if (cut && i == EDGE_ITEMS) i = d - EDGE_ITEMS;
        visit(p, axis + 1, off + i * p->strides[axis], fn);
    }
}

static void stat_int(printer *p, int64_t i) {
    int64_t v;
    switch (p->t->dtype) {
    case NB_INT32: v = ((const int32_t *)p->t->data)[i]; break;
    case NB_INT64: v = ((const int64_t *)p->t->data)[i]; break;
    default: v = ((const uint8_t *)p->t->data)[i]; break;
    }
    if (!p->int_seen || v > p->imax) p->imax = v;
    if (!p->int_seen || v < p->imin) p->imin = v;
    p->int_seen = true;
}

static void stat_float_range(printer *p, int64_t i) {
    fparts fp = elem_parts(p, i);
    if (!elem_finite(&fp)) {
        p->any_nonfinite = true;
        if (fp.inf && fp.negative) p->neg_inf = true;
        return;
    }
    p->any_finite = true;
    if (fp.mantissa == 0) return;
    double a = fabs(nbi_load(p->t->data, p->t->dtype, i));
    if (p->amax < 0 || a > p->amax) p->amax = a;
    if (p->amax < 0 || p->amin < 0 || a < p->amin) p->amin = a;
}

/* First pass of FloatingFormat.fillFormat: the widths of every shown value. */
static void stat_float_widths(printer *p, int64_t i) {
    fparts fp = elem_parts(p, i);
    char buf[FBUF];
    if (!elem_finite(&fp)) return;
    fopts o = {.scientific = p->exp_format, .fractional = true, .precision = PRECISION,
               .min_digits = -1, .trim = TRIM_ZEROS, .pad_left = -1, .pad_right = -1,
               .exp_digits = -1};
    int n = format_float(&fp, &o, buf);
    char *dot = strchr(buf, '.');
    int int_len = dot ? (int)(dot - buf) : n;
    if (p->exp_format) {
        char *e = strchr(buf, 'e');
        int frac_len = dot && e ? (int)(e - dot - 1) : 0;
        int exp_len = e ? (int)(buf + n - e - 1) : 0;
        if (frac_len > p->precision) p->precision = frac_len;
        if (exp_len - 1 > p->exp_size) p->exp_size = exp_len - 1;
    } else {
        int frac_len = dot ? (int)(buf + n - dot - 1) : 0;
        if (frac_len > p->pad_right) p->pad_right = frac_len;
    }
    if (int_len > p->pad_left) p->pad_left = int_len;
}

static void setup_float(printer *p) {
    p->amax = p->amin = -1;
    visit(p, 0, 0, stat_float_range);
    p->exp_format = false;
    if (p->amax >= 0) {
        double ratio;
        if (p->t->dtype == NB_FLOAT32) {
            volatile float r = (float)p->amax / (float)p->amin; /* numpy divides in float32 */
            ratio = r;
        } else {
            ratio = p->amax / p->amin;
        }
        if (p->amax >= 1e8 || p->amin < 0.0001 || ratio > 1000.0) p->exp_format = true;
    }
    p->pad_left = p->pad_right = 0;
    p->exp_size = -1;
    p->precision = PRECISION;
    p->min_digits = 0;
    if (p->any_finite) {
        if (p->exp_format) {
            p->precision = 0;
            visit(p, 0, 0, stat_float_widths);
            p->min_digits = p->precision;
            p->pad_right = p->exp_size + 2 + p->precision;
        } else {
            visit(p, 0, 0, stat_float_widths);
        }
    }
    if (p->any_nonfinite) {
        int offset = p->pad_right + 1;
        int nanlen = 3, inflen = 3 + (p->neg_inf ? 1 : 0);
        if (nanlen - offset > p->pad_left) p->pad_left = nanlen - offset;
        if (inflen - offset > p->pad_left) p->pad_left = inflen - offset;
    }
}

/* Formats element i as the array printout shows it; returns the length. */
static int format_elem(const printer *p, int64_t i, char *out) {
    const nb_tensor *t = p->t;
    switch (t->dtype) {
    case NB_BOOL:
        return snprintf(out, FBUF, "%s", ((const uint8_t *)t->data)[i] ? " True" : "False");
    case NB_INT32:
        return snprintf(out, FBUF, "%*d", p->int_width, ((const int32_t *)t->data)[i]);
    case NB_INT64:
        return snprintf(out, FBUF, "%*lld", p->int_width,
                        (long long)((const int64_t *)t->data)[i]);
    case NB_UINT8:
        return snprintf(out, FBUF, "%*u", p->int_width, (unsigned)((const uint8_t *)t->data)[i]);
    default: break;
    }
    fparts fp = elem_parts(p, i);
    if (!elem_finite(&fp)) {
        const char *s = fp.nan ? "nan" : fp.negative ? "-inf" : "inf";
        int w = p->pad_left + p->pad_right + 1 - (int)strlen(s);
        return snprintf(out, FBUF, "%*s%s", w > 0 ? w : 0, "", s);
    }
    fopts o;
    if (p->exp_format) {
        o = (fopts){.scientific = true, .precision = p->precision, .min_digits = p->min_digits,
                    .trim = TRIM_NONE, .pad_left = p->pad_left, .pad_right = -1,
                    .exp_digits = p->exp_size};
    } else {
        o = (fopts){.scientific = false, .fractional = true, .precision = PRECISION,
                    .min_digits = 0, .trim = TRIM_ZEROS, .pad_left = p->pad_left,
                    .pad_right = p->pad_right, .exp_digits = -1};
    }
    return format_float(&fp, &o, out);
}

/*** Layout (arrayprint's _formatArray) **************************************/

/* _extendLine: moves to a new line when the word would pass the width, unless
 * the line holds nothing but its indent. */
static void extend_line(nbi_sbuf *s, nbi_sbuf *line, const char *word, int width, int indent) {
    size_t wl = strlen(word);
    if (line->len + wl > (size_t)width && line->len > (size_t)indent) {
        size_t n = line->len;
        while (n > 0 && line->p[n - 1] == ' ') n--;
        nbi_sb_putn(s, line->p, n);
        nbi_sb_putn(s, "\n", 1);
        line->len = 0;
        if (line->p) line->p[0] = 0;
        sb_spaces(line, indent);
    }
    nbi_sb_putn(line, word, wl);
}

/* Writes the block at (axis, off) to out. indent is the hanging indent's
 * width; width the columns left for it. */
static void format_block(printer *p, nbi_sbuf *out, int axis, int64_t off, int indent, int width) {
    const nb_tensor *t = p->t;
    int axes_left = t->rank - axis;
    int64_t n = t->dims[axis];
    bool summary = p->summarize && n > 2 * EDGE_ITEMS;
    int64_t leading = summary ? EDGE_ITEMS : 0, trailing = summary ? EDGE_ITEMS : n;
    char word[FBUF];

    if (axes_left == 1) {
        int elem_width = width - 1; /* room for the separator or ']' */
        nbi_sbuf s = {0}, line = {0};
        sb_spaces(&line, indent);
        for (int64_t i = 0; i < leading; i++) {
            format_elem(p, off + i * p->strides[axis], word);
            extend_line(&s, &line, word, elem_width, indent);
            nbi_sb_putn(&line, " ", 1);
        }
        if (summary) {
            extend_line(&s, &line, "...", elem_width, indent);
            nbi_sb_putn(&line, " ", 1);
        }
        for (int64_t i = trailing; i >= 1; i--) {
            format_elem(p, off + (n - i) * p->strides[axis], word);
            extend_line(&s, &line, word, elem_width, indent);
            if (i > 1) nbi_sb_putn(&line, " ", 1);
        }
        if (line.p) nbi_sb_putn(&s, line.p, line.len);
        if (s.oom || line.oom) p->oom = true;
        nbi_sb_putn(out, "[", 1);
        if (s.p && s.len > (size_t)indent) nbi_sb_putn(out, s.p + indent, s.len - (size_t)indent);
        nbi_sb_putn(out, "]", 1);
        nbi_free(s.p);
        nbi_free(line.p);
        return;
    }

    /* Outer axes: one block per line, blank lines between blocks of rank >= 2. */
    nbi_sb_putn(out, "[", 1);
    bool first = true;
    for (int64_t j = 0; j < leading + trailing + (summary ? 1 : 0); j++) {
        if (!first) sb_spaces(out, indent);
        first = false;
        if (summary && j == leading) {
            nbi_sb_puts(out, "...");
        } else {
            int64_t i = j < leading ? j : n - (leading + trailing + (summary ? 1 : 0) - j);
            format_block(p, out, axis + 1, off + i * p->strides[axis], indent + 1, width - 1);
        }
        if (j + 1 < leading + trailing + (summary ? 1 : 0))
            for (int k = 0; k < axes_left - 1; k++) nbi_sb_putn(out, "\n", 1);
    }
    nbi_sb_putn(out, "]", 1);
}

/*** Scalars ******************************************************************/

/* str() of a numpy scalar: positional between 1e-4 and 1e16, else scientific. */
static char *scalar_string(const nb_tensor *t) {
    char buf[FBUF];
    switch (t->dtype) {
    case NB_BOOL: return nbi_strdup(((const uint8_t *)t->data)[0] ? "True" : "False");
    case NB_INT32: return nbi_asprintf("%d", ((const int32_t *)t->data)[0]);
    case NB_INT64: return nbi_asprintf("%lld", (long long)((const int64_t *)t->data)[0]);
    case NB_UINT8: return nbi_asprintf("%u", (unsigned)((const uint8_t *)t->data)[0]);
    default: break;
    }
    double v = nbi_load(t->data, t->dtype, 0);
    fparts fp = t->dtype == NB_FLOAT32 ? split_f32(((const float *)t->data)[0])
                                       : split_f64(((const double *)t->data)[0]);
    double a = fabs(v);
    fopts o = {.precision = -1, .min_digits = -1, .pad_left = -1, .pad_right = -1,
               .exp_digits = -1};
    if (a == 0 || (a < 1e16 && a >= 1e-4) || !isfinite(v)) {
        o.scientific = false;
        o.fractional = false;
        o.trim = TRIM_LEAVE_ONE_ZERO;
    } else {
        o.scientific = true;
        o.trim = TRIM_DPT_ZEROS;
    }
    format_float(&fp, &o, buf);
    return nbi_strdup(buf);
}

/*** Public API ***************************************************************/

char *nb_tensor_to_string(const nb_tensor *t) {
    if (!t || !nbi_dtype_valid(t->dtype)) return NULL;
    if (t->rank == 0) return scalar_string(t);
    if (t->size == 0) return nbi_strdup("[]");

    printer p;
    memset(&p, 0, sizeof p);
    p.t = t;
    p.summarize = t->size > THRESHOLD;
    int64_t stride = 1;
    for (int i = t->rank - 1; i >= 0; i--) {
        p.strides[i] = stride;
        stride *= t->dims[i];
    }
    if (nbi_dtype_is_int(t->dtype)) {
        char a[32], b[32];
        visit(&p, 0, 0, stat_int);
        int la = snprintf(a, sizeof a, "%lld", (long long)p.imax);
        int lb = snprintf(b, sizeof b, "%lld", (long long)p.imin);
        p.int_width = la > lb ? la : lb;
    } else if (nbi_dtype_is_float(t->dtype)) {
        setup_float(&p);
    }

    nbi_sbuf out = {0};
    format_block(&p, &out, 0, 0, 1, LINE_WIDTH);
    if (out.oom || p.oom) {
        nbi_free(out.p);
        return NULL;
    }
    return out.p;
}

void nb_tensor_print(FILE *f, const nb_tensor *t) {
    if (!f) return;
    char *s = nb_tensor_to_string(t);
    fprintf(f, "%s\n", s ? s : "(null)");
    free(s);
}
