package org.exmerge.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@code mk_bench_stream_n} from bench/native (libexmerge_bench, in this jar only): N inputs read and
 * one output written with the fused linear kernel's own vector width and stores, and no arithmetic.
 */
final class StreamFloor {
    private static final MethodHandle STREAM_N = bind();

    private StreamFloor() {
    }

    private static MethodHandle bind() {
        try (InputStream in = StreamFloor.class.getResourceAsStream("/native/libexmerge_bench.so")) {
            if (in == null) {
                throw new IllegalStateException("no /native/libexmerge_bench.so in the jar: bench/native was not built (needs cmake and gcc)");
            }
            // A fresh name per JVM (forks run side by side), deleted once mapped.
            Path tmp = Files.createTempFile("libexmerge_bench-", ".so");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            SymbolLookup lib = SymbolLookup.libraryLookup(tmp, Arena.global());
            Files.deleteIfExists(tmp);
            MemorySegment fn = lib.find("mk_bench_stream_n").orElseThrow();
            return Linker.nativeLinker().downcallHandle(fn,
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT),
                    Linker.Option.critical(false));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads n elements of size bytes from each input (an array of n_in addresses) and writes n to out.
     *
     * @return the ISA path that ran (1 AVX2, 2 AVX-512, 0 scalar)
     */
    static int run(MemorySegment inputs, int nInputs, MemorySegment out, long n, int size, int isa) {
        try {
            return (int) STREAM_N.invokeExact(inputs, nInputs, out, n, size, isa);
        } catch (Throwable t) {
            throw new IllegalStateException("mk_bench_stream_n failed: " + t, t);
        }
    }
}
