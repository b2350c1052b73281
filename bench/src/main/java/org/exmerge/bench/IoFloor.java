package org.exmerge.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The I/O a merge cannot avoid, with no arithmetic, for bench/run-e2e.sh: read every input once the
 * way the engine does (mapped, copied out a chunk at a time) and write an output of the given size
 * the way the engine does (4 MiB positional writes from every thread into one new file, then
 * fsync unless told not to). Prints each time and the rate of all bytes moved (read + written),
 * the unit the e2e merge reports, so the merge's rate can be read against the machine's own floor.
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar
 * org.exmerge.bench.IoFloor OUT_FILE OUT_BYTES THREADS sync|nosync INPUT...}
 */
public final class IoFloor {
    static final long CHUNK = 4L << 20;

    private IoFloor() {}

    /** The command line both floors take: {@code OUT_FILE OUT_BYTES THREADS sync|nosync INPUT...}. */
    record Args(Path out, long outBytes, int threads, boolean sync, List<Path> inputs) {
        static Args parse(String[] a) {
            List<Path> inputs = new ArrayList<>();
            for (int i = 4; i < a.length; i++) {
                inputs.add(Path.of(a[i]));
            }
            return new Args(Path.of(a[0]), Long.parseLong(a[1]), Integer.parseInt(a[2]), a[3].equals("sync"), List.copyOf(inputs));
        }
    }

    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args);
        Path out = a.out();
        long outBytes = a.outBytes();
        int threads = a.threads();
        boolean sync = a.sync();
        List<Path> inputs = a.inputs();
        long inBytes = 0;
        for (Path p : inputs) {
            inBytes += Files.size(p);
        }
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            MemorySegment[] buffers = new MemorySegment[threads];
            for (int t = 0; t < threads; t++) {
                buffers[t] = arena.allocate(CHUNK, 4096);
                buffers[t].fill((byte) (t + 1));
            }
            long t0 = System.nanoTime();
            read(inputs, buffers, pool);
            long t1 = System.nanoTime();
            write(out, outBytes, buffers, pool, sync);
            long t2 = System.nanoTime();
            Files.delete(out);
            double r = (t1 - t0) / 1e9;
            double w = (t2 - t1) / 1e9;
            System.out.printf("I/O floor (%d threads): read inputs %.2f s (%.2f GB/s), write output%s %.2f s (%.2f GB/s):"
                            + " %.2f GB/s read+written%n", threads, r, inBytes / r / 1e9, sync ? " + fsync" : "", w,
                    outBytes / w / 1e9, (inBytes + outBytes) / (r + w) / 1e9);
        }
    }

    /** Each thread copies every threads-th chunk of each input out of its mapping. */
    private static void read(List<Path> inputs, MemorySegment[] buffers, ExecutorService pool) throws Exception {
        try (Arena maps = Arena.ofShared()) {
            List<MemorySegment> mapped = new ArrayList<>();
            for (Path p : inputs) {
                try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
                    mapped.add(c.map(FileChannel.MapMode.READ_ONLY, 0, c.size(), maps));
                }
            }
            List<Callable<Void>> jobs = new ArrayList<>();
            for (int t = 0; t < buffers.length; t++) {
                int id = t;
                jobs.add(() -> {
                    for (MemorySegment m : mapped) {
                        for (long off = id * CHUNK; off < m.byteSize(); off += buffers.length * CHUNK) {
                            MemorySegment.copy(m, off, buffers[id], 0, Math.min(CHUNK, m.byteSize() - off));
                        }
                    }
                    return null;
                });
            }
            runAll(pool, jobs);
        }
    }

    private static void write(Path out, long bytes, MemorySegment[] buffers, ExecutorService pool, boolean sync)
            throws Exception {
        try (FileChannel c = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            List<Callable<Void>> jobs = new ArrayList<>();
            for (int t = 0; t < buffers.length; t++) {
                int id = t;
                jobs.add(() -> {
                    for (long off = id * CHUNK; off < bytes; off += buffers.length * CHUNK) {
                        writeChunk(c, buffers[id], off, bytes);
                    }
                    return null;
                });
            }
            runAll(pool, jobs);
            if (sync) {
                c.force(false);
            }
        }
    }

    /** Writes the first {@code min(CHUNK, bytes - off)} bytes of {@code buffer} at {@code off}, as the engine writes a chunk. */
    static void writeChunk(FileChannel c, MemorySegment buffer, long off, long bytes) throws java.io.IOException {
        ByteBuffer b = buffer.asSlice(0, Math.min(CHUNK, bytes - off)).asByteBuffer();
        for (long pos = off; b.hasRemaining(); ) {
            pos += c.write(b, pos);
        }
    }

    /** Runs the jobs on the pool and waits for all, rethrowing the first failure. */
    static void runAll(ExecutorService pool, List<Callable<Void>> jobs) throws Exception {
        for (Future<Void> f : pool.invokeAll(jobs)) {
            f.get();
        }
    }
}
