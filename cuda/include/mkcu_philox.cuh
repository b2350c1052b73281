/*
 * numerics §5: Philox4x32-10 (Random123's philox4x32_R(10, ctr, key)), key = the seed's (low,
 * high) words, counter = (element index low, high, tensor id, model index); u = (r0 >> 8) · 2^-24.
 * The Java spec is numeric/Philox4x32.
 */
#ifndef MKCU_PHILOX_CUH
#define MKCU_PHILOX_CUH

#include "mkcu_base.cuh"

EXMERGE_HD uint32_t mkcu_philox_first_word(uint64_t seed, int64_t element, uint32_t tensor_id, uint32_t model) {
    uint32_t k0 = (uint32_t)seed;
    uint32_t k1 = (uint32_t)(seed >> 32);
    uint32_t c0 = (uint32_t)(uint64_t)element;
    uint32_t c1 = (uint32_t)((uint64_t)element >> 32);
    uint32_t c2 = tensor_id;
    uint32_t c3 = model;
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        const uint64_t p0 = (uint64_t)0xD2511F53u * c0;
        const uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
        const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        const uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
    }
    return c0;
}

/* The top 24 bits times 2^-24: exact in float32. */
EXMERGE_HD float mkcu_uniform(uint64_t seed, int64_t element, uint32_t tensor_id, uint32_t model) {
    return (float)(mkcu_philox_first_word(seed, element, tensor_id, model) >> 8) * 0x1p-24f;
}

#endif
