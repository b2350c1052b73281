package org.exmerge.testing;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.format.ShardWriter;
import org.exmerge.format.TensorSpec;
import org.exmerge.numeric.Bf16;
import org.exmerge.numeric.F16;

/** Small hand-built models for tests: tensors given as float values, written as real safetensors. */
public final class TestModels {
    private TestModels() {}

    /** A tensor to write: values are narrowed to {@code type} with the project's conversions. */
    public record T(String name, DType type, long[] shape, float[] values) {}

    public static void write(Path dir, T... tensors) throws IOException {
        java.nio.file.Files.createDirectories(dir);
        List<T> sorted = new ArrayList<>(List.of(tensors));
        sorted.sort((a, b) -> a.name().compareTo(b.name()));
        List<TensorSpec> specs = new ArrayList<>();
        for (T t : sorted) {
            specs.add(new TensorSpec(t.name(), t.type(), t.shape()));
        }
        try (ShardWriter w = new ShardWriter(dir, specs, Long.MAX_VALUE / 4, Map.of("format", "pt"))) {
            for (T t : sorted) {
                w.write(encode(t.type(), t.values()));
            }
            w.finish();
        }
    }

    public static MemorySegment encode(DType type, float[] v) {
        MemorySegment s = MemorySegment.ofArray(new byte[v.length * type.size()]);
        for (int i = 0; i < v.length; i++) {
            switch (type) {
                case F64 -> s.set(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8L * i, v[i]);
                case F32 -> s.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i, v[i]);
                case BF16 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i, Bf16.fromFloat(v[i]));
                case F16 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i, F16.fromFloat(v[i]));
                case I64 -> s.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8L * i, (long) v[i]);
                case I32 -> s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i, (int) v[i]);
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        return s;
    }

    /** Reads element i of a typed segment widened to float (F32/BF16/F16). */
    public static float get(MemorySegment s, DType type, long i) {
        return switch (type) {
            case F32 -> s.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 * i);
            case BF16 -> Bf16.toFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2 * i));
            case F16 -> F16.toFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2 * i));
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /** Seeded values spread like weights, with a few exact zeros, negatives and large entries. */
    public static float[] random(long seed, int n, float scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(50);
            v[i] = kind == 0 ? 0f : kind == 1 ? (float) (r.nextDouble(-4, 4)) : (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    /** A model with every tail-hitting size: tensors of 0, 1, 15, 16, 17, 33, 1023, 4097 elements and a 2-D one. */
    public static Map<String, long[]> tailShapes() {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("a.empty", new long[] {0});
        m.put("b.one", new long[] {1});
        m.put("c.fifteen", new long[] {15});
        m.put("d.sixteen", new long[] {16});
        m.put("e.seventeen", new long[] {17});
        m.put("f.thirtythree", new long[] {33});
        m.put("g.odd", new long[] {1023});
        m.put("h.tail", new long[] {4097});
        m.put("model.layers.0.mlp.up_proj.weight", new long[] {33, 65});
        m.put("model.layers.1.mlp.up_proj.weight", new long[] {33, 65});
        m.put("model.layers.2.self_attn.q_proj.weight", new long[] {17, 31});
        return m;
    }

    public static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
