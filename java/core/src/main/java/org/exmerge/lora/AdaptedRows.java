package org.exmerge.lora;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.kernel.Operand;
import org.exmerge.numeric.Narrow;
import org.exmerge.numeric.Widen;

/**
 * A model's tensor, row by row, with its LoRA adapter's {@link TensorEdit} applied (numerics §12), or
 * as stored when there is none. A row is the elements after the first dimension (a 1-D tensor's rows
 * are its elements). Rows come out in the model's dtype. Every element is worked out on its own, so
 * reading a tensor in blocks of rows on any number of threads gives the bytes of reading it whole.
 *
 * <p>For a low-rank delta, row i is {@code v = w + s·d} with {@code d[j] = Σ_k L[i][k]·R[k][j]} summed
 * in float64 from +0 in k order: L is B and R is A, or, transposed, L is Aᵀ and R is Bᵀ. R is widened
 * once ({@code rank × columns} doubles); the loop over j inside the loop over k streams it row by row.
 * One instance is used by one thread at a time.
 */
public final class AdaptedRows {
    private final DType type;
    private final MemorySegment values;
    private final DType valueType;
    private final long rows;
    private final int columns;
    private final TensorEdit.Delta delta;
    private final MemorySegment left;
    private final DType leftType;
    private final double[][] right;
    private final double[] w;
    private final double[] d;
    private final double[] l;
    private final double[] one = new double[1];

    private AdaptedRows(Checkpoint model, TensorInfo tensor, TensorEdit edit) {
        this.type = tensor.dtype();
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
        this.w = new double[columns];
        switch (delta) {
            case TensorEdit.LowRank lr -> {
                TensorInfo a = adapter.tensor(lr.a());
                TensorInfo b = adapter.tensor(lr.b());
                MemorySegment as = adapter.data(lr.a());
                MemorySegment bs = adapter.data(lr.b());
                int rank = lr.rank();
                right = new double[rank][columns];
                if (lr.transposed()) {
                    double[] all = new double[Math.multiplyExact(columns, rank)];
                    Widen.toDoubles(bs, b.dtype(), 0, all.length, all); // B: [columns × rank]
                    for (int k = 0; k < rank; k++) {
                        for (int j = 0; j < columns; j++) {
                            right[k][j] = all[j * rank + k];
                        }
                    }
                    left = as; // A: [rank × rows]
                    leftType = a.dtype();
                } else {
                    for (int k = 0; k < rank; k++) {
                        Widen.toDoubles(as, a.dtype(), (long) k * columns, columns, right[k]); // A: [rank × columns]
                    }
                    left = bs; // B: [rows × rank]
                    leftType = b.dtype();
                }
                d = new double[columns];
                l = new double[rank];
            }
            case TensorEdit.Bias bias -> {
                left = adapter.data(bias.b());
                leftType = adapter.tensor(bias.b()).dtype();
                right = null;
                d = null;
                l = null;
            }
            case null -> {
                left = null;
                leftType = null;
                right = null;
                d = null;
                l = null;
            }
        }
    }

    /** The rows of {@code model}'s tensor {@code name} with {@code edit} applied (null: as stored). */
    public static AdaptedRows of(Checkpoint model, String name, TensorEdit edit) {
        return new AdaptedRows(model, model.tensor(name), edit);
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
        for (int i = 0; i < count; i++) {
            long row = first + i;
            Widen.toDoubles(values, valueType, row * columns, columns, w);
            switch (delta) {
                case TensorEdit.LowRank lr -> {
                    leftRow(row, lr);
                    double[] sum = d;
                    int n = columns;
                    Arrays.fill(sum, 0.0);
                    int k = 0;
                    for (; k + 3 < l.length; k += 4) { // four k at a time: the same adds in the same order, a quarter of the passes over sum
                        double l0 = l[k];
                        double l1 = l[k + 1];
                        double l2 = l[k + 2];
                        double l3 = l[k + 3];
                        double[] r0 = right[k];
                        double[] r1 = right[k + 1];
                        double[] r2 = right[k + 2];
                        double[] r3 = right[k + 3];
                        for (int j = 0; j < n; j++) {
                            double x = sum[j];
                            x += l0 * r0[j];
                            x += l1 * r1[j];
                            x += l2 * r2[j];
                            x += l3 * r3[j];
                            sum[j] = x;
                        }
                    }
                    for (; k < l.length; k++) {
                        double lk = l[k];
                        double[] rk = right[k];
                        for (int j = 0; j < n; j++) {
                            sum[j] += lk * rk[j];
                        }
                    }
                    double s = lr.scaling();
                    double[] v = w;
                    for (int j = 0; j < n; j++) {
                        v[j] += s * sum[j];
                    }
                }
                case TensorEdit.Bias bias -> {
                    for (int j = 0; j < columns; j++) {
                        Widen.toDoubles(left, leftType, row * columns + j, 1, one);
                        w[j] += bias.scaling() * one[0];
                    }
                }
                case null -> { }
            }
            Narrow.store(w, columns, type, dst, at + i * rowBytes);
        }
    }

    /** L[row][0 .. rank-1]: B's row, or A's column when transposed. */
    private void leftRow(long row, TensorEdit.LowRank lr) {
        if (!lr.transposed()) {
            Widen.toDoubles(left, leftType, row * l.length, l.length, l);
            return;
        }
        for (int k = 0; k < l.length; k++) {
            Widen.toDoubles(left, leftType, k * rows + row, 1, one);
            l[k] = one[0];
        }
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
}
