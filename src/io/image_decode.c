/*
 * image_decode.c — one image in memory to 8-bit pixels (see image_decode.h).
 *
 * PNG is decoded by libpng and JPEG by libjpeg-turbo: the decoders the rest of
 * the world fuzzes (image folders are untrusted input; stb_image, used before,
 * says itself it is not meant for untrusted files, and a 15-byte JPEG wrote
 * past one of its tables). BMP and binary PGM/PPM are small enough to read here.
 *
 * Every decoder checks width, height and the pixel count against
 * NBI_IMAGE_MAX_SIDE and NBI_IMAGE_MAX_PIXELS before it allocates pixel memory,
 * and reports what is wrong, with the byte where the decoder stopped when that
 * is known, in `why`.
 *
 * setjmp/longjmp: nabla's rule is that nothing longjmps out of the library.
 * libpng and libjpeg report errors in only one way — their error handler must
 * not return (libjpeg's default error_exit calls exit(), libpng's default
 * handler longjmps or aborts) — so each decoding function below sets a jmp_buf
 * of its own, and our error handlers jump back to it. The jump never leaves
 * that function: it unwinds only frames inside libpng/libjpeg called from it,
 * the function frees what it allocated and returns a status like any other.
 * All state that changes between setjmp and a longjmp lives in a context
 * struct owned by the caller, never in the function's own locals, so no
 * `volatile` subtleties apply.
 */
#include "io/io.h"
#include "image_decode.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

/* No single allocation by libpng may exceed this (it sizes some buffers from
 * header fields before it has seen the data). */
#define MAX_ALLOC ((size_t)1 << 29)
/* A progressive JPEG may hold many scans, each going over the whole image:
 * a few hundred bytes could otherwise ask for minutes of work. */
#define MAX_JPEG_SCANS 128
/* libjpeg's working memory (progressive JPEGs keep every coefficient). */
#define MAX_JPEG_MEMORY ((long)1 << 30)

static bool size_ok(int64_t w, int64_t h, const char *fmt, char *why, size_t why_n) {
    if (w < 1 || h < 1) {
        snprintf(why, why_n, "%s header gives a size of %lldx%lld pixels", fmt, (long long)w, (long long)h);
        return false;
    }
    if (w > NBI_IMAGE_MAX_SIDE || h > NBI_IMAGE_MAX_SIDE || w * h > NBI_IMAGE_MAX_PIXELS) {
        snprintf(why, why_n,
                 "%s image of %lldx%lld pixels is too large (the limit is %d pixels a side and %lld in all)",
                 fmt, (long long)w, (long long)h, NBI_IMAGE_MAX_SIDE, (long long)NBI_IMAGE_MAX_PIXELS);
        return false;
    }
    return true;
}

/* One row of w pixels of n 8-bit samples (grey, grey+alpha, RGB, RGBA) to
 * ch = 1 (luminance, stb_image's integer weights) or 3 (RGB) samples. */
static void convert_row(const uint8_t *src, int n, uint8_t *dst, int ch, int w) {
    for (int x = 0; x < w; x++, src += n) {
        if (n <= 2) {
            if (ch == 1) {
                *dst++ = src[0];
            } else {
                dst[0] = dst[1] = dst[2] = src[0];
                dst += 3;
            }
        } else if (ch == 1) {
            *dst++ = (uint8_t)((src[0] * 77 + src[1] * 150 + src[2] * 29) >> 8);
        } else {
            dst[0] = src[0], dst[1] = src[1], dst[2] = src[2];
            dst += 3;
        }
    }
}

/* A row of 16-bit big-endian RGB or RGBA samples (n = 3, 4) to luminance, computed
 * on the 16-bit values and then cut to 8 bits, as stb_image did. */
static void convert_row16_to_grey(const uint8_t *src, int n, uint8_t *dst, int w) {
    for (int x = 0; x < w; x++, src += 2 * n) {
        uint32_t r = (uint32_t)src[0] << 8 | src[1], g = (uint32_t)src[2] << 8 | src[3];
        uint32_t b = (uint32_t)src[4] << 8 | src[5];
        dst[x] = (uint8_t)(((r * 77 + g * 150 + b * 29) >> 8) >> 8);
    }
}

/* The output buffer, or NULL with *why set. */
static uint8_t *alloc_pixels(int64_t w, int64_t h, int ch, char *why, size_t why_n) {
    uint8_t *p = nbi_malloc((size_t)w * (size_t)h * (size_t)ch);
    if (!p) snprintf(why, why_n, "out of memory");
    return p;
}

/*** PNG (libpng) ***/

typedef struct png_ctx {
    const unsigned char *data;
    size_t len, pos;
    int channels;
    bool oom;
    char msg[200];
    /* results and buffers (freed on error) */
    uint8_t *px, *row, *native;
    png_bytep *rows;
    int h, w;
} png_ctx;

static void png_read_cb(png_structp png, png_bytep out, size_t n) {
    png_ctx *c = png_get_io_ptr(png);
    if (n > c->len - c->pos) {
        c->pos = c->len;
        png_error(png, "the file ends too early");
    }
    memcpy(out, c->data + c->pos, n);
    c->pos += n;
}

/* Must not return (see the top of the file): jumps back to decode_png's setjmp. */
static void png_error_cb(png_structp png, png_const_charp msg) {
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warning_cb(png_structp png, png_const_charp msg) {
    (void)png; /* warnings (a bad ancillary chunk, say) are not the library's to print */
    (void)msg;
}

static png_voidp png_malloc_cb(png_structp png, png_alloc_size_t n) {
    png_ctx *c = png_get_mem_ptr(png);
    if (n > MAX_ALLOC) return NULL; /* libpng reports it; a corrupt length, not our memory */
    void *p = nbi_malloc(n);
    if (!p) c->oom = true;
    return p;
}

static void png_free_cb(png_structp png, png_voidp p) {
    (void)png;
    nbi_free(p);
}

static void png_ctx_free(png_ctx *c) {
    nbi_free(c->px);
    nbi_free(c->row);
    nbi_free(c->native);
    nbi_free(c->rows);
    c->px = c->row = c->native = NULL;
    c->rows = NULL;
}

static nbi_image_result decode_png(png_ctx *c, char *why, size_t why_n) {
    png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, c, png_error_cb, png_warning_cb, c,
                                               png_malloc_cb, png_free_cb);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(why, why_n, "out of memory");
        return NBI_IMAGE_NOMEM;
    }
    /* The one place libpng's errors land (see the top of the file). */
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        png_ctx_free(c);
        if (c->oom) {
            snprintf(why, why_n, "out of memory");
            return NBI_IMAGE_NOMEM;
        }
        if (c->msg[0] == '!') { /* our own message, complete */
            snprintf(why, why_n, "%s", c->msg + 1);
        } else {
            snprintf(why, why_n, "corrupt PNG (decoding stopped after byte %zu of %zu): %s", c->pos, c->len, c->msg);
        }
        return NBI_IMAGE_BAD;
    }
    png_set_read_fn(png, c, png_read_cb);
    /* libpng's own size limits (a million pixels a side) stay; ours are checked
     * below, after IHDR and before any row is allocated, with our message. */
    png_set_chunk_malloc_max(png, (png_alloc_size_t)8 << 20);
    png_set_chunk_cache_max(png, 1000);
    png_read_info(png, info);
    png_uint_32 w = 0, h = 0;
    int depth = 0, color = 0;
    png_get_IHDR(png, info, &w, &h, &depth, &color, NULL, NULL, NULL);
    if (!size_ok(w, h, "PNG", c->msg + 1, sizeof c->msg - 1)) {
        c->msg[0] = '!';
        png_longjmp(png, 1);
    }
    /* 16-bit samples keep their high byte, as stb_image kept; but 16-bit colour
     * to grey is weighted on the 16-bit values first, as stb_image did. */
    bool wide = depth == 16 && c->channels == 1 && (color & PNG_COLOR_MASK_COLOR);
    if (depth == 16 && !wide) png_set_strip_16(png);
    png_set_expand(png); /* palette to RGB, grey below 8 bits scaled to 8, tRNS to alpha */
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int n = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (png_get_bit_depth(png, info) != (wide ? 16 : 8) || n < 1 || n > 4 || (wide && n < 3) ||
        rowbytes != (size_t)w * (size_t)n * (wide ? 2 : 1))
        png_error(png, "unexpected sample layout after expansion");
    c->w = (int)w, c->h = (int)h;
    size_t out_row = (size_t)w * (size_t)c->channels;
    c->px = nbi_malloc(out_row * h);
    if (!c->px) {
        c->oom = true;
        png_error(png, "out of memory");
    }
    if (passes == 1) {
        c->row = nbi_malloc(rowbytes);
        if (!c->row) {
            c->oom = true;
            png_error(png, "out of memory");
        }
        for (png_uint_32 y = 0; y < h; y++) {
            png_read_row(png, c->row, NULL);
            if (wide) convert_row16_to_grey(c->row, n, c->px + y * out_row, (int)w);
            else convert_row(c->row, n, c->px + y * out_row, c->channels, (int)w);
        }
    } else { /* interlaced (Adam7): every pass adds to the whole image */
        c->native = nbi_malloc(rowbytes * h);
        c->rows = nbi_malloc(sizeof *c->rows * h);
        if (!c->native || !c->rows) {
            c->oom = true;
            png_error(png, "out of memory");
        }
        for (png_uint_32 y = 0; y < h; y++) c->rows[y] = c->native + y * rowbytes;
        png_read_image(png, c->rows);
        for (png_uint_32 y = 0; y < h; y++) {
            if (wide) convert_row16_to_grey(c->rows[y], n, c->px + y * out_row, (int)w);
            else convert_row(c->rows[y], n, c->px + y * out_row, c->channels, (int)w);
        }
    }
    png_read_end(png, NULL); /* checks the last IDAT's CRC and that IEND follows */
    png_destroy_read_struct(&png, &info, NULL);
    nbi_free(c->row);
    nbi_free(c->native);
    nbi_free(c->rows);
    c->row = c->native = NULL;
    c->rows = NULL;
    return NBI_IMAGE_OK;
}

/*** JPEG (libjpeg-turbo) ***/

typedef struct jpeg_ctx {
    struct jpeg_error_mgr pub; /* first: libjpeg hands us &pub as cinfo->err */
    jmp_buf jb;
    struct jpeg_progress_mgr progress;
    size_t len;
    char msg[JMSG_LENGTH_MAX + 64];
    bool own_msg; /* msg is ours and complete */
    uint8_t *px, *row;
    int h, w;
} jpeg_ctx;

/* Must not return (libjpeg's default calls exit()): back to decode_jpeg's setjmp. */
static void jpeg_error_exit_cb(j_common_ptr cinfo) {
    jpeg_ctx *c = (jpeg_ctx *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, c->msg);
    longjmp(c->jb, 1);
}

/* Warnings that mean pixels are missing or made up (premature end, bad
 * Huffman or arithmetic codes, lost restart markers, an inconsistent
 * progression) fail the decode: a grey-filled image is a wrong answer. Those
 * that lose nothing (stray bytes between segments, an unknown JFIF revision or
 * Adobe transform code, a bad ICC marker) are ignored; nothing is printed. */
static void jpeg_emit_message_cb(j_common_ptr cinfo, int level) {
    if (level >= 0) return; /* trace messages */
    int code = cinfo->err->msg_code;
    if (code == JWRN_EXTRANEOUS_DATA || code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM ||
        code == JWRN_BOGUS_ICC) {
        cinfo->err->num_warnings++;
        return;
    }
    jpeg_error_exit_cb(cinfo);
}

static void jpeg_output_message_cb(j_common_ptr cinfo) { (void)cinfo; }

static void jpeg_progress_cb(j_common_ptr cinfo) {
    if (!cinfo->is_decompressor) return;
    int scans = ((j_decompress_ptr)cinfo)->input_scan_number;
    if (scans > MAX_JPEG_SCANS) {
        jpeg_ctx *c = (jpeg_ctx *)cinfo->err;
        snprintf(c->msg, sizeof c->msg, "corrupt JPEG: more than %d progressive scans", MAX_JPEG_SCANS);
        c->own_msg = true;
        longjmp(c->jb, 1);
    }
}

static nbi_image_result decode_jpeg(jpeg_ctx *c, const unsigned char *data, int channels,
                                    struct jpeg_decompress_struct *cinfo, char *why, size_t why_n) {
    cinfo->err = jpeg_std_error(&c->pub);
    c->pub.error_exit = jpeg_error_exit_cb;
    c->pub.emit_message = jpeg_emit_message_cb;
    c->pub.output_message = jpeg_output_message_cb;
    /* The one place libjpeg's errors land (see the top of the file). */
    if (setjmp(c->jb)) {
        int code = c->pub.msg_code;
        /* libjpeg's readers keep their position in locals between sync points:
         * the source's is where the last segment or MCU row began. */
        size_t at = cinfo->src ? c->len - cinfo->src->bytes_in_buffer : 0;
        if (code == JWRN_JPEG_EOF || at > c->len) at = c->len;
        jpeg_destroy_decompress(cinfo);
        nbi_free(c->px);
        nbi_free(c->row);
        c->px = c->row = NULL;
        if (c->own_msg) {
            snprintf(why, why_n, "%s", c->msg);
            return NBI_IMAGE_BAD;
        }
        if (code == JERR_OUT_OF_MEMORY) {
            snprintf(why, why_n, "out of memory");
            return NBI_IMAGE_NOMEM;
        }
        if (code == JERR_NO_BACKING_STORE) {
            snprintf(why, why_n, "JPEG too large: decoding it would need more than %ld MiB", MAX_JPEG_MEMORY >> 20);
            return NBI_IMAGE_BAD;
        }
        snprintf(why, why_n, "corrupt JPEG (decoding stopped after byte %zu of %zu): %s", at, c->len, c->msg);
        return NBI_IMAGE_BAD;
    }
    jpeg_create_decompress(cinfo);
    cinfo->mem->max_memory_to_use = MAX_JPEG_MEMORY;
    c->progress.progress_monitor = jpeg_progress_cb;
    cinfo->progress = &c->progress;
    jpeg_mem_src(cinfo, data, (unsigned long)c->len);
    jpeg_read_header(cinfo, TRUE); /* an image is required: a tables-only file is an error */
    if (!size_ok(cinfo->image_width, cinfo->image_height, "JPEG", c->msg, sizeof c->msg)) {
        c->own_msg = true;
        longjmp(c->jb, 1);
    }
    bool cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
    cinfo->out_color_space = cmyk ? JCS_CMYK : channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(cinfo);
    int w = (int)cinfo->output_width, h = (int)cinfo->output_height;
    if (cinfo->output_components != (cmyk ? 4 : channels) || w != (int)cinfo->image_width ||
        h != (int)cinfo->image_height) {
        snprintf(c->msg, sizeof c->msg, "JPEG decoder gave an unexpected layout (%d components)",
                 cinfo->output_components);
        c->own_msg = true;
        longjmp(c->jb, 1);
    }
    size_t out_row = (size_t)w * (size_t)channels;
    c->px = nbi_malloc(out_row * (size_t)h);
    if (cmyk) c->row = nbi_malloc((size_t)w * 4);
    if (!c->px || (cmyk && !c->row)) {
        jpeg_destroy_decompress(cinfo);
        nbi_free(c->px);
        nbi_free(c->row);
        c->px = c->row = NULL;
        snprintf(why, why_n, "out of memory");
        return NBI_IMAGE_NOMEM;
    }
    while (cinfo->output_scanline < cinfo->output_height) {
        JDIMENSION y = cinfo->output_scanline;
        JSAMPROW row = cmyk ? c->row : c->px + y * out_row;
        if (jpeg_read_scanlines(cinfo, &row, 1) != 1) {
            snprintf(c->msg, sizeof c->msg, "corrupt JPEG: no data for row %u", (unsigned)y);
            c->own_msg = true;
            longjmp(c->jb, 1);
        }
        if (cmyk) { /* Adobe's inverted CMYK, as libjpeg delivers it: R = C K / 255, ... */
            uint8_t *d = c->px + y * out_row;
            for (int x = 0; x < w; x++) {
                const uint8_t *s = c->row + 4 * x;
                uint8_t rgb[3];
                for (int k = 0; k < 3; k++) rgb[k] = (uint8_t)((s[k] * s[3] + 127) / 255);
                convert_row(rgb, 3, d + (size_t)x * (size_t)channels, channels, 1);
            }
        }
    }
    c->w = w, c->h = h;
    /* Not jpeg_finish_decompress: every pixel has been read; what follows the
     * last scan (a missing EOI, trailing bytes) changes nothing. */
    jpeg_destroy_decompress(cinfo);
    nbi_free(c->row);
    c->row = NULL;
    return NBI_IMAGE_OK;
}

/*** BMP (our reader: uncompressed 1, 4, 8, 16, 24 and 32 bits; bit fields) ***/

static uint32_t le16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const unsigned char *p) { return le16(p) | le16(p + 2) << 16; }

/* A field of `bits` bits to 8 bits by repeating its bits (5 bits abcde:
 * abcdeabc), as stb_image did; fields wider than 8 keep their top 8 bits. */
static uint8_t widen(uint32_t v, int bits) {
    if (bits >= 8) return (uint8_t)(v >> (bits - 8));
    uint32_t acc = 0;
    int filled = 0;
    while (filled < 8) {
        acc = acc << bits | v;
        filled += bits;
    }
    return (uint8_t)(acc >> (filled - 8));
}

typedef struct bmp_mask {
    uint32_t mask;
    int shift, bits;
} bmp_mask;

/* false when mask's set bits are not contiguous. */
static bool mask_parse(uint32_t mask, bmp_mask *m) {
    m->mask = mask;
    m->shift = m->bits = 0;
    if (!mask) return true;
    while (!(mask & 1)) mask >>= 1, m->shift++;
    while (mask & 1) mask >>= 1, m->bits++;
    return mask == 0;
}

static uint8_t mask_get(uint32_t v, const bmp_mask *m) {
    return m->bits ? widen((v & m->mask) >> m->shift, m->bits) : 0;
}

static nbi_image_result decode_bmp(const unsigned char *d, size_t len, int channels, uint8_t **out, int *oh,
                                   int *ow, char *why, size_t why_n) {
    if (len < 26) {
        snprintf(why, why_n, "truncated BMP: %zu bytes, shorter than its headers", len);
        return NBI_IMAGE_BAD;
    }
    uint32_t data_off = le32(d + 10), hsize = le32(d + 14);
    int64_t w, h;
    uint32_t bpp, comp = 0, colors = 0;
    bool core = hsize == 12;
    if (core) {
        w = le16(d + 18), h = le16(d + 20), bpp = le16(d + 24);
    } else if (hsize == 40 || hsize == 52 || hsize == 56 || hsize == 64 || hsize == 108 || hsize == 124) {
        if (len < 14 + (size_t)hsize) {
            snprintf(why, why_n, "truncated BMP: the %u-byte header ends past the file's %zu bytes", hsize, len);
            return NBI_IMAGE_BAD;
        }
        w = (int32_t)le32(d + 18), h = (int32_t)le32(d + 22);
        bpp = le16(d + 28), comp = le32(d + 30), colors = le32(d + 46);
    } else {
        snprintf(why, why_n,
                 "BMP header of %u bytes at byte 14 is not one this reader knows (12, 40, 52, 56, 64, 108, 124)",
                 hsize);
        return NBI_IMAGE_BAD;
    }
    bool top_down = h < 0;
    if (top_down) h = -h;
    if (!size_ok(w, h, "BMP", why, why_n)) return NBI_IMAGE_BAD;
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) {
        snprintf(why, why_n, "BMP with %u bits per pixel is not supported (1, 4, 8, 16, 24, 32)", bpp);
        return NBI_IMAGE_BAD;
    }
    /* compression 0: none; 3 and 6: bit fields (16 and 32 bits only); RLE, JPEG, PNG: not read. */
    if (comp != 0 && !((comp == 3 || comp == 6) && (bpp == 16 || bpp == 32))) {
        snprintf(why, why_n,
                 "BMP compression %u with %u bits per pixel is not supported (only uncompressed and bit fields)",
                 comp, bpp);
        return NBI_IMAGE_BAD;
    }
    bmp_mask m[3];
    uint32_t palette[256];
    uint32_t n_pal = 0;
    if (bpp == 16 || bpp == 32) {
        uint32_t r = bpp == 16 ? 0x7c00u : 0xff0000u, g = bpp == 16 ? 0x03e0u : 0xff00u, b = bpp == 16 ? 0x1fu : 0xffu;
        if (comp != 0) {
            /* the masks follow a 40-byte header, or are inside a longer one */
            size_t at = 14 + 40;
            if (len < at + 12) {
                snprintf(why, why_n, "truncated BMP: the bit-field masks at byte %zu end past the file's %zu bytes", at,
                         len);
                return NBI_IMAGE_BAD;
            }
            r = le32(d + at), g = le32(d + at + 4), b = le32(d + at + 8);
        }
        if (!mask_parse(r, &m[0]) || !mask_parse(g, &m[1]) || !mask_parse(b, &m[2])) {
            snprintf(why, why_n, "BMP bit-field masks %#x %#x %#x are not contiguous runs of bits", r, g, b);
            return NBI_IMAGE_BAD;
        }
    } else if (bpp <= 8) {
        uint32_t max = 1u << bpp;
        n_pal = colors == 0 ? max : colors;
        if (n_pal > max) {
            snprintf(why, why_n, "BMP palette of %u colours for %u bits per pixel (at most %u)", n_pal, bpp, max);
            return NBI_IMAGE_BAD;
        }
        size_t entry = core ? 3 : 4, at = 14 + (size_t)hsize;
        /* a shorter palette (the pixels start sooner) is common, as in stb_image */
        if (data_off >= at && (data_off - at) / entry < n_pal) n_pal = (uint32_t)((data_off - at) / entry);
        if (len < at + n_pal * entry) {
            snprintf(why, why_n, "truncated BMP: the %u-colour palette at byte %zu ends past the file's %zu bytes",
                     n_pal, at, len);
            return NBI_IMAGE_BAD;
        }
        for (uint32_t i = 0; i < n_pal; i++) {
            const unsigned char *p = d + at + i * entry;
            palette[i] = (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]; /* stored B, G, R */
        }
    }
    size_t stride = ((size_t)w * bpp + 31) / 32 * 4;
    if (data_off > len || (len - data_off) / stride < (size_t)h) {
        snprintf(why, why_n, "truncated BMP: %lld rows of %zu bytes from byte %u need %zu bytes, the file has %zu",
                 (long long)h, stride, data_off, (size_t)data_off + stride * (size_t)h, len);
        return NBI_IMAGE_BAD;
    }
    uint8_t *px = alloc_pixels(w, h, channels, why, why_n);
    if (!px) return NBI_IMAGE_NOMEM;
    for (int64_t y = 0; y < h; y++) {
        const unsigned char *row = d + data_off + (size_t)(top_down ? y : h - 1 - y) * stride;
        uint8_t *dst = px + (size_t)y * (size_t)w * (size_t)channels;
        for (int64_t x = 0; x < w; x++) {
            uint8_t rgb[3];
            if (bpp <= 8) {
                uint32_t per = 8 / bpp, byte = row[x / per];
                uint32_t idx = (byte >> (8 - bpp * (1 + (uint32_t)x % per))) & ((1u << bpp) - 1);
                if (idx >= n_pal) {
                    nbi_free(px);
                    snprintf(why, why_n, "BMP pixel (%lld, %lld) uses colour %u of a %u-colour palette", (long long)x,
                             (long long)y, idx, n_pal);
                    return NBI_IMAGE_BAD;
                }
                rgb[0] = (uint8_t)(palette[idx] >> 16), rgb[1] = (uint8_t)(palette[idx] >> 8);
                rgb[2] = (uint8_t)palette[idx];
            } else if (bpp == 24) {
                const unsigned char *p = row + 3 * x;
                rgb[0] = p[2], rgb[1] = p[1], rgb[2] = p[0];
            } else {
                uint32_t v = bpp == 16 ? le16(row + 2 * x) : le32(row + 4 * x);
                for (int k = 0; k < 3; k++) rgb[k] = mask_get(v, &m[k]);
            }
            convert_row(rgb, 3, dst + x * channels, channels, 1);
        }
    }
    *out = px, *oh = (int)h, *ow = (int)w;
    return NBI_IMAGE_OK;
}

/*** PGM / PPM (our reader: binary P5 and P6, 8 or 16 bits) ***/

/* Skips whitespace and '#' comments (to the end of the line). */
static void pnm_skip(const unsigned char *d, size_t len, size_t *i) {
    while (*i < len) {
        if (d[*i] == '#') {
            while (*i < len && d[*i] != '\n' && d[*i] != '\r') (*i)++;
        } else if (d[*i] == ' ' || d[*i] == '\t' || d[*i] == '\n' || d[*i] == '\r' || d[*i] == '\v' ||
                   d[*i] == '\f') {
            (*i)++;
        } else {
            return;
        }
    }
}

/* A header number in 1..limit, or false with *why. */
static bool pnm_number(const unsigned char *d, size_t len, size_t *i, const char *what, long limit, long *v,
                       char *why, size_t why_n) {
    pnm_skip(d, len, i);
    size_t start = *i;
    long n = 0;
    while (*i < len && d[*i] >= '0' && d[*i] <= '9') {
        if (n <= limit) n = n * 10 + (d[*i] - '0');
        (*i)++;
    }
    if (*i == start) {
        snprintf(why, why_n, "PGM/PPM header: expected the %s at byte %zu, found %s", what, start,
                 start < len ? "another character" : "the end of the file");
        return false;
    }
    if (n < 1 || n > limit) {
        snprintf(why, why_n, "PGM/PPM header: %s at byte %zu must be in 1..%ld", what, start, limit);
        return false;
    }
    *v = n;
    return true;
}

static nbi_image_result decode_pnm(const unsigned char *d, size_t len, int channels, uint8_t **out, int *oh,
                                   int *ow, char *why, size_t why_n) {
    int n = d[1] == '5' ? 1 : 3;
    size_t i = 2;
    long w, h, maxv;
    if (!pnm_number(d, len, &i, "width", 1L << 30, &w, why, why_n) ||
        !pnm_number(d, len, &i, "height", 1L << 30, &h, why, why_n) ||
        !pnm_number(d, len, &i, "maximum value", 65535, &maxv, why, why_n))
        return NBI_IMAGE_BAD;
    if (i >= len || !(d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r')) {
        snprintf(why, why_n, "PGM/PPM header: expected one whitespace byte after the maximum value at byte %zu", i);
        return NBI_IMAGE_BAD;
    }
    i++;
    if (!size_ok(w, h, n == 1 ? "PGM" : "PPM", why, why_n)) return NBI_IMAGE_BAD;
    size_t bytes = maxv > 255 ? 2 : 1;
    size_t need = (size_t)w * (size_t)h * (size_t)n * bytes;
    if (len - i < need) {
        snprintf(why, why_n, "truncated %s: %ldx%ld pixels need %zu bytes from byte %zu, the file has %zu",
                 n == 1 ? "PGM" : "PPM", w, h, need, i, len - i);
        return NBI_IMAGE_BAD;
    }
    uint8_t *px = alloc_pixels(w, h, channels, why, why_n);
    if (!px) return NBI_IMAGE_NOMEM;
    const unsigned char *s = d + i;
    uint8_t *dst = px;
    for (size_t k = 0; k < (size_t)w * (size_t)h; k++) {
        uint8_t v[3];
        for (int c = 0; c < n; c++, s += bytes) {
            unsigned long x = bytes == 2 ? (unsigned long)s[0] << 8 | s[1] : s[0];
            if (x > (unsigned long)maxv) {
                nbi_free(px);
                snprintf(why, why_n, "%s sample %lu at byte %zu is above the maximum value %ld",
                         n == 1 ? "PGM" : "PPM", x, (size_t)(s - d), maxv);
                return NBI_IMAGE_BAD;
            }
            /* scaled to 0..255, rounded (maxval 255: unchanged) */
            v[c] = (uint8_t)((x * 255 + (unsigned long)maxv / 2) / (unsigned long)maxv);
        }
        convert_row(v, n, dst, channels, 1);
        dst += channels;
    }
    *out = px, *oh = (int)h, *ow = (int)w;
    return NBI_IMAGE_OK;
}

/*** Dispatch ***/

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

nbi_image_result nbi_image_decode(const unsigned char *data, size_t len, int channels, uint8_t **px,
                                  int *height, int *width, char *why, size_t why_n) {
    *px = NULL;
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len >= 8 && !memcmp(data, png_sig, 8)) {
        /* IHDR comes first: its size is checked here, before libpng reads on */
        if (len >= 24 && !memcmp(data + 12, "IHDR", 4) &&
            !size_ok((int64_t)be32(data + 16), (int64_t)be32(data + 20), "PNG", why, why_n))
            return NBI_IMAGE_BAD;
        png_ctx c = {.data = data, .len = len, .channels = channels};
        nbi_image_result r = decode_png(&c, why, why_n);
        if (r == NBI_IMAGE_OK) *px = c.px, *height = c.h, *width = c.w;
        return r;
    }
    if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
        jpeg_ctx c = {.len = len};
        struct jpeg_decompress_struct cinfo;
        memset(&cinfo, 0, sizeof cinfo);
        nbi_image_result r = decode_jpeg(&c, data, channels, &cinfo, why, why_n);
        if (r == NBI_IMAGE_OK) *px = c.px, *height = c.h, *width = c.w;
        return r;
    }
    if (len >= 2 && data[0] == 'B' && data[1] == 'M')
        return decode_bmp(data, len, channels, px, height, width, why, why_n);
    if (len >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6'))
        return decode_pnm(data, len, channels, px, height, width, why, why_n);
    if (len >= 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '7') {
        snprintf(why, why_n, "Netpbm format P%c is not supported (only binary PGM, P5, and PPM, P6)", data[1]);
        return NBI_IMAGE_BAD;
    }
    char first[16] = "";
    for (size_t i = 0; i < len && i < 4; i++)
        snprintf(first + strlen(first), sizeof first - strlen(first), i ? " %02x" : "%02x", data[i]);
    snprintf(why, why_n, "not a JPEG, PNG, BMP, PGM or PPM image (it starts with bytes %s)", first);
    return NBI_IMAGE_BAD;
}
