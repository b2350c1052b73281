package org.exmerge.engine;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.error.BudgetException;
import org.exmerge.text.Plain;

/**
 * Fits a run's threads, chunk size and chunk buffers to one memory budget. What a run holds at once:
 *
 * <ul>
 *   <li>chunk buffers: {@link ChunkPipeline#buffers(int)} native buffers of {@code chunkBytes}, one
 *       per worker;
 *   <li>input pages being read: each worker computes one chunk at a time and releases the mapped
 *       pages it read as soon as it is done ({@code MemorySegment.unload}), so at most
 *       {@code threads} chunks' input ranges are resident: {@code chunkBytes × inputPerOutputByte}
 *       each, plus up to {@link #FAULT_SLACK} per input range (the kernel maps up to 16 neighbouring
 *       pages on a fault);
 *   <li>a whole-tensor pass at bind time (slerp and model_stock norms, TIES thresholds) reads a
 *       whole tensor of every distinct input before its chunks start, while earlier chunks are
 *       still in flight; plus each worker's histogram. The pass leaves its pages mapped for the
 *       chunks (each releases its own once computed), so every chunk in flight may still hold its
 *       input: {@code window} chunks' input ranges then, not {@code threads}. Binding a tensor
 *       ahead lets a pass run while the previous tensor's pass still holds its pages; a run does
 *       so only where the budget holds both ({@link Fit#bindAhead}). A model pass (before any
 *       chunk) holds per worker the state and the input pages of one piece, and one running
 *       total, as the pass declares them (see {@link org.exmerge.method.ModelPass});
 *   <li>a LoRA-adapted input is worked out whole when its tensor is bound and held until the
 *       tensor is written ({@link AdaptedCopies}): the largest tensor's copies twice (the oldest
 *       tensor with chunks in flight and the one handing them out; those between are within the
 *       window's input pages), three times when binding ahead, added to the pass.
 * </ul>
 *
 * The JVM itself (code, heap for the plan) comes on top; it does not grow with threads or model size.
 * Threads are capped at the available processors (the work is CPU and memory bound: a thread more
 * than cores only adds buffers). When the sum does not fit, the chunk shrinks first (down to
 * {@link #SHRINK_FLOOR}), then threads, then the chunk again down to {@link #MIN_CHUNK_BYTES};
 * below that the run is refused. None of this changes an output byte: kernels are element-wise in
 * absolute element indices.
 */
public final class MemoryBudget {
    /** The smallest chunk a run is shrunk to (per-chunk costs dominate below it). */
    public static final long MIN_CHUNK_BYTES = 64L << 10;
    /** Chunks shrink to this before threads are given up. */
    static final long SHRINK_FLOOR = 1L << 20;
    /** Resident bytes beyond a chunk's exact input range, per range: fault-around maps 64 KiB either side. */
    static final long FAULT_SLACK = 128L << 10;
    /** One histogram of a threshold pass ({@code long[65536]}), held per worker. */
    static final long HISTOGRAM_BYTES = 512L << 10;
    /** The default budget is this fraction of physical memory (or of the cgroup's limit). */
    static final double DEFAULT_FRACTION = 0.5;

    private MemoryBudget() {}

    /**
     * What a run's memory depends on, from its plan.
     *
     * @param inputPerOutputByte largest, over tensors, of the distinct inputs' element bytes per output element byte
     * @param rangesPerChunk largest number of distinct input ranges one chunk reads
     * @param passBytes largest whole-tensor pass: a tensor's distinct input bytes, for tensors read at bind time
     *                  (and a model pass's running total, for tensors whose plan waits for one); plus twice
     *                  the largest tensor's adapted copies ({@link AdaptedCopies})
     * @param passTensor the tensor behind {@code passBytes} (null when none)
     * @param passHeapPerThread what each worker holds during a pass (histograms; a model pass's piece state and input)
     * @param aheadBytes {@code passBytes} when the binding runs a tensor ahead: a tensor's pass may
     *                   then run while the previous tensor's pass still holds its pages, so the
     *                   largest sum of two neighbours'; plus three times the largest tensor's adapted
     *                   copies (≥ {@code passBytes})
     */
    public record Demand(double inputPerOutputByte, int rangesPerChunk, long passBytes, String passTensor,
                         long passHeapPerThread, long aheadBytes) {
        /** A run that reads no input (synth). */
        public static final Demand NONE = new Demand(0, 0, 0, null, 0, 0);

        /** A demand with one pass only (binding ahead costs nothing). */
        public Demand(double inputPerOutputByte, int rangesPerChunk, long passBytes, String passTensor, long passHeapPerThread) {
            this(inputPerOutputByte, rangesPerChunk, passBytes, passTensor, passHeapPerThread, passBytes);
        }

        /** This demand with the binding a tensor ahead. */
        Demand ahead() {
            return new Demand(inputPerOutputByte, rangesPerChunk, aheadBytes, passTensor, passHeapPerThread, aheadBytes);
        }
    }

    /**
     * The fitted settings.
     *
     * @param notices one line per setting changed from what was asked (empty when none)
     * @param bindAhead whether the run binds a tensor ahead of the chunks ({@link ChunkPipeline}):
     *                  never on one thread (the binder's pass would run on a second core beside
     *                  it), else always when it costs no memory, else when the budget holds two
     *                  neighbouring passes at the asked threads and chunk size (never at the price
     *                  of either)
     */
    public record Fit(int threads, long chunkBytes, int buffers, long needBytes, long budgetBytes, List<String> notices,
                      boolean bindAhead) {
        /** {@code opts} with the fitted threads and chunk size. */
        public RunOptions apply(RunOptions opts) {
            return opts.withThreads(threads).withChunkBytes(chunkBytes);
        }
    }

    /** {@code opts.memoryBytes()}, or the default budget when it is 0. */
    public static long budgetOf(RunOptions opts) {
        return opts.memoryBytes() > 0 ? opts.memoryBytes() : defaultBudget();
    }

    /**
     * Half of the memory this process may use: physical memory, or the cgroup's limit when that is
     * lower. Half, because the JVM's default heap may take another quarter and the rest is for the OS
     * and the page cache the inputs are read through.
     */
    public static long defaultBudget() {
        long total = physicalMemory(Path.of("/proc/meminfo"));
        total = Math.min(total, cgroupLimit(Path.of("/sys/fs/cgroup/memory.max")));
        total = Math.min(total, cgroupLimit(Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes")));
        if (total == Long.MAX_VALUE) {
            total = 8L << 30; // nothing said how much: assume a small machine
        }
        return (long) (total * DEFAULT_FRACTION);
    }

    /**
     * Physical memory: {@code meminfo}'s MemTotal where the file says (Linux), else the JDK's figure,
     * else Long.MAX_VALUE. The JDK's figure needs the platform management beans, which took ~15 ms
     * of every merge's start.
     */
    static long physicalMemory(Path meminfo) {
        try {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemTotal:")) {
                    String[] f = line.substring("MemTotal:".length()).trim().split("\\s+");
                    long kib = Long.parseLong(f[0]);
                    if (kib > 0 && f.length == 2 && f[1].equals("kB")) {
                        return kib << 10;
                    }
                }
            }
        } catch (IOException | NumberFormatException | SecurityException e) {
            // not Linux, or not readable here: ask the JDK
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                && os.getTotalMemorySize() > 0) {
            return os.getTotalMemorySize();
        }
        return Long.MAX_VALUE;
    }

    /** A cgroup limit file's value; Long.MAX_VALUE when absent, "max" or unreadable. */
    static long cgroupLimit(Path file) {
        try {
            String s = Files.readString(file).trim();
            long v = Long.parseLong(s);
            return v > 0 ? v : Long.MAX_VALUE;
        } catch (IOException | NumberFormatException | SecurityException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Bytes a run holds at once with these settings. */
    public static long need(int threads, long chunkBytes, Demand d) {
        return buffers(threads, chunkBytes) + inputs(threads, chunkBytes, d) + pass(threads, d);
    }

    private static long buffers(int threads, long chunkBytes) {
        return ChunkPipeline.buffers(threads) * chunkBytes;
    }

    private static long inputs(int threads, long chunkBytes, Demand d) {
        return inputChunks(threads, d) * ((long) Math.ceil(chunkBytes * d.inputPerOutputByte()) + d.rangesPerChunk() * FAULT_SLACK);
    }

    /** Chunks whose input pages may be resident at once: each worker's, or every chunk in flight after a bind-time pass mapped them. */
    private static int inputChunks(int threads, Demand d) {
        return d.passBytes() > 0 ? ChunkPipeline.window(threads) : threads;
    }

    private static long pass(int threads, Demand d) {
        return d.passBytes() + (long) threads * d.passHeapPerThread();
    }

    /** The largest chunk (4 KiB aligned when ≥ 4 KiB) with which {@code threads} fit; 0 when none does. */
    static long largestChunk(long budget, int threads, Demand d) {
        double room = budget - pass(threads, d) - (double) inputChunks(threads, d) * d.rangesPerChunk() * FAULT_SLACK;
        double perChunkByte = ChunkPipeline.buffers(threads) + inputChunks(threads, d) * d.inputPerOutputByte();
        long c = (long) Math.floor(room / perChunkByte);
        while (c > 0 && need(threads, c, d) > budget) {
            c--; // rounding of the ceil above
        }
        if (c >= 4096) {
            c &= ~4095L;
        }
        return Math.max(0, c);
    }

    /**
     * Fits threads and chunk size to {@code budget}.
     *
     * @param processors the available processors (the cap on threads)
     * @throws BudgetException when one thread with the smallest chunk does not fit
     */
    public static Fit fit(long budget, int requestedThreads, long requestedChunk, int processors, Demand d)
            throws BudgetException {
        if (requestedThreads < 1) {
            throw new IllegalArgumentException("threads must be ≥ 1");
        }
        List<String> notices = new ArrayList<>();
        int threads = Math.min(requestedThreads, Math.max(1, processors));
        String capped = threads < requestedThreads
                ? requestedThreads + " threads requested, " + threads + " used (available processors)" : null;
        // Binding ahead holds a second pass's pages: only where they fit as asked, so the fit below
        // then changes nothing; where they cost nothing, whatever the fit does.
        boolean aheadIsFree = d.aheadBytes() <= d.passBytes();
        boolean aheadFits = threads > 1 && need(threads, requestedChunk, d.ahead()) <= budget;
        Demand fitted = aheadFits ? d.ahead() : d;
        long chunk = requestedChunk;
        if (need(threads, chunk, fitted) > budget) {
            long floor = Math.min(requestedChunk, SHRINK_FLOOR);
            long c = largestChunk(budget, threads, fitted);
            if (c >= floor) {
                chunk = c;
            } else {
                int t = threads;
                while (t > 1 && need(t, floor, fitted) > budget) {
                    t--;
                }
                long min = Math.min(requestedChunk, MIN_CHUNK_BYTES);
                long best = Math.min(requestedChunk, largestChunk(budget, t, fitted));
                if (best < min) {
                    throw refusal(budget, min, fitted);
                }
                if (t < threads) {
                    capped = requestedThreads + " threads requested, " + t + " used (memory budget " + mb(budget) + ")";
                    threads = t;
                }
                chunk = best;
            }
        }
        if (capped != null) {
            notices.add(capped);
        }
        if (chunk != requestedChunk) {
            notices.add(Plain.format("chunks of %s instead of %s to fit the memory budget of %s",
                    mb(chunk), mb(requestedChunk), mb(budget)));
        }
        return new Fit(threads, chunk, ChunkPipeline.buffers(threads), need(threads, chunk, fitted), budget, List.copyOf(notices),
                threads > 1 && (aheadFits || aheadIsFree));
    }

    private static BudgetException refusal(long budget, long chunk, Demand d) {
        long need = need(1, chunk, d);
        StringBuilder why = new StringBuilder(Plain.format("1 thread, %s chunks: chunk buffer %s, inputs being read %s",
                mb(chunk), mb(buffers(1, chunk)), mb(inputs(1, chunk, d))));
        if (d.passBytes() > 0) {
            why.append(", whole-tensor pass over '").append(d.passTensor()).append("' ").append(mb(pass(1, d)));
        }
        return new BudgetException(Plain.format("memory budget %s (--memory) is too small: this merge needs at least %s (%s)",
                mb(budget), mb(need), why), budget, need);
    }

    /** Bytes in SI megabytes, as --memory takes them (64MB = 64,000,000 bytes). */
    static String mb(long bytes) {
        if (bytes < 1_000_000) {
            return Plain.format("%.1f kB", bytes / 1e3);
        }
        return Plain.format("%.1f MB", bytes / 1e6);
    }
}
