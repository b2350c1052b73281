package org.exmerge.cuda;

import java.lang.foreign.MemorySegment;

/**
 * What the launch classes need from a GPU: device and pinned host memory, streams, launches. The
 * real one is {@link JCudaDevice} (driver API through JCuda); the tests plug in an emulated grid
 * that runs the same kernel bodies on the host, so everything above this interface (chunk plans,
 * staging, parameter packing, fallbacks) is exercised without a GPU.
 */
interface Device {

    /** A device allocation; {@link #address()} is what kernels take in their parameter structs. */
    interface Memory extends AutoCloseable {
        long address();

        long bytes();

        @Override
        void close();
    }

    /** Pinned (page-locked) host memory, the staging area of every transfer. */
    interface HostMemory extends AutoCloseable {
        MemorySegment segment();

        @Override
        void close();
    }

    /** An ordered queue of transfers and launches; work on different streams may overlap. */
    interface Stream extends AutoCloseable {
        void upload(HostMemory src, long srcOffset, Memory dst, long dstOffset, long bytes);

        void download(Memory src, long srcOffset, HostMemory dst, long dstOffset, long bytes);

        void zero(Memory dst, long offset, long bytes);

        /** Device-to-device copy (the benchmark's yardstick). */
        void copy(Memory src, Memory dst, long bytes);

        void launch(Kernel kernel, int blocks, int threads, MemorySegment params);

        /** Waits for everything queued so far. */
        void sync();

        @Override
        void close();
    }

    Memory alloc(long bytes);

    HostMemory allocHost(long bytes);

    Stream stream();

    /** Streaming multiprocessors, for launch geometry. */
    int multiprocessors();

    /** Device memory free now, in bytes. */
    long freeBytes();
}
