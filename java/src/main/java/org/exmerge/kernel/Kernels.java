package org.exmerge.kernel;

/**
 * One backend's kernels. Each call works on one chunk, single-threaded; implementations are
 * re-entrant so the engine may call them from many threads at once. Every backend must produce
 * the bytes {@link JavaKernels} produces (SPEC.md).
 */
public interface Kernels {

    /** The backend's name: java, native or cuda. */
    String name();

    /**
     * SPEC §2's fused linear family over {@code n} elements: inputs widened exactly, arithmetic in
     * float32 (float64 if any operand is F64), output narrowed with round-to-nearest-even.
     *
     * @param base null unless {@code op.hasBase()}
     */
    void linear(LinearOp op, Operand[] inputs, Operand base, Operand out, long n);

    /** Copies {@code n} elements, converting the float type exactly or with RNE narrowing. */
    void convert(Operand in, Operand out, long n);
}
