/* Magnitude keys and the band select's read on AVX2 (see magnitude_avx512.c); scalar tails. */
#include "fp_scalar.h"
#include "kernels.h"
#include "simd_avx2.h"

void mk_magnitude_keys_avx2(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len, uint32_t *keys) {
    const __m256i mag = _mm256_set1_epi32(0x7FFFFFFF);
    const __m256i nan_key = _mm256_set1_epi32((int)MK_NAN_KEY);
    int64_t j = 0;
    for (; j + 8 <= len; j += 8) {
        __m256 v = mk256_load(x, tx, j);
        if (b != NULL) {
            v = _mm256_sub_ps(v, mk256_load(b, tb, j));
        }
        __m256i k = _mm256_min_epu32(_mm256_and_si256(_mm256_castps_si256(v), mag), nan_key);
        _mm256_storeu_si256((__m256i *)(keys + j), k);
    }
    for (; j < len; j++) {
        float v = mk_load(x, tx, j);
        if (b != NULL) {
            v = v - mk_load(b, tb, j);
        }
        keys[j] = mk_magnitude_key(v);
    }
}

/* Lane m of a band mask's left-pack: nibble q of PACK[mask] is the lane that goes to slot q. */
static const uint32_t PACK[256] = {
    0x00000000u, 0x00000000u, 0x00000001u, 0x00000010u, 0x00000002u, 0x00000020u, 0x00000021u, 0x00000210u,
    0x00000003u, 0x00000030u, 0x00000031u, 0x00000310u, 0x00000032u, 0x00000320u, 0x00000321u, 0x00003210u,
    0x00000004u, 0x00000040u, 0x00000041u, 0x00000410u, 0x00000042u, 0x00000420u, 0x00000421u, 0x00004210u,
    0x00000043u, 0x00000430u, 0x00000431u, 0x00004310u, 0x00000432u, 0x00004320u, 0x00004321u, 0x00043210u,
    0x00000005u, 0x00000050u, 0x00000051u, 0x00000510u, 0x00000052u, 0x00000520u, 0x00000521u, 0x00005210u,
    0x00000053u, 0x00000530u, 0x00000531u, 0x00005310u, 0x00000532u, 0x00005320u, 0x00005321u, 0x00053210u,
    0x00000054u, 0x00000540u, 0x00000541u, 0x00005410u, 0x00000542u, 0x00005420u, 0x00005421u, 0x00054210u,
    0x00000543u, 0x00005430u, 0x00005431u, 0x00054310u, 0x00005432u, 0x00054320u, 0x00054321u, 0x00543210u,
    0x00000006u, 0x00000060u, 0x00000061u, 0x00000610u, 0x00000062u, 0x00000620u, 0x00000621u, 0x00006210u,
    0x00000063u, 0x00000630u, 0x00000631u, 0x00006310u, 0x00000632u, 0x00006320u, 0x00006321u, 0x00063210u,
    0x00000064u, 0x00000640u, 0x00000641u, 0x00006410u, 0x00000642u, 0x00006420u, 0x00006421u, 0x00064210u,
    0x00000643u, 0x00006430u, 0x00006431u, 0x00064310u, 0x00006432u, 0x00064320u, 0x00064321u, 0x00643210u,
    0x00000065u, 0x00000650u, 0x00000651u, 0x00006510u, 0x00000652u, 0x00006520u, 0x00006521u, 0x00065210u,
    0x00000653u, 0x00006530u, 0x00006531u, 0x00065310u, 0x00006532u, 0x00065320u, 0x00065321u, 0x00653210u,
    0x00000654u, 0x00006540u, 0x00006541u, 0x00065410u, 0x00006542u, 0x00065420u, 0x00065421u, 0x00654210u,
    0x00006543u, 0x00065430u, 0x00065431u, 0x00654310u, 0x00065432u, 0x00654320u, 0x00654321u, 0x06543210u,
    0x00000007u, 0x00000070u, 0x00000071u, 0x00000710u, 0x00000072u, 0x00000720u, 0x00000721u, 0x00007210u,
    0x00000073u, 0x00000730u, 0x00000731u, 0x00007310u, 0x00000732u, 0x00007320u, 0x00007321u, 0x00073210u,
    0x00000074u, 0x00000740u, 0x00000741u, 0x00007410u, 0x00000742u, 0x00007420u, 0x00007421u, 0x00074210u,
    0x00000743u, 0x00007430u, 0x00007431u, 0x00074310u, 0x00007432u, 0x00074320u, 0x00074321u, 0x00743210u,
    0x00000075u, 0x00000750u, 0x00000751u, 0x00007510u, 0x00000752u, 0x00007520u, 0x00007521u, 0x00075210u,
    0x00000753u, 0x00007530u, 0x00007531u, 0x00075310u, 0x00007532u, 0x00075320u, 0x00075321u, 0x00753210u,
    0x00000754u, 0x00007540u, 0x00007541u, 0x00075410u, 0x00007542u, 0x00075420u, 0x00075421u, 0x00754210u,
    0x00007543u, 0x00075430u, 0x00075431u, 0x00754310u, 0x00075432u, 0x00754320u, 0x00754321u, 0x07543210u,
    0x00000076u, 0x00000760u, 0x00000761u, 0x00007610u, 0x00000762u, 0x00007620u, 0x00007621u, 0x00076210u,
    0x00000763u, 0x00007630u, 0x00007631u, 0x00076310u, 0x00007632u, 0x00076320u, 0x00076321u, 0x00763210u,
    0x00000764u, 0x00007640u, 0x00007641u, 0x00076410u, 0x00007642u, 0x00076420u, 0x00076421u, 0x00764210u,
    0x00007643u, 0x00076430u, 0x00076431u, 0x00764310u, 0x00076432u, 0x00764320u, 0x00764321u, 0x07643210u,
    0x00000765u, 0x00007650u, 0x00007651u, 0x00076510u, 0x00007652u, 0x00076520u, 0x00076521u, 0x00765210u,
    0x00007653u, 0x00076530u, 0x00076531u, 0x00765310u, 0x00076532u, 0x00765320u, 0x00765321u, 0x07653210u,
    0x00007654u, 0x00076540u, 0x00076541u, 0x00765410u, 0x00076542u, 0x00765420u, 0x00765421u, 0x07654210u,
    0x00076543u, 0x00765430u, 0x00765431u, 0x07654310u, 0x00765432u, 0x07654320u, 0x07654321u, 0x76543210u,
};

static int64_t lanes_sum(__m256i v) {
    uint32_t t[8];
    _mm256_storeu_si256((__m256i *)t, v);
    int64_t s = 0;
    for (int i = 0; i < 8; i++) {
        s += t[i];
    }
    return s;
}

/*
 * The band holds a few per cent of the keys, scattered, so a branch on "any key in the band" would
 * mispredict often: every vector's band lanes are packed to the front and stored whole, and the
 * cursor moves by their number (the unused lanes are written over by the next store). Counts run in
 * 32-bit lanes, added up once a tile (MK_TILE keys cannot overflow them). Keys are below 2^31, so
 * signed compares order them.
 */
int64_t mk_magnitude_band_avx2(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len, uint32_t lo,
                               uint32_t hi, int64_t *counts, uint32_t *band, int64_t at, int64_t cap) {
    const __m256i mag = _mm256_set1_epi32(0x7FFFFFFF);
    const __m256i nan_key = _mm256_set1_epi32((int)MK_NAN_KEY);
    const __m256i vhi = _mm256_set1_epi32((int)hi);
    const __m256i vlo = _mm256_set1_epi32((int)lo);
    const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
    const __m256i seven = _mm256_set1_epi32(7);
    /* lo == hi: the keys equal to lo are counted as equal to hi only. */
    const __m256i lo_counts = lo < hi ? _mm256_set1_epi32(-1) : _mm256_setzero_si256();
    __m256i above = _mm256_setzero_si256(), at_hi = above, at_lo = above;
    int64_t j = 0;
    for (; j + 8 <= len; j += 8) {
        __m256 v = _mm256_sub_ps(mk256_load(x, tx, j), mk256_load(b, tb, j));
        __m256i k = _mm256_min_epu32(_mm256_and_si256(_mm256_castps_si256(v), mag), nan_key);
        __m256i gt = _mm256_cmpgt_epi32(k, vhi);
        __m256i eq = _mm256_cmpeq_epi32(k, vhi);
        __m256i el = _mm256_and_si256(_mm256_cmpeq_epi32(k, vlo), lo_counts);
        __m256i in = _mm256_andnot_si256(_mm256_or_si256(gt, eq), _mm256_cmpgt_epi32(k, vlo));
        above = _mm256_sub_epi32(above, gt);
        at_hi = _mm256_sub_epi32(at_hi, eq);
        at_lo = _mm256_sub_epi32(at_lo, el);
        unsigned mask = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(in));
        if (at + 8 <= cap) {
            __m256i perm = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)PACK[mask]), shifts), seven);
            _mm256_storeu_si256((__m256i *)(band + at), _mm256_permutevar8x32_epi32(k, perm));
            at += __builtin_popcount(mask);
        } else {
            uint32_t keys[8];
            _mm256_storeu_si256((__m256i *)keys, k);
            for (; mask != 0; mask &= mask - 1, at++) {
                if (at < cap) {
                    band[at] = keys[__builtin_ctz(mask)];
                }
            }
        }
    }
    counts[0] += lanes_sum(above);
    counts[1] += lanes_sum(at_hi);
    counts[2] += lanes_sum(at_lo);
    if (j == len) {
        return at;
    }
    return mk_magnitude_band_scalar((const char *)x + j * mk_dtype_size(tx), tx, (const char *)b + j * mk_dtype_size(tb),
                                    tb, len - j, lo, hi, counts, band, at, cap);
}
