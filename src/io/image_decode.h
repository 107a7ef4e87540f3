/*
 * image_decode.h — private: decoding one image held in memory (PNG through
 * libpng, JPEG through libjpeg-turbo, BMP and binary PGM/PPM by our own
 * readers) into 8-bit pixels, for src/io/images.c.
 */
#ifndef NB_IMAGE_DECODE_H
#define NB_IMAGE_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Images larger than this are refused before any pixel memory is allocated. */
#define NBI_IMAGE_MAX_SIDE 32768
#define NBI_IMAGE_MAX_PIXELS ((int64_t)1 << 26)

typedef enum {
    NBI_IMAGE_OK = 0,
    NBI_IMAGE_BAD,   /* corrupt, truncated, unsupported or too large: the file's fault */
    NBI_IMAGE_NOMEM  /* an allocation failed: not the file's fault */
} nbi_image_result;

/* Decodes the image in data[0..len) (the format is told by its first bytes, not
 * by a file name) into *px, height x width x channels bytes, row-major, where
 * channels is 1 (luminance (77 R + 150 G + 29 B) >> 8, as stb_image computed
 * it) or 3 (RGB; grey replicated); alpha is dropped, 16-bit samples keep their
 * high byte. *px is nbi_malloc'd (nbi_free) and set only on NBI_IMAGE_OK.
 * Otherwise why holds what is wrong (no file name: the caller adds it). */
nbi_image_result nbi_image_decode(const unsigned char *data, size_t len, int channels, uint8_t **px,
                                  int *height, int *width, char *why, size_t why_n);

#endif
