# Flags every exmerge C/C++/CUDA translation unit shares (numerics §1: no fast-math, no contraction,
# no flush-to-zero). The kernels reproduce the Java spec bit for bit, so the compiler may not fuse
# a*b+c into an fma (-ffp-contract=off; GCC's default for GNU C is "fast") or assume anything about
# NaNs, infinities or signed zeros. -fno-math-errno only lets fmaf inline; it changes no value.
# Never -march=native: the library runs on machines other than the one that built it, and the
# instruction set is chosen at run time (src/dispatch.c).
include_guard(GLOBAL)

set(EXMERGE_EXACT_FP_FLAGS
    -ffp-contract=off
    -fno-fast-math
    -fno-unsafe-math-optimizations
    -fno-finite-math-only
    -fsigned-zeros
    -ftrapping-math
    -fno-math-errno)

set(EXMERGE_WARNING_FLAGS -Wall -Wextra -Wno-unused-parameter)

# exmerge_exact_fp(target): the flags above plus hidden visibility (only MK_API symbols export).
function(exmerge_exact_fp target)
  target_compile_options(${target} PRIVATE ${EXMERGE_EXACT_FP_FLAGS} ${EXMERGE_WARNING_FLAGS})
  set_target_properties(${target} PROPERTIES C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
endfunction()
