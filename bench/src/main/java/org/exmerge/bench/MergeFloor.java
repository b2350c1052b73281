package org.exmerge.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The least a JVM process must do to merge these files, for bench/run-vs-torch.sh to time as a whole
 * process beside exmerge and torch: map every input, and on every thread, chunk by chunk as the
 * engine goes, copy each input's 4 MiB chunk out of its mapping, drop those pages, and write one
 * 4 MiB chunk of an output of the given size with a positional write; fsync at the end unless told
 * not to. No arithmetic, no header, no planning. {@link IoFloor} times the reads and the writes
 * apart; this one does them the way a one-pass merge interleaves them, so its wall time (JVM start
 * included) is the floor under any JVM merge of these inputs on this machine. OUT_FILE must not
 * exist; it is left in place (the caller deletes it outside its timing, as it does exmerge's output).
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar
 * org.exmerge.bench.MergeFloor OUT_FILE OUT_BYTES THREADS sync|nosync INPUT...}
 */
public final class MergeFloor {
    private MergeFloor() {}

    public static void main(String[] args) throws Exception {
        IoFloor.Args a = IoFloor.Args.parse(args);
        long outBytes = a.outBytes();
        int threads = a.threads();
        long start = System.nanoTime();
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(threads);
             FileChannel o = FileChannel.open(a.out(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            List<MemorySegment> inputs = new ArrayList<>();
            long chunks = (outBytes + IoFloor.CHUNK - 1) / IoFloor.CHUNK;
            for (Path p : a.inputs()) {
                try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
                    MemorySegment m = c.map(FileChannel.MapMode.READ_ONLY, 0, c.size(), arena);
                    inputs.add(m);
                    chunks = Math.max(chunks, (m.byteSize() + IoFloor.CHUNK - 1) / IoFloor.CHUNK);
                }
            }
            long total = chunks;
            List<Callable<Void>> jobs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                MemorySegment buffer = arena.allocate(IoFloor.CHUNK, 4096);
                jobs.add(() -> {
                    for (long k = id; k < total; k += threads) {
                        long off = k * IoFloor.CHUNK;
                        for (MemorySegment m : inputs) {
                            if (off < m.byteSize()) {
                                MemorySegment chunk = m.asSlice(off, Math.min(IoFloor.CHUNK, m.byteSize() - off));
                                MemorySegment.copy(chunk, 0, buffer, 0, chunk.byteSize());
                                chunk.unload();
                            }
                        }
                        if (off < outBytes) {
                            IoFloor.writeChunk(o, buffer, off, outBytes);
                        }
                    }
                    return null;
                });
            }
            IoFloor.runAll(pool, jobs);
            if (a.sync()) {
                o.force(false);
            }
        }
        System.out.printf("merge floor (%d threads, %s): %.2f s after JVM start%n", threads, a.sync() ? "fsync" : "no fsync",
                (System.nanoTime() - start) / 1e9);
    }
}
