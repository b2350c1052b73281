# Per-file instruction-set flags, ggml style: each *_avx2.c / *_avx512.c is compiled with exactly the
# extensions its path uses, and the scalar files and the dispatcher with none, so nothing outside a
# path's own files can contain instructions the CPU might lack. src/dispatch.c checks the same list
# at run time (CPUID + XGETBV) before using a path: keep the two in step.
include_guard(GLOBAL)

set(EXMERGE_ISA_AVX2_FLAGS -mavx -mavx2 -mfma -mf16c)
set(EXMERGE_ISA_AVX512_FLAGS ${EXMERGE_ISA_AVX2_FLAGS} -mavx512f -mavx512bw -mavx512dq -mavx512vl
    -mprefer-vector-width=512)

# exmerge_isa_sources(ISA file...): attaches ISA's flags (AVX2 or AVX512) to the given sources.
function(exmerge_isa_sources isa)
  set(flags ${EXMERGE_ISA_${isa}_FLAGS})
  if(NOT flags)
    message(FATAL_ERROR "exmerge_isa_sources: unknown ISA '${isa}'")
  endif()
  string(REPLACE ";" " " flag_string "${flags}")
  set_source_files_properties(${ARGN} PROPERTIES COMPILE_FLAGS "${flag_string}")
endfunction()

# EXMERGE_X86: whether this build targets x86-64 (the SIMD paths exist only there).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(EXMERGE_X86 ON)
else()
  set(EXMERGE_X86 OFF)
endif()
