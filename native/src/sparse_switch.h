/*
 * The constant-argument switches of a SIMD sparse file (sparse_avx2.c, sparse_avx512.c), included
 * after its combine() and direct(): every election × normalisation × output type of the combine and
 * every input type × election × model count (1–4) × division of the register-resident merge is an
 * instantiation of its own, so each loop carries only its own branch-free path.
 */
#ifndef EXMERGE_SPARSE_SWITCH_H
#define EXMERGE_SPARSE_SWITCH_H

#define MK_COMBINE_OUT(E, N)                                                   \
    switch (a->out_type) {                                                     \
    case MK_DTYPE_F32: combine(a, v, b, len, out, E, N, MK_DTYPE_F32); break;  \
    case MK_DTYPE_F16: combine(a, v, b, len, out, E, N, MK_DTYPE_F16); break;  \
    default: combine(a, v, b, len, out, E, N, MK_DTYPE_BF16); break;           \
    }

MK_INLINE void combine_switch(const mk_sparse_args *a, const float *v, const float *b, int64_t len, void *out) {
    switch (a->election) {
    case MK_ELECT_NONE:
        if (a->normalize) { MK_COMBINE_OUT(MK_ELECT_NONE, 1) } else { MK_COMBINE_OUT(MK_ELECT_NONE, 0) }
        break;
    case MK_ELECT_SUM:
        if (a->normalize) { MK_COMBINE_OUT(MK_ELECT_SUM, 1) } else { MK_COMBINE_OUT(MK_ELECT_SUM, 0) }
        break;
    case MK_ELECT_KEPT:
        if (a->normalize) { MK_COMBINE_OUT(MK_ELECT_KEPT, 1) } else { MK_COMBINE_OUT(MK_ELECT_KEPT, 0) }
        break;
    case MK_ELECT_LONE:
        if (a->normalize) { MK_COMBINE_OUT(MK_ELECT_LONE, 1) } else { MK_COMBINE_OUT(MK_ELECT_LONE, 0) }
        break;
    default:
        if (a->normalize) { MK_COMBINE_OUT(MK_ELECT_COUNT, 1) } else { MK_COMBINE_OUT(MK_ELECT_COUNT, 0) }
        break;
    }
}

#define MK_DIRECT_K(T, E, D)                                                     \
    switch (a->n_models) {                                                       \
    case 1: direct(a, x, b, e, len, from, below, div, out, T, 1, E, D); break;   \
    case 2: direct(a, x, b, e, len, from, below, div, out, T, 2, E, D); break;   \
    case 3: direct(a, x, b, e, len, from, below, div, out, T, 3, E, D); break;   \
    default: direct(a, x, b, e, len, from, below, div, out, T, 4, E, D); break;  \
    }

#define MK_DIRECT_ELECT(T, D)                                                    \
    switch (a->election) {                                                       \
    case MK_ELECT_NONE: MK_DIRECT_K(T, MK_ELECT_NONE, D) break;                  \
    case MK_ELECT_SUM: MK_DIRECT_K(T, MK_ELECT_SUM, D) break;                    \
    case MK_ELECT_KEPT: MK_DIRECT_K(T, MK_ELECT_KEPT, D) break;                  \
    case MK_ELECT_LONE: MK_DIRECT_K(T, MK_ELECT_LONE, D) break;                  \
    default: MK_DIRECT_K(T, MK_ELECT_COUNT, D) break;                            \
    }

#define MK_DIRECT_TYPE(D)                                                        \
    switch (t) {                                                                 \
    case MK_DTYPE_F32: MK_DIRECT_ELECT(MK_DTYPE_F32, D) break;                   \
    case MK_DTYPE_F16: MK_DIRECT_ELECT(MK_DTYPE_F16, D) break;                   \
    default: MK_DIRECT_ELECT(MK_DTYPE_BF16, D) break;                            \
    }

/* The register-resident merge of 1–4 models (the caller checks the count). t / 1 is t bit for bit
 * (t is a difference, never a signalling NaN), so when one model divides, all do: one loop. */
MK_INLINE void direct_switch(const mk_sparse_args *a, const void *const *x, int32_t t, const void *b, int64_t e,
                             int64_t len, const uint32_t *from, const uint32_t *below, const float *div, void *out) {
    int divide = 0;
    for (int32_t i = 0; i < a->n_models; i++) {
        divide |= div[i] != 1.0f;
    }
    if (divide) {
        MK_DIRECT_TYPE(1)
    } else {
        MK_DIRECT_TYPE(0)
    }
}

#undef MK_DIRECT_TYPE
#undef MK_DIRECT_ELECT
#undef MK_DIRECT_K
#undef MK_COMBINE_OUT

#endif
