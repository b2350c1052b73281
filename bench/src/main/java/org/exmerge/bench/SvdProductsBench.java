package org.exmerge.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Kernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * numerics §13's truncated-SVD products ({@code Kernels.svdTimes}, {@code svdTransposeTimes}) on one
 * {@code m × n} Δ with a block of {@code k} columns (rank 16 or 128 and their oversampling), one thread,
 * the whole product in one call: Java spec vs C, in multiply-adds per second ({@code m · n · k} per product).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class SvdProductsBench {
    @Param({"5632"})
    int m;

    @Param({"2048"})
    int n;

    @Param({"24", "192"})
    int k;

    @Param({"java", "native"})
    String backend;

    private float[] d;
    private double[] x;
    private double[] q;
    private double[] y;
    private double[] z;
    private Kernels kernels;


    @Setup
    public void setup() {
        SplittableRandom r = new SplittableRandom(1);
        d = new float[m * n];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (r.nextGaussian() * 1e-3);
        }
        x = new double[n * k];
        q = new double[m * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        for (int i = 0; i < q.length; i++) {
            q[i] = r.nextGaussian();
        }
        y = new double[m * k];
        z = new double[n * k];
        kernels = Backends.select(backend);
    }

    @Benchmark
    public double[] times(MultiplyAdds c) {
        kernels.svdTimes(d, m, n, x, k, 0, m, y);
        c.multiplyAdds += (long) m * n * k;
        return y;
    }

    @Benchmark
    public double[] transposeTimes(MultiplyAdds c) {
        kernels.svdTransposeTimes(d, m, n, q, k, 0, n, z);
        c.multiplyAdds += (long) m * n * k;
        return z;
    }
}
