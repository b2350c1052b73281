package org.exmerge.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One way of getting a file's bytes into chunk buffers, timed, for bench/run-input-path.sh (which
 * interleaves the ways, evicts the page cache between cold runs and adds a {@code cat} reference).
 * Every way reads the whole file in chunks of the engine's default 4 MiB, thread t taking chunks t,
 * t + T, t + 2T … as the chunk pipeline hands them out, and copies each chunk into that thread's
 * native buffer, so every byte really crosses into memory the engine could compute on:
 * <ul>
 *   <li>{@code map}: today's input: one {@code FileChannel.map} of the file, each chunk copied out
 *       and its pages then dropped with {@code MemorySegment.unload}, as the engine does after a chunk;</li>
 *   <li>{@code pread}: {@code FileChannel.read(ByteBuffer, position)} straight into the buffer;</li>
 *   <li>{@code populate}: one libc {@code mmap(MAP_POPULATE)} of the whole file (the kernel reads it
 *       all before mmap returns), then the same copies;</li>
 *   <li>{@code populate-chunk}: per chunk, {@code mmap(MAP_POPULATE)} of just that chunk, copy,
 *       {@code munmap}: a populated mapping that never holds more than a chunk per thread.</li>
 * </ul>
 * Prints the way, threads, bytes, seconds, GB/s and a checksum (one long per 4 KiB page, summed),
 * which must agree across ways: they read the same bytes.
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar
 * org.exmerge.bench.InputPaths map|pread|populate|populate-chunk THREADS FILE}
 */
public final class InputPaths {
    private static final long CHUNK = 4L << 20;
    private static final long PAGE = 4096;
    private static final int PROT_READ = 1;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_POPULATE = 0x8000;
    private static final int O_RDONLY = 0;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle MMAP = libc("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle MUNMAP = libc("munmap",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle OPEN = libc("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = libc("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private InputPaths() {}

    private static MethodHandle libc(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d,
                Linker.Option.captureCallState("errno"));
    }

    /** One chunk's read into a buffer: returns the chunk's checksum. */
    private interface Reader {
        long read(long offset, long length, MemorySegment buffer) throws Throwable;
    }

    public static void main(String[] args) throws Throwable {
        if (args.length != 3) {
            System.err.println("usage: InputPaths map|pread|populate|populate-chunk THREADS FILE");
            System.exit(2);
        }
        String way = args[0];
        int threads = Integer.parseInt(args[1]);
        Path file = Path.of(args[2]);
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment[] buffers = new MemorySegment[threads];
            for (int t = 0; t < threads; t++) {
                buffers[t] = arena.allocate(CHUNK, PAGE);
                buffers[t].fill((byte) 1); // fault the buffers in before the clock starts
            }
            long t0 = System.nanoTime();
            long sum = switch (way) {
                case "map" -> {
                    MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                    yield run(size, buffers, (off, len, buf) -> {
                        MemorySegment s = m.asSlice(off, len);
                        MemorySegment.copy(s, 0, buf, 0, len);
                        s.unload();
                        return checksum(buf, len);
                    });
                }
                case "pread" -> run(size, buffers, (off, len, buf) -> {
                    ByteBuffer bb = buf.asSlice(0, len).asByteBuffer();
                    while (bb.hasRemaining()) {
                        if (ch.read(bb, off + bb.position()) < 0) {
                            throw new IllegalStateException(file + ": ends early at " + (off + bb.position()));
                        }
                    }
                    return checksum(buf, len);
                });
                case "populate" -> withFd(file, arena, fd -> {
                    MemorySegment m = mmap(fd, 0, size);
                    try {
                        return run(size, buffers, (off, len, buf) -> {
                            MemorySegment.copy(m, off, buf, 0, len);
                            return checksum(buf, len);
                        });
                    } finally {
                        munmap(m);
                    }
                });
                case "populate-chunk" -> withFd(file, arena, fd -> run(size, buffers, (off, len, buf) -> {
                    MemorySegment m = mmap(fd, off, len);
                    try {
                        MemorySegment.copy(m, 0, buf, 0, len);
                    } finally {
                        munmap(m);
                    }
                    return checksum(buf, len);
                }));
                default -> throw new IllegalArgumentException("unknown way " + way
                        + "; expected map, pread, populate or populate-chunk");
            };
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%s %d threads: %d bytes in %.3f s = %.2f GB/s (checksum %016x)%n", way, threads, size, s,
                    size / s / 1e9, sum);
        }
    }

    private interface FdBody {
        long apply(int fd) throws Throwable;
    }

    private static long withFd(Path file, Arena arena, FdBody body) throws Throwable {
        MemorySegment state = arena.allocate(CALL_STATE);
        int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(file.toString()), O_RDONLY);
        if (fd < 0) {
            throw new IllegalStateException(file + ": open failed, errno " + (int) ERRNO.get(state, 0L));
        }
        try {
            return body.apply(fd);
        } finally {
            int ignored = (int) CLOSE.invokeExact(state, fd);
        }
    }

    private static MemorySegment mmap(int fd, long offset, long length) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CALL_STATE);
            MemorySegment p = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length, PROT_READ,
                    MAP_PRIVATE | MAP_POPULATE, fd, offset);
            if (p.address() == -1L) {
                throw new IllegalStateException("mmap failed, errno " + (int) ERRNO.get(state, 0L));
            }
            return p.reinterpret(length);
        }
    }

    private static void munmap(MemorySegment m) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CALL_STATE);
            if ((int) MUNMAP.invokeExact(state, m, m.byteSize()) != 0) {
                throw new IllegalStateException("munmap failed, errno " + (int) ERRNO.get(state, 0L));
            }
        }
    }

    private static long checksum(MemorySegment buf, long len) {
        long sum = 0;
        for (long p = 0; p + 8 <= len; p += PAGE) {
            sum += buf.get(ValueLayout.JAVA_LONG_UNALIGNED, p);
        }
        return sum;
    }

    private static long run(long size, MemorySegment[] buffers, Reader reader) throws Exception {
        int threads = buffers.length;
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Callable<Long>> jobs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                jobs.add(() -> {
                    long sum = 0;
                    for (long off = id * CHUNK; off < size; off += threads * CHUNK) {
                        try {
                            sum += reader.read(off, Math.min(CHUNK, size - off), buffers[id]);
                        } catch (Exception | Error e) {
                            throw e;
                        } catch (Throwable e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    return sum;
                });
            }
            long sum = 0;
            for (Future<Long> f : pool.invokeAll(jobs)) {
                sum += f.get();
            }
            return sum;
        }
    }
}
