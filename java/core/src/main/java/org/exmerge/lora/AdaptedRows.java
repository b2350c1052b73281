package org.exmerge.lora;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.LoraKernels;
import org.exmerge.kernel.Operand;
import org.exmerge.numeric.Narrow;
import org.exmerge.numeric.Widen;

/**
 * A model's tensor, row by row, with its LoRA adapter's {@link TensorEdit} applied (numerics §12), or
 * as stored when there is none. A row is the elements after the first dimension (a 1-D tensor's rows
 * are its elements). Rows come out in the model's dtype. Every element is worked out on its own, so
 * reading a tensor in blocks of rows on any number of threads gives the bytes of reading it whole.
 *
 * <p>For a low-rank delta, row i is {@code v = w + s·d} with {@code d[j] = Σ_k L[i][k]·R[k][j]}: L is B
 * and R is A, or, transposed, L is Aᵀ and R is Bᵀ. R is widened once, into native memory, and a read
 * widens its rows of L and hands the arithmetic to the run's {@link Kernels#loraRows}. One instance
 * is used by the thread that made it, and closed by it (which frees R).
 */
public final class AdaptedRows implements AutoCloseable {
    private final DType type;
    private final MemorySegment values;
    private final DType valueType;
    private final long rows;
    private final int columns;
    private final TensorEdit.Delta delta;
    private final MemorySegment left;
    private final DType leftType;
    private final Kernels kernels;
    private final Arena arena;
    private final MemorySegment right;
    private final double[] w;
    private final double[] one = new double[1];
    private MemorySegment leftRows = MemorySegment.NULL;
    private double[] leftScratch = new double[0];

    private AdaptedRows(Checkpoint model, TensorInfo tensor, TensorEdit edit, Kernels kernels) {
        this.type = tensor.dtype();
        this.kernels = kernels;
        this.rows = tensor.rank() == 0 ? 1 : tensor.dim(0);
        long cols = 1;
        for (int i = 1; i < tensor.rank(); i++) {
            cols *= tensor.dim(i);
        }
        this.columns = Math.toIntExact(cols);
        Checkpoint adapter = edit == null ? null : edit.adapter().checkpoint();
        if (edit != null && edit.replacement() != null) {
            this.values = adapter.data(edit.replacement());
            this.valueType = adapter.tensor(edit.replacement()).dtype();
        } else {
            this.values = model.data(tensor.name());
            this.valueType = type;
        }
        this.delta = edit == null ? null : edit.delta();
        switch (delta) {
            case TensorEdit.LowRank lr -> {
                TensorInfo a = adapter.tensor(lr.a());
                TensorInfo b = adapter.tensor(lr.b());
                MemorySegment as = adapter.data(lr.a());
                MemorySegment bs = adapter.data(lr.b());
                int rank = lr.rank();
                double[] r = new double[Math.multiplyExact(columns, rank)];
                if (lr.transposed()) {
                    double[] all = new double[r.length];
                    Widen.toDoubles(bs, b.dtype(), 0, all.length, all); // B: [columns × rank]
                    for (int k = 0; k < rank; k++) {
                        for (int j = 0; j < columns; j++) {
                            r[k * columns + j] = all[j * rank + k];
                        }
                    }
                    left = as; // A: [rank × rows]
                    leftType = a.dtype();
                } else {
                    Widen.toDoubles(as, a.dtype(), 0, r.length, r); // A: [rank × columns]
                    left = bs; // B: [rows × rank]
                    leftType = b.dtype();
                }
                arena = Arena.ofConfined();
                try {
                    right = arena.allocate((long) r.length * 8, 64);
                } catch (RuntimeException | Error e) {
                    arena.close();
                    throw e;
                }
                MemorySegment.copy(r, 0, right, LoraKernels.FACTOR, 0, r.length);
                w = null;
            }
            case TensorEdit.Bias bias -> {
                left = adapter.data(bias.b());
                leftType = adapter.tensor(bias.b()).dtype();
                arena = null;
                right = null;
                w = new double[columns];
            }
            case null -> {
                left = null;
                leftType = null;
                arena = null;
                right = null;
                w = new double[columns];
            }
        }
    }

    /**
     * The rows of {@code model}'s tensor {@code name} with {@code edit} applied (null: as stored), a
     * low-rank delta worked out by {@code kernels}.
     */
    public static AdaptedRows of(Checkpoint model, String name, TensorEdit edit, Kernels kernels) {
        return new AdaptedRows(model, model.tensor(name), edit, kernels);
    }

    public long rows() {
        return rows;
    }

    public long rowBytes() {
        return (long) columns * type.size();
    }

    /** Writes rows {@code first .. first+count-1} to {@code dst} from byte {@code at}, in the model's dtype. */
    public void read(long first, int count, MemorySegment dst, long at) {
        long rowBytes = rowBytes();
        if (delta == null && valueType == type) {
            MemorySegment.copy(values, first * rowBytes, dst, at, count * rowBytes);
            return;
        }
        if (delta instanceof TensorEdit.LowRank lr) {
            long valueRow = (long) columns * valueType.size();
            kernels.loraRows(new Operand(values.asSlice(first * valueRow, count * valueRow), valueType),
                    leftRows(first, count, lr), right, lr.rank(), columns, count, lr.scaling(),
                    new Operand(dst.asSlice(at, count * rowBytes), type));
            return;
        }
        for (int i = 0; i < count; i++) {
            long row = first + i;
            Widen.toDoubles(values, valueType, row * columns, columns, w);
            if (delta instanceof TensorEdit.Bias bias) {
                for (int j = 0; j < columns; j++) {
                    Widen.toDoubles(left, leftType, row * columns + j, 1, one);
                    w[j] += bias.scaling() * one[0];
                }
            }
            Narrow.store(w, columns, type, dst, at + i * rowBytes);
        }
    }

    /** L[first .. first+count-1][0 .. rank-1] widened, in native memory: B's rows, or A's columns when transposed. */
    private MemorySegment leftRows(long first, int count, TensorEdit.LowRank lr) {
        int rank = lr.rank();
        int n = Math.multiplyExact(count, rank);
        if (leftScratch.length < n) {
            leftScratch = new double[n];
            leftRows = arena.allocate((long) n * 8, 64); // the old block stays with the arena until close
        }
        double[] l = leftScratch;
        if (!lr.transposed()) {
            Widen.toDoubles(left, leftType, first * rank, n, l);
        } else {
            double[] run = new double[count];
            for (int k = 0; k < rank; k++) {
                Widen.toDoubles(left, leftType, k * rows + first, count, run);
                for (int i = 0; i < count; i++) {
                    l[i * rank + k] = run[i];
                }
            }
        }
        MemorySegment.copy(l, 0, leftRows, LoraKernels.FACTOR, 0, n);
        return leftRows;
    }

    /** Drops the resident pages of the rows read from the model's (or the replacement's) mapped file. */
    public void release(long first, long count) {
        long valueRow = (long) columns * valueType.size();
        Operand.release(values, valueRow, first, count);
    }

    /** {@link #release} for every row. */
    public void releaseAll() {
        release(0, rows);
    }

    /** Frees the widened factors. */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
