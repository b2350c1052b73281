package org.exmerge.method;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.Operand;
import org.exmerge.numeric.Fnv1a;
import org.exmerge.testing.TestModels;

/** Runs a method's plan on in-memory tensors, cut into chunks the way the engine cuts them. */
public final class PlanRunner {
    private PlanRunner() {}

    public static Operand operand(DType t, float[] v) {
        return new Operand(TestModels.encode(t, v), t);
    }

    /** The output bytes, computed chunk by chunk of {@code chunk} elements. */
    public static MemorySegment run(TensorPlan plan, Operand base, Operand[] models, long[] shape, DType outType, long chunk) {
        long n = TestModels.count(shape);
        TensorMerge m = plan.bind(new TensorInputs("t", base, models, n, shape, new JavaKernels(), 0, Fnv1a.hash32("t")));
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(n * outType.size())]);
        for (long s = 0; s < n; s += chunk) {
            long len = Math.min(chunk, n - s);
            m.compute(s, len, new Operand(out.asSlice(s * outType.size()), outType));
        }
        return out;
    }

    /** The output as floats (F32/BF16/F16). */
    public static float[] floats(MemorySegment out, DType t) {
        float[] v = new float[(int) (out.byteSize() / t.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = TestModels.get(out, t, i);
        }
        return v;
    }

    // Float-array forms for the sparsify-and-elect tests: inputs written misaligned in one type,
    // a named tensor (its FNV-1a id feeds Philox) and an explicit seed.

    public static final String NAME = "model.layers.0.mlp.up_proj.weight";

    /** The whole tensor as F32 in one chunk. */
    public static float[] run(MergeMethod method, TensorParams p, float[] b, float[][] xs, long seed) {
        return run(method.plan(p, xs.length), b, xs, new long[] {b.length}, DType.F32, DType.F32, seed, b.length + 1);
    }

    /** Inputs are written as {@code in} (values must be representable), the output as {@code outType}. */
    public static float[] run(TensorPlan plan, float[] b, float[][] xs, long[] shape, DType in, DType outType, long seed, int chunk) {
        int n = b.length;
        Operand base = misaligned(in, b);
        Operand[] models = new Operand[xs.length];
        for (int i = 0; i < xs.length; i++) {
            models[i] = misaligned(in, xs[i]);
        }
        TensorMerge merge = plan.bind(new TensorInputs(NAME, base, models, n, shape, new JavaKernels(), seed, Fnv1a.hash32(NAME)));
        MemorySegment out = MemorySegment.ofArray(new byte[Math.max(1, n) * outType.size()]);
        for (int start = 0; start < n; start += chunk) {
            int len = Math.min(chunk, n - start);
            merge.compute(start, len, new Operand(out.asSlice((long) start * outType.size()), outType));
        }
        return floats(out, outType, n);
    }

    private static float[] floats(MemorySegment out, DType t, int n) {
        float[] r = new float[n];
        for (int j = 0; j < n; j++) {
            r[j] = TestModels.get(out, t, j);
        }
        return r;
    }

    /** The values as stored in {@code type} (what the kernels will read back). */
    public static float[] stored(DType type, float[] v) {
        return floats(TestModels.encode(type, v), type, v.length);
    }

    /** Encoded one byte into a larger segment, so every element read is misaligned. */
    public static Operand misaligned(DType t, float[] v) {
        MemorySegment enc = TestModels.encode(t, v);
        MemorySegment big = MemorySegment.ofArray(new byte[(int) enc.byteSize() + 1]);
        MemorySegment.copy(enc, 0, big, 1, enc.byteSize());
        return new Operand(big.asSlice(1), t);
    }

    /** Parameters given in code: global numbers/booleans, and per-model numbers. */
    public static final class Params implements TensorParams {
        final Map<String, Object> global = new HashMap<>();
        final Map<String, double[]> perModel = new HashMap<>();

        public Params set(String key, Object v) {
            global.put(key, v);
            return this;
        }

        public Params each(String key, double... v) {
            perModel.put(key, v);
            return this;
        }

        @Override
        public double number(String key, int model, double dflt) {
            if (model >= 0 && perModel.containsKey(key)) {
                return perModel.get(key)[model];
            }
            return number(key, dflt);
        }

        @Override
        public double number(String key, double dflt) {
            Object v = global.get(key);
            if (v == null && Double.isNaN(dflt)) {
                throw new ParameterException(path(key, -1) + ": required");
            }
            return v == null ? dflt : ((Number) v).doubleValue();
        }

        @Override
        public boolean bool(String key, boolean dflt) {
            Object v = global.get(key);
            return v == null ? dflt : (Boolean) v;
        }

        @Override
        public String string(String key, String dflt) {
            Object v = global.get(key);
            return v == null ? dflt : (String) v;
        }

        @Override
        public boolean has(String key, int model) {
            return global.containsKey(key) || (model >= 0 && perModel.containsKey(key));
        }

        @Override
        public boolean hasOwn(String key, int model) {
            return model >= 0 && perModel.containsKey(key);
        }

        @Override
        public String path(String key, int model) {
            return (model >= 0 ? "models[" + model + "].parameters." : "parameters.") + key;
        }
    }
}
