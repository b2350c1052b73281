package org.exmerge.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * A {@link Device} whose kernels run on the emulated grid of libexmerge_cuda_emu (cuda/emu: the
 * kernel bodies of cuda/src compiled by the host compiler, every block, phase and thread in turn).
 * Device and pinned memory are plain native memory, a stream does its work at once, and a launch
 * calls mkcu_emu_launch, which checks the parameter struct's size against the kernel's.
 */
final class EmulatedDevice implements Device {
    /** Two "multiprocessors": grids of 16 blocks, so kernels loop over their grid-stride range. */
    static final int SMS = 2;
    private static final Linker LINKER = Linker.nativeLinker();
    private static volatile EmulatedDevice instance;
    private static volatile String unavailable;

    private final MethodHandle launch;
    private final MethodHandle paramsSize;

    private EmulatedDevice(SymbolLookup lib) {
        launch = LINKER.downcallHandle(lib.find("mkcu_emu_launch").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        paramsSize = LINKER.downcallHandle(lib.find("mkcu_emu_params_size").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    }

    /** The emulator, or null with {@link #unavailable()} saying why (the build could not make it). */
    static synchronized EmulatedDevice get() {
        if (instance == null && unavailable == null) {
            Properties marker = marker();
            String path = marker == null ? null : marker.getProperty("emulator.path");
            if (path == null || !Files.isRegularFile(Path.of(path))) {
                unavailable = "libexmerge_cuda_emu not built (" + (marker == null ? "no cuda-build.properties" : marker) + ")";
            } else {
                instance = new EmulatedDevice(SymbolLookup.libraryLookup(Path.of(path), Arena.global()));
            }
        }
        return instance;
    }

    static String unavailable() {
        return unavailable;
    }

    /** target/cuda-build.properties as java/cuda's build wrote it; null when the step did not run. */
    static Properties marker() {
        Path p = Path.of(System.getProperty("exmerge.cuda.marker", "target/cuda-build.properties"));
        if (!Files.isRegularFile(p)) {
            return null;
        }
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(p)) {
            props.load(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return props;
    }

    /** The parameter struct size the library's kernel of this name takes (0: no such kernel). */
    long paramsSize(String kernel) {
        try (Arena arena = Arena.ofConfined()) {
            return (long) paramsSize.invokeExact(arena.allocateFrom(kernel));
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public Memory alloc(long bytes) {
        Arena arena = Arena.ofShared();
        MemorySegment s = arena.allocate(Math.max(1, bytes), 256);
        s.fill((byte) 0xA5); // device memory starts undefined
        return new Memory() {
            @Override
            public long address() {
                return s.address();
            }

            @Override
            public long bytes() {
                return bytes;
            }

            @Override
            public void close() {
                arena.close();
            }
        };
    }

    @Override
    public HostMemory allocHost(long bytes) {
        Arena arena = Arena.ofShared();
        MemorySegment s = arena.allocate(Math.max(1, bytes), 256);
        return new HostMemory() {
            @Override
            public MemorySegment segment() {
                return s;
            }

            @Override
            public void close() {
                arena.close();
            }
        };
    }

    @Override
    public Stream stream() {
        return new Stream() {
            @Override
            public void upload(HostMemory src, long srcOffset, Memory dst, long dstOffset, long bytes) {
                MemorySegment.copy(src.segment(), srcOffset, device(dst), dstOffset, bytes);
            }

            @Override
            public void download(Memory src, long srcOffset, HostMemory dst, long dstOffset, long bytes) {
                MemorySegment.copy(device(src), srcOffset, dst.segment(), dstOffset, bytes);
            }

            @Override
            public void zero(Memory dst, long offset, long bytes) {
                device(dst).asSlice(offset, bytes).fill((byte) 0);
            }

            @Override
            public void copy(Memory src, Memory dst, long bytes) {
                MemorySegment.copy(device(src), 0, device(dst), 0, bytes);
            }

            @Override
            public void launch(Kernel kernel, int blocks, int threads, MemorySegment params) {
                int status;
                try (Arena arena = Arena.ofConfined()) {
                    status = (int) EmulatedDevice.this.launch.invokeExact(arena.allocateFrom(kernel.symbol), blocks, threads,
                            params, params.byteSize());
                } catch (Throwable t) {
                    throw new IllegalStateException(t);
                }
                if (status != 0) {
                    throw new CudaException("emulated launch of " + kernel.symbol + " (" + blocks + " x " + threads
                            + ", " + params.byteSize() + " parameter bytes) failed: status " + status, status, null);
                }
            }

            @Override
            public void sync() {
            }

            @Override
            public void close() {
            }
        };
    }

    private static MemorySegment device(Memory m) {
        return MemorySegment.ofAddress(m.address()).reinterpret(m.bytes());
    }

    @Override
    public int multiprocessors() {
        return SMS;
    }

    @Override
    public long freeBytes() {
        return 1L << 30;
    }
}
