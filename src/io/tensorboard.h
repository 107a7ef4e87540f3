/*
 * tensorboard.h — what the TensorBoard files share (crc32c.c, tensorboard.c,
 * events_write.c, events_read.c, graphdef.c, ops/summary.c) and users never see: record framing, and the
 * builders of Summary values used both by the summary writer and by the
 * summary ops' kernels. The facts (framing, masks, field numbers, default
 * histogram buckets) are in shared/reference/tensorboard-format.md.
 */
#ifndef NB_IO_TENSORBOARD_H
#define NB_IO_TENSORBOARD_H

#include "io/io.h"

#include "event.pb-c.h"
#include "graph.pb-c.h"

/*** Records (TFRecord framing) ***/

/* Size of a record's header (length + masked CRC of the length) and footer. */
#define NBI_TB_HEADER 12
#define NBI_TB_FOOTER 4

/* Writes the 12-byte header for a payload of len bytes. */
void nbi_tb_record_header(uint8_t hdr[NBI_TB_HEADER], uint64_t len);
/* Writes the 4-byte footer (masked CRC32C of the payload). */
void nbi_tb_record_footer(uint8_t ftr[NBI_TB_FOOTER], const void *payload, size_t len);

/*** protobuf-c ***/

/* The allocator every unpack and free_unpacked of the library passes: through
 * nbi_malloc (so allocation-failure tests reach it), never a zero-size block. */
extern ProtobufCAllocator nbi_pb_allocator;
/* protobuf-c's structs take char * for strings the packer only reads. */
static inline char *nbi_pb_unconst(const char *s) { return (char *)(uintptr_t)s; }

/* Serializes a message into a new nbi_malloc'd buffer; NULL when out of memory. */
uint8_t *nbi_tb_pack(const ProtobufCMessage *m, size_t *len);

/* The serialized first event of a file: wall_time, file_version "brain.Event:2",
 * and, when writer is not NULL, source_metadata.writer. nbi_malloc'd. */
uint8_t *nbi_tb_first_event(double wall_time, const char *writer, size_t *len);

/*** Summary values ***/

/* TensorFlow's default histogram bucket limits (histogram.cc): the number of
 * limits, and the limits themselves into out (which holds NBI_TB_MAX_BUCKETS). */
#define NBI_TB_MAX_BUCKETS 1600
int nbi_tb_default_buckets(double *out);

/* Fills h with the histogram of every element of t, as TensorFlow's
 * Histogram::EncodeToProto does (runs of empty buckets collapsed). The arrays
 * are nbi_malloc'd: release with nbi_tb_histogram_clear. Returns
 * NB_ERR_INVALID_ARGUMENT (message in msg) for a non-finite value or a
 * non-numeric tensor, NB_ERR_OUT_OF_MEMORY. */
nb_status nbi_tb_histogram(const nb_tensor *t, Tensorflow__HistogramProto *h, char *msg,
                           size_t msg_n);
void nbi_tb_histogram_clear(Tensorflow__HistogramProto *h);

/* PNG-encodes an image tensor [h, w, c] or [h, w] (c 1..4) of uint8 (as is) or
 * float (rescaled as TF's ImageSummary does) into img (encoded bytes
 * nbi_malloc'd: release with nbi_tb_image_clear). */
nb_status nbi_tb_image(const nb_tensor *t, Tensorflow__Summary__Image *img, char *msg,
                       size_t msg_n);
void nbi_tb_image_clear(Tensorflow__Summary__Image *img);

/* A serialized Summary with one simple_value scalar (nbi_malloc'd). */
uint8_t *nbi_tb_scalar_summary(const char *tag, float value, size_t *len);

#endif /* NB_IO_TENSORBOARD_H */
