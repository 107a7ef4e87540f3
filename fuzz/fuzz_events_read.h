/*
 * fuzz_events_read.h — shared by fuzz_events.c and fuzz_event_payload.c: reads
 * an event file with every accessor of every event.
 */
#ifndef NB_FUZZ_EVENTS_READ_H
#define NB_FUZZ_EVENTS_READ_H

#include "fuzz_common.h"

static void fuzz_read_events(const char *path) {
    nb_error err = {0};
    nb_event_reader *r = nb_event_reader_open(path, &err);
    if (!r) {
        fuzz_check_error(&err);
        return;
    }
    for (int guard = 0; guard < 100000; guard++) {
        const nb_event *ev = NULL;
        nb_status st = nb_event_reader_next(r, &ev, &err);
        if (st != NB_OK) {
            fuzz_check_error(&err);
            break;
        }
        if (!ev) break;
        (void)nb_event_get_kind(ev);
        (void)nb_event_wall_time(ev);
        (void)nb_event_step(ev);
        const char *v = nb_event_file_version(ev);
        if (v) (void)strlen(v);
        size_t len = 0;
        const unsigned char *gd = nb_event_graph_def(ev, &len);
        unsigned sum = 0;
        for (size_t i = 0; gd && i < len; i++) sum += gd[i];
        int n = nb_event_num_values(ev);
        for (int i = 0; i < n; i++) {
            const char *tag = nb_event_value_tag(ev, i);
            if (tag) (void)strlen(tag);
            const char *plugin = nb_event_value_plugin(ev, i);
            if (plugin) (void)strlen(plugin);
            switch (nb_event_value_kind(ev, i)) {
            case NB_VALUE_SCALAR: (void)nb_event_value_scalar(ev, i); break;
            case NB_VALUE_HISTOGRAM: {
                double stats[5];
                const double *limits = NULL, *counts = NULL;
                int nb = nb_event_value_histogram(ev, i, stats, &limits, &counts);
                for (int b = 0; b < nb; b++) sum += (unsigned)(limits[b] == counts[b]);
                break;
            }
            case NB_VALUE_IMAGE: {
                size_t ilen = 0;
                int h = 0, w = 0, c = 0;
                const unsigned char *png = nb_event_value_image(ev, i, &ilen, &h, &w, &c);
                for (size_t b = 0; png && b < ilen; b++) sum += png[b];
                break;
            }
            default: break;
            }
        }
        if (sum == 0xdeadbeef) fprintf(stderr, " "); /* keep the reads */
    }
    nb_event_reader_close(r);
}

#endif
