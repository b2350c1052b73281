package org.exmerge.kernel;

import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * One backend's kernels. Each call works on one chunk, single-threaded; implementations are
 * re-entrant so the engine may call them from many threads at once. Every backend must produce
 * the bytes {@link JavaKernels} produces (numerics §1). There are no default methods: a backend
 * implements every op, and one it cannot run itself it hands to the Java spec explicitly and
 * counts in {@link #fallbacks()}, so a slow path is never silent. KernelConformanceTest checks
 * every provider's ops against the spec.
 */
public interface Kernels {

    /** The backend's name: java, native or cuda. */
    String name();

    /**
     * Calls so far (in this JVM) that this backend handed to the Java spec, by op name; empty for
     * the spec itself. A run reports the growth over its span ({@link Fallbacks#since}).
     */
    Map<String, Long> fallbacks();

    /**
     * numerics §2's fused linear family over {@code n} elements: inputs widened exactly, arithmetic in
     * float32 (float64 if any operand is F64), output narrowed with round-to-nearest-even.
     *
     * @param base null unless {@code op.hasBase()}
     * @return the engine's output check: what {@link #firstNonFinite} would return for {@code out}
     *         afterwards, found as the output is written (a backend need not read it back)
     */
    long linear(LinearOp op, Operand[] inputs, Operand base, Operand out, long n);

    /**
     * {@link #linear} with the op of each element's vector ({@link VectorLinearOp}) over elements
     * {@code [start, start + n)} of the tensor, written to {@code out[0 .. n)}: each element gets exactly
     * the bytes {@code linear} with its vector's op gives. Input operands start at element 0 of the
     * tensor (the element index says which vector it is in); {@code out} starts at the chunk.
     *
     * @param base null unless {@code op.hasBase()}
     */
    void linearPerVector(VectorLinearOp op, Operand[] inputs, Operand base, Operand out, long start, long n);

    /** Copies {@code n} elements, converting the float type exactly or with RNE narrowing. */
    void convert(Operand in, Operand out, long n);

    /**
     * numerics §4's float64 reductions of the geometric methods (slerp, nuslerp, karcher, model_stock):
     * for every vector and block of {@code span} and every pair {@code (i, j)} of {@code pairs},
     * {@code out[(v·span.blocks() + b)·pairs.length + q]} = the block value of {@code Σ v_i·v_j}, where
     * {@code v_i} is input {@code i}, or with a base its task vector {@code x_i − b} formed as
     * {@link #linear} forms it (float32, or float64 if an operand is F64); each product in float64
     * without fma, element {@code k} of a block in lane {@code k mod 64}, the lanes folded pairwise.
     * A vector's sum is its block values added left to right from +0.0 by the caller, so no result
     * depends on how spans are cut or run. Operands start at element 0 of the tensor.
     *
     * @param base null for the inputs themselves, else the base their task vectors are taken from
     */
    void pairSums(Operand[] inputs, Operand base, int[][] pairs, VectorSpan span, double[] out);

    // numerics §3 (TIES, DARE, breadcrumbs, DELLA). Input operands start at element 0 of the tensor and
    // indices are absolute, because Philox draws and DELLA's row ranks depend on them; out starts at
    // the chunk.

    /**
     * Adds the magnitude-key counts of {@code τ = x − b} (float32) over elements
     * {@code [start, start + n)} to {@code hist}, for {@link org.exmerge.numeric.MagnitudeSelect}'s
     * two passes: {@code high < 0} counts {@code key >>> 16} into 32,768 buckets; otherwise only keys
     * with {@code key >>> 16 == high} are counted, by {@code key & 0xFFFF} into 65,536 buckets.
     * {@code key(τ) = min(bits(τ) & 0x7FFFFFFF, 0x7F800001)}.
     */
    void tauHistogram(Operand x, Operand base, long start, long n, int high, long[] hist);

    /**
     * One read of the magnitude keys of {@code τ = x − b} (as {@link #tauHistogram}) over elements
     * {@code [start, start + n)} that brackets a rank between two keys {@code lo ≤ hi}: adds to
     * {@code counts[0]} the keys above {@code hi}, to {@code counts[1]} the keys equal to {@code hi},
     * and to {@code counts[2]} the keys equal to {@code lo} when {@code lo < hi}; writes the keys
     * strictly between {@code lo} and {@code hi} into {@code band} from index 0, as many as it holds,
     * in no promised order (the caller ranks them as a multiset). Returns how many keys lie strictly
     * between, which may exceed {@code band.length}.
     *
     * @throws IllegalArgumentException unless {@code 0 ≤ lo ≤ hi ≤ MagnitudeSelect.NAN_KEY}, {@code counts}
     *     has 3 entries, and the range is not negative
     */
    long tauBand(Operand x, Operand base, long start, long n, int lo, int hi, long[] counts, int[] band);

    /**
     * The band select's sample: the magnitude keys of {@code τ = x − b} (as {@link #tauHistogram}) of
     * runs {@code first, …, first + runs − 1} of {@code of} runs of {@code run} elements spread evenly
     * over {@code [0, n)}, run r starting at element {@code r·(n − run) / (of − 1)} (0 when of = 1):
     * {@code keys[(r − first)·run + j] = key(τ[start(r) + j])}. A few thousand scattered short runs per
     * tensor, which in Java cost more to compile than to run in a merge of a few hundred tensors.
     *
     * @throws IllegalArgumentException unless {@code 1 ≤ run ≤ n}, {@code 1 ≤ of ≤ 2^20},
     *     {@code 0 ≤ first ≤ first + runs ≤ of} and {@code keys} has {@code runs · run} entries
     */
    void tauKeys(Operand x, Operand base, long n, int first, int runs, int of, int run, int[] keys);

    /**
     * The {@code k}-th largest of {@code keys[0, count)} (duplicates counted), magnitude keys as
     * {@link #tauHistogram}'s: the band select's bracket from its sample and its rank among the keys
     * its read gathered, by {@link org.exmerge.numeric.MagnitudeSelect}'s two histogram passes.
     * {@code keys} is left as it was.
     *
     * @throws IllegalArgumentException unless {@code 1 ≤ k ≤ count ≤ keys.length} and every key lies in
     *     {@code [0, MagnitudeSelect.NAN_KEY]}
     */
    int kthLargestKey(int[] keys, int count, long k);

    /**
     * One numerics §4 block of the norms {@code rescale_norm} matches: for the block starting at
     * {@code blockStart} (a multiple of 65,536 below {@code total}, the tensor's element count),
     * {@code out[2i]} = the block value of model i's norm of τ_i and {@code out[2i+1]} = that of the
     * kept τ_i (dropped elements add +0.0), where the terms are {@code |τ|} (L1) or {@code τ·τ} (L2)
     * in float64 through §4's 64 lanes and pairwise fold, or the largest {@code |τ|} (L∞, NaN
     * propagates). The keep decision is exactly {@link #sparseMerge}'s.
     *
     * @param norm {@link SparseOp#NORM_L1}, {@link SparseOp#NORM_L2} or {@link SparseOp#NORM_LINF}
     */
    void sparseNorms(SparseOp op, int norm, Operand[] inputs, Operand base, long blockStart, long total,
                     double[] out);

    /**
     * numerics §3's fused sparsify, weight, elect, combine and {@code fma(λ, m, b)} (the arithmetic is on
     * {@link SparseOp}) for elements {@code [start, start + n)}, written to {@code out[0 .. n)}.
     *
     * @return the output check, as {@link #linear}'s
     */
    long sparseMerge(SparseOp op, Operand[] inputs, Operand base, Operand out, long start, long n);

    /**
     * mergekit's ramplus_tl counts (methods-sparsify.md "ramplus_tl"): over elements
     * {@code [start, start + n)}, with the values {@code v_i} that {@link #sparseMerge} forms for
     * {@code op} (its keep, divisors and {@link SparseOp#valueWeight}) and {@code c} the number of
     * them that are nonzero and not NaN (they agree under {@link SparseOp#ELECT_KEPT}), adds to
     * {@code counts[2i]} the elements where model i's value agrees and {@code c > 1} (shared) and to
     * {@code counts[2i + 1]} those where it agrees and {@code c = 1} (its alone). Integer counts: any
     * cut of a tensor into calls adds up to the same totals.
     *
     * @throws IllegalArgumentException unless {@code counts} has {@code 2·models} entries and the range
     *     is not negative (and where {@link #sparseMerge} refuses the operands)
     */
    void keptCounts(SparseOp op, Operand[] inputs, Operand base, long start, long n, long[] counts);

    /**
     * numerics §10's nearswap over {@code n} elements: with {@code v0} the base and {@code v1} the
     * other model, {@code w = clamp((1 / max(|v0 − v1|, 1e-6))·t, 0, 1)} and
     * {@code out = w·v1 + (1 − w)·v0}, every operation rounded on its own (no fma) in float32, or in
     * float64 when an operand is F64 (numerics §1); {@code t} is rounded once to float32 for the
     * float32 path.
     */
    void nearswap(double t, Operand base, Operand x, Operand out, long n);
    // mergekit's sce (methods.md "sce"; the arithmetic is on SceOp). Input operands start at element 0
    // of the tensor; out starts at the chunk.

    /**
     * Adds the counts of the nonzero variance keys ({@link SceOp#variance} of the task vectors
     * {@code x_i − b}, keyed by {@link org.exmerge.numeric.MagnitudeSelect#key}) of elements
     * {@code [start, start + n)} to {@code hist}, in {@link #tauHistogram}'s two passes: {@code high < 0}
     * counts {@code key >>> 16} into 32,768 buckets, else the keys with {@code key >>> 16 == high} by
     * {@code key & 0xFFFF} into 65,536. Elements whose variance key is 0 are not counted (sce ranks
     * the nonzero variances only).
     */
    void sceHistogram(Operand[] inputs, Operand base, long start, long n, int high, long[] hist);

    /**
     * One numerics §4 block of each model's {@code Σ τ̂_i²} (the task vector after sce's variance
     * mask, dropped elements adding +0): for the block starting at {@code blockStart} (a multiple of
     * 65,536 below {@code total}), {@code out[i]} = model i's block value, terms {@code τ̂·τ̂} in
     * float64 through §4's 64 lanes and pairwise fold.
     */
    void sceSquares(SceOp op, Operand[] inputs, Operand base, long blockStart, long total, double[] out);

    /** sce's mask, sign election and weighted mean plus base ({@link SceOp}) for elements {@code [start, start + n)}. */
    void sceMerge(SceOp op, Operand[] inputs, Operand base, Operand out, long start, long n);

    // mergekit's arcee_fusion (methods.md "arcee_fusion"; the arithmetic is on FusionOp). Operands as for sce.

    /**
     * Adds the counts of the importance keys ({@link FusionOp}; every element, zeros included) of
     * elements {@code [start, start + n)} to {@code hist}, in {@link #sceHistogram}'s two passes.
     */
    void fusionHistogram(FusionOp op, Operand x, Operand base, long start, long n, int high, long[] hist);

    /** arcee_fusion's {@code b + (importance ≥ threshold ? τ : +0)} for elements {@code [start, start + n)}. */
    void fusionMerge(FusionOp op, Operand x, Operand base, Operand out, long start, long n);

    /**
     * numerics §12's low-rank LoRA delta on {@code count} rows of {@code columns} elements: row r of
     * {@code out} is {@code narrow(widen(w[r][j]) + s·d[j])} with
     * {@code d[j] = Σ_k left[r·rank + k]·right[k·columns + j]} summed in float64 from +0 in k order,
     * each product rounded and then added (no fma), then {@code t = s·d[j]} rounded and added to the
     * widened weight; the result is rounded once to {@code out}'s type as
     * {@link org.exmerge.numeric.Narrow#store} rounds it. {@code left} holds {@code count × rank} and
     * {@code right} {@code rank × columns} float64 values in native byte order (the caller widens the
     * factors once; {@code right} is read only, so threads may share it). {@code w} and {@code out}
     * start at the first row and may have different float types; {@code out} may not overlap the
     * other arguments. Every element is worked out on its own, so the rows may be cut into calls
     * any way.
     *
     * @throws IllegalArgumentException for a negative rank, column or row count, or a non-float type
     * @throws IndexOutOfBoundsException when a segment is too short for what the call reads or writes
     */
    void loraRows(Operand w, MemorySegment left, MemorySegment right, int rank, long columns, int count, double scaling,
                  Operand out);

    /**
     * numerics §13's D·X of extract-lora's truncated SVD on rows {@code [from, to)} of Y (m × k): for a
     * float32 D (m × n) and float64 X (n × k), all row-major, {@code y[i·k + c]} is summed from +0 over
     * j = 0 … n−1 in order, each term added by one fma of the widened {@code d[i·n + j]} and
     * {@code x[j·k + c]}; other rows of y are left as they are. {@link org.exmerge.numeric.SvdProducts#times}
     * is the spec. Heap arrays, since the iteration around it works on them; each element on its own,
     * so the rows may be cut into calls any way.
     *
     * @throws IllegalArgumentException for negative sizes or a row range outside [0, m]
     * @throws IndexOutOfBoundsException when an array is too short
     */
    void svdTimes(float[] d, int m, int n, double[] x, int k, int from, int to, double[] y);

    /**
     * numerics §13's Dᵀ·Q on rows {@code [from, to)} of Z (n × k), Q m × k: {@code z[j·k + c]} summed from +0
     * over i = 0 … m−1 in order, each term one fma of the widened {@code d[i·n + j]} and {@code q[i·k + c]}.
     * {@link org.exmerge.numeric.SvdProducts#transposeTimes} is the spec; otherwise as {@link #svdTimes}.
     */
    void svdTransposeTimes(float[] d, int m, int n, double[] q, int k, int from, int to, double[] z);

    /**
     * The engine's check of an output chunk: the index of the first non-finite element (an infinity
     * or NaN; for F8_E4M3, which has no infinity, a NaN) among the first {@code n} of {@code data},
     * or -1; always -1 for integer types. {@link NonFinite#first} is the spec.
     */
    long firstNonFinite(Operand data, long n);
}
