package org.exmerge.cuda;

import java.lang.foreign.MemorySegment;

/**
 * One engine thread's borrowed share of the device: two halves, each a stream with a device buffer
 * and a pinned host buffer of the same size and layout. A call alternates its sub-chunks between
 * the halves, so while one half's copies and kernel run on the GPU the thread stages the next
 * sub-chunk into the other half's pinned buffer; outputs are retired (pinned → destination) in
 * sub-chunk order. Buffers grow when a call needs more (a long DELLA row) and stay grown.
 */
final class Lane implements AutoCloseable {
    final Half[] halves;

    Lane(Device device, long capacity) {
        halves = new Half[] {new Half(device, capacity), new Half(device, capacity)};
    }

    long capacity() {
        return Math.min(halves[0].capacity, halves[1].capacity);
    }

    void ensure(long bytes) {
        for (Half h : halves) {
            h.ensure(bytes);
        }
    }

    @Override
    public void close() {
        for (Half h : halves) {
            h.close();
        }
    }

    /** A stream with its buffers; a bump allocator over them, reset per sub-chunk. */
    static final class Half implements AutoCloseable {
        private final Device device;
        final Device.Stream stream;
        Device.Memory memory;
        Device.HostMemory pinned;
        long capacity;
        private long cursor;
        private Runnable pending = () -> { };

        Half(Device device, long capacity) {
            this.device = device;
            this.stream = device.stream();
            this.capacity = capacity;
            this.memory = device.alloc(capacity);
            this.pinned = device.allocHost(capacity);
        }

        void ensure(long bytes) {
            if (bytes <= capacity) {
                return;
            }
            stream.sync();
            memory.close();
            pinned.close();
            memory = device.alloc(bytes);
            pinned = device.allocHost(bytes);
            capacity = bytes;
        }

        /** Waits for this half's queued work and retires its outputs; then its buffers are free. */
        void retire() {
            stream.sync();
            Runnable r = pending;
            pending = () -> { };
            r.run();
            cursor = 0;
        }

        /** Reserves {@code bytes} of device (and pinned) space; returns the offset. */
        long reserve(long bytes) {
            long at = cursor;
            cursor = ChunkPlan.align(cursor + Math.max(bytes, 1));
            if (cursor > capacity) {
                throw new IllegalStateException("lane half overflow: " + cursor + " of " + capacity + " bytes");
            }
            return at;
        }

        /** Copies {@code bytes} of {@code src} from {@code srcOffset} to the device; returns the device address. */
        long upload(MemorySegment src, long srcOffset, long bytes) {
            long at = reserve(bytes);
            MemorySegment.copy(src, srcOffset, pinned.segment(), at, bytes);
            stream.upload(pinned, at, memory, at, bytes);
            return memory.address() + at;
        }

        /**
         * Reserves {@code bytes}, lets {@code fill} write them into the pinned buffer (a gather the
         * plain {@link #upload} cannot express: strided vectors, coefficient tables), uploads them;
         * returns the device address.
         */
        long stage(long bytes, java.util.function.Consumer<MemorySegment> fill) {
            long at = reserve(bytes);
            fill.accept(pinned.segment().asSlice(at, bytes));
            stream.upload(pinned, at, memory, at, bytes);
            return memory.address() + at;
        }

        /** A zeroed device region; returns its offset. */
        long zeroed(long bytes) {
            long at = reserve(bytes);
            stream.zero(memory, at, bytes);
            return at;
        }

        /** Queues the download of {@code bytes} at {@code at} and, at retirement, the copy into {@code dst}. */
        void output(long at, long bytes, MemorySegment dst, long dstOffset) {
            stream.download(memory, at, pinned, at, bytes);
            Runnable before = pending;
            pending = () -> {
                before.run();
                MemorySegment.copy(pinned.segment(), at, dst, dstOffset, bytes);
            };
        }

        /** Queues the download of {@code bytes} at {@code at} and, at retirement, {@code then} on the pinned copy. */
        void output(long at, long bytes, java.util.function.Consumer<MemorySegment> then) {
            stream.download(memory, at, pinned, at, bytes);
            Runnable before = pending;
            pending = () -> {
                before.run();
                then.accept(pinned.segment().asSlice(at, bytes));
            };
        }

        long address(long at) {
            return memory.address() + at;
        }

        @Override
        public void close() {
            stream.close();
            memory.close();
            pinned.close();
        }
    }
}
