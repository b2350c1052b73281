package org.exmerge.synth;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.exmerge.format.DType;
import org.exmerge.format.TensorSpec;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Operand;
import org.exmerge.method.TensorMerge;
import org.exmerge.numeric.Fnv1a;

/**
 * One synthetic tensor: element e is {@code c + Σ_k scale_k · stream_k(e)} (c = 1 for norm
 * weights, else 0), summed in float32 in the order given, then narrowed to the tensor's type.
 * Computed in L1-sized blocks straight into the chunk the pipeline hands over.
 */
final class SynthField implements TensorMerge {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long LOW_SPAN = 1L << 32;

    private final long seed;
    private final int tensor;
    private final float constant;
    private final int[] streams;
    private final float[] scales;

    SynthField(TensorSpec spec, long seed, int[] streams, float[] scales) {
        this.seed = seed;
        this.tensor = Fnv1a.hash32(spec.name());
        this.constant = spec.shape().length == 1 ? 1.0f : 0.0f;
        this.streams = streams.clone();
        this.scales = scales.clone();
    }

    @Override
    public void compute(long start, long n, Operand out) {
        int cap = (int) Math.min(n, UniformStreams.BLOCK);
        float[] v = new float[cap];
        short[] half = out.type() == DType.BF16 ? new short[cap] : null;
        for (long done = 0; done < n; ) {
            long e = start + done;
            // A block stays within one run of 2^32 elements, which share their streams' keys.
            int len = (int) Math.min(Math.min(cap, n - done), LOW_SPAN - (e & (LOW_SPAN - 1)));
            int high = (int) (e >>> 32);
            Arrays.fill(v, 0, len, constant);
            for (int k = 0; k < streams.length; k++) {
                UniformStreams.add(UniformStreams.key(seed, tensor, streams[k], high), (int) e, scales[k], v, len);
            }
            if (half != null) {
                toBf16(v, half, len);
                MemorySegment.copy(half, 0, out.segment(), LE_SHORT, done * 2, len);
            } else {
                Backends.java().convert(new Operand(MemorySegment.ofArray(v), DType.F32), out.skip(done), len);
            }
            done += len;
        }
    }

    /**
     * {@link org.exmerge.numeric.Bf16#fromFloat}'s rounding (nearest, ties to even) on values that
     * are never NaN, inline: the default dtype's hot path, where the spec's general conversion cost as
     * much as generating the values.
     */
    static void toBf16(float[] v, short[] out, int len) {
        for (int j = 0; j < len; j++) {
            int b = Float.floatToRawIntBits(v[j]);
            out[j] = (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
        }
    }
}
