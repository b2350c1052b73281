/* The scalar path's non-finite scan: the word test of nonfinite_scalar.h over the whole run. */
#include "kernels.h"
#include "nonfinite_scalar.h"

int64_t mk_first_nonfinite_scalar(const void *p, int32_t size, uint64_t lane, int64_t n) {
    return mk_nf_first_words(p, size, lane, n);
}
