/*
 * mk_lora_rows: argument checks, then the columns in panels. A panel's part of right (rank x panel
 * doubles, MK_LORA_PANEL_BYTES at most) is packed by the path's vector groups, each group's rank rows
 * of lora_width doubles side by side, and every row of the call goes through it while it sits in L1/L2:
 * right's rows lie `columns` doubles apart, and a power-of-two stride puts one group's rank loads in
 * one cache set. A call of fewer than MK_LORA_PACK_ROWS rows reads right in place (a pack would cost
 * as much as its work). The arithmetic of every element is the same either way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

/* 96 KB: of 8 to 1024 KB tried on a Zen 3 core (rank 16, 5632 x 2048 bf16), 48 to 256 KB ran alike, 8 KB
 * 15 % slower (more passes over w's rows), 1 MB 25 % (out of L2). */
#define MK_LORA_PANEL_BYTES (96 * 1024)
#define MK_LORA_PACK_ROWS 8
/* Panels are a multiple of every path's vector group, so only the last one has a tail. */
#define MK_LORA_GROUP 16

typedef struct lora_call {
    mk_lora_args a;
    int64_t panel;
    double *pack; /* rank x panel doubles, or NULL */
} lora_call;

static void pack_panel(const mk_lora_args *a, int64_t c0, int64_t cols, int32_t width, double *pack) {
    int64_t groups = cols / width;
    for (int64_t g = 0; g < groups; g++) {
        for (int32_t k = 0; k < a->rank; k++) {
            memcpy(pack + (g * a->rank + k) * width, a->right + k * a->columns + c0 + g * width,
                   sizeof(double) * (size_t)width);
        }
    }
}

/* The reading part, under the SIGBUS guard (fault_guard.c). */
static int32_t lora_body(void *ctx) {
    const lora_call *c = ctx;
    const mk_kernel_table *k = mk_active();
    const double *pack = k->lora_width > 0 && c->a.count >= MK_LORA_PACK_ROWS ? c->pack : NULL;
    for (int64_t c0 = 0; c0 < c->a.columns; c0 += c->panel) {
        int64_t cols = c->a.columns - c0 < c->panel ? c->a.columns - c0 : c->panel;
        if (pack != NULL) {
            pack_panel(&c->a, c0, cols, k->lora_width, c->pack);
        }
        k->lora_block(&c->a, 0, c->a.count, c0, cols, pack);
    }
    return MK_OK;
}

int32_t mk_lora_rows(const void *w, int32_t w_type, const double *left, const double *right, int32_t rank,
                     int64_t columns, int64_t count, double scaling, void *out, int32_t out_type) {
    if (rank < 0 || columns < 0 || count < 0) {
        return MK_E_ARGUMENT;
    }
    if (mk_dtype_size(w_type) == 0 || mk_dtype_size(out_type) == 0) {
        return MK_E_DTYPE;
    }
    if (columns == 0 || count == 0) {
        return MK_OK;
    }
    if (columns > INT64_MAX / 8 / count || (rank > 0 && columns > INT64_MAX / 8 / rank)) {
        return MK_E_ARGUMENT;
    }
    if (w == NULL || out == NULL || (rank > 0 && (left == NULL || right == NULL))) {
        return MK_E_NULL;
    }
    lora_call c = {{w, w_type, left, right, rank, columns, count, scaling, out, out_type}, columns, NULL};
    if (rank > 0) {
        int64_t panel = MK_LORA_PANEL_BYTES / (8 * (int64_t)rank) / MK_LORA_GROUP * MK_LORA_GROUP;
        c.panel = panel < MK_LORA_GROUP ? MK_LORA_GROUP : panel;
        if (count >= MK_LORA_PACK_ROWS) {
            c.pack = malloc(sizeof(double) * (size_t)rank * (size_t)(c.panel < columns ? c.panel : columns));
        }
    }
    /* Without a pack (too little memory) the rows read right in place: slower, the same bytes. */
    int32_t status = mk_guarded(lora_body, &c);
    free(c.pack);
    return status;
}
