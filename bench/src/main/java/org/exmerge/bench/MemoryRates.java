package org.exmerge.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The machine's memory-copy rate for bench/run-e2e.sh: {@code MemorySegment.copy} between two
 * native buffers far larger than the caches, on 1 and on N threads (each its own slice), best of
 * several rounds. Prints bytes moved (read + written) per second, the unit the e2e merge uses.
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar
 * org.exmerge.bench.MemoryRates [MiB per thread, default 512] [threads, default all cores]}
 */
public final class MemoryRates {
    private MemoryRates() {}

    public static void main(String[] args) throws Exception {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 512;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        for (int t : threads == 1 ? new int[] {1} : new int[] {1, threads}) {
            System.out.printf("memcpy %d thread%s: %.2f GB/s (bytes read + written)%n", t, t == 1 ? "" : "s", rate(mib << 20, t));
        }
    }

    static double rate(long bytesPerThread, int threads) throws Exception {
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            MemorySegment src = arena.allocate(bytesPerThread * threads, 4096);
            MemorySegment dst = arena.allocate(bytesPerThread * threads, 4096);
            src.fill((byte) 1);
            dst.fill((byte) 2); // touch every page first: page faults are not copy time
            double best = 0;
            for (int round = 0; round < 5; round++) {
                List<Callable<Void>> jobs = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    long off = i * bytesPerThread;
                    jobs.add(() -> {
                        MemorySegment.copy(src, off, dst, off, bytesPerThread);
                        return null;
                    });
                }
                long t0 = System.nanoTime();
                for (Future<Void> f : pool.invokeAll(jobs)) {
                    f.get();
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, 2.0 * bytesPerThread * threads / secs / 1e9);
            }
            return best;
        }
    }
}
