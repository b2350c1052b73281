package org.exmerge.engine;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.kernel.Kernels;
import org.exmerge.lora.AdaptedRows;
import org.exmerge.numeric.Bf16;
import org.exmerge.numeric.F16;
import org.exmerge.numeric.F8E4M3;
import org.exmerge.numeric.F8E5M2;
import org.exmerge.numeric.Widen;
import org.exmerge.tokenizer.VocabPlan;

/**
 * One model's token-indexed tensor in output-vocabulary row order (numerics §11): its own rows
 * copied bit for bit, a default row the float64 mean of its source rows rounded to float32 then
 * stored as a float32 result is (F64 tensors keep the float64 mean), a padding row without a row of
 * its own the mean of the model's token rows. A model's own rows are read through its LoRA adapter,
 * if it has one ({@link AdaptedRows}). {@link DerivedInputs} decides where the rows go.
 */
final class VocabRows {
    private VocabRows() {}

    /** Where reordered rows go: a file at a byte position, or a segment in memory. */
    @FunctionalInterface
    interface Sink {
        void put(MemorySegment rows, long at) throws IOException;
    }

    /** The bytes one write carries: the reordered rows go out through this buffer, so memory stays bounded. */
    private static final long BUFFER_BYTES = 4L << 20;

    /**
     * Puts the model's tensor in output-vocabulary row order at {@code at} of {@code sink}, through a
     * buffer; or, given {@code direct} (what {@code sink} writes to, at 0), straight into it.
     */
    static void reorder(TensorSource s, String model, MemorySegment direct, Sink sink, long at, Arena arena,
                                CancelToken cancel, Kernels kernels) throws IOException {
        // The model's rows as the merge sees them: with its LoRA adapter's edit applied, if any.
        try (AdaptedRows in = AdaptedRows.of(s.checkpoint(), s.info().name(), s.edit(), kernels)) {
            reorder(s, model, direct, sink, at, arena, cancel, kernels, in);
        }
    }

    private static void reorder(TensorSource s, String model, MemorySegment direct, Sink sink, long at, Arena arena,
                                CancelToken cancel, Kernels kernels, AdaptedRows in) throws IOException {
        VocabPlan vp = s.vocab().plan();
        TensorInfo info = s.info();
        DType t = info.dtype();
        long rowElems = rowElements(info);
        long rowBytes = rowElems * t.size();
        int[] from = vp.rowsOf(model);
        boolean padMean = false;
        for (int f : from) {
            padMean |= f == VocabPlan.PAD_MEAN;
        }
        double[] tokenSum = padMean ? new double[Math.toIntExact(rowElems)] : null;
        double[] row = padMean ? new double[tokenSum.length] : null;
        int tokenCount = 0;
        int perBuffer = (int) Math.max(1, Math.min(from.length, BUFFER_BYTES / Math.max(1, rowBytes)));
        MemorySegment buf = direct != null ? direct : arena.allocate(perBuffer * rowBytes, 8);
        int filled = 0;
        long bufStart = at;
        for (int r = 0; r < from.length; ) {
            int f = from[r];
            long slot = (direct != null ? r : filled) * rowBytes;
            int n = 1;
            if (f >= 0) {
                // A run of the model's rows in order (most of a vocabulary) is one read: one kernel call
                // for an adapted embedding instead of one per row.
                int room = perBuffer - filled;
                while (n < room && from[r + n] == f + n) {
                    n++;
                }
                in.read(f, n, buf, slot);
            } else if (f != VocabPlan.PAD_MEAN) {
                double[] sum = new double[Math.toIntExact(rowElems)];
                List<VocabPlan.ModelRow> rows = vp.defaultRows(-2 - f);
                for (VocabPlan.ModelRow mr : rows) {
                    add(rowOf(s, mr, rowElems, kernels), sum);
                }
                store(sum, rows.isEmpty() ? 1 : rows.size(), buf, slot / t.size(), t);
            }
            for (int i = 0; i < n; i++) {
                if (padMean && vp.tokenAt(r + i) != null) {
                    Widen.toDoubles(buf, t, slot / t.size() + i * rowElems, row.length, row);
                    add(row, tokenSum);
                    tokenCount++;
                }
            }
            filled += n;
            r += n;
            if (filled == perBuffer || r == from.length) {
                cancel.check();
                if (direct == null) {
                    sink.put(buf.asSlice(0, filled * rowBytes), bufStart);
                }
                bufStart += filled * rowBytes;
                filled = 0;
                // The rows come in any order, so the input pages read so far are dropped together:
                // resident input stays about one buffer's worth, whatever the vocabulary's size.
                in.releaseAll();
            }
        }
        if (padMean) {
            MemorySegment mean = arena.allocate(rowBytes, 8);
            store(tokenSum, Math.max(tokenCount, 1), mean, 0, t);
            for (int r = 0; r < from.length; r++) {
                if (from[r] == VocabPlan.PAD_MEAN) {
                    sink.put(mean, at + r * rowBytes);
                }
            }
        }
    }

    static long rowElements(TensorInfo info) {
        long n = 1;
        for (int i = 1; i < info.rank(); i++) {
            n *= info.dim(i);
        }
        return n;
    }

    /** Row {@code mr.row()} of the same tensor in model {@code mr.model()} (its adapter applied, if any), widened. */
    private static double[] rowOf(TensorSource s, VocabPlan.ModelRow mr, long rowElems, Kernels kernels) {
        Checkpoint c = s.vocab().checkpoints().get(mr.model());
        String name = s.info().name();
        TensorInfo ti = c.tensor(name);
        if (ti == null || ti.rank() != s.info().rank() || rowElements(ti) != rowElems || mr.row() >= ti.dim(0)) {
            throw new IllegalArgumentException(c.path() + ": model '" + mr.model() + "' has no row " + mr.row() + " of "
                    + rowElems + " elements in tensor '" + name + "' to fill a token row of model '" + s.model() + "'");
        }
        double[] row = new double[Math.toIntExact(rowElems)];
        MemorySegment bytes = MemorySegment.ofArray(new long[Math.toIntExact((rowElems * ti.dtype().size() + 7) / 8)]);
        try (AdaptedRows rows = s.vocab().rows(mr.model(), name, kernels)) {
            rows.read(mr.row(), 1, bytes, 0);
        }
        Widen.toDoubles(bytes, ti.dtype(), 0, row.length, row);
        return row;
    }

    private static void add(double[] row, double[] sum) {
        for (int j = 0; j < sum.length; j++) {
            sum[j] += row[j];
        }
    }

    private static void store(double[] sum, int n, MemorySegment out, long start, DType t) {
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < sum.length; j++) {
            double mean = sum[j] / n;
            float f = (float) mean;
            long at = start + j;
            switch (t) {
                case F64 -> out.set(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at * 8, mean);
                case F32 -> out.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at * 4, f);
                case BF16 -> out.set(i16, at * 2, Bf16.fromFloat(f));
                case F16 -> out.set(i16, at * 2, F16.fromFloat(f));
                case F8_E4M3 -> out.set(ValueLayout.JAVA_BYTE, at, F8E4M3.fromFloat(f));
                case F8_E5M2 -> out.set(ValueLayout.JAVA_BYTE, at, F8E5M2.fromFloat(f));
                default -> throw new IllegalArgumentException("not a float type: " + t);
            }
        }
    }
}
