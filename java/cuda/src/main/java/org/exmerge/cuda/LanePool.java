package org.exmerge.cuda;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The device memory pool: lanes of a fixed size, made on demand up to what the budget holds and
 * then shared (a call waits for a free lane), so the engine's threads each get their own streams
 * and never oversubscribe the device.
 */
final class LanePool {
    private final Device device;
    private final long halfBytes;
    private final int maxLanes;
    private final BlockingQueue<Lane> free;
    private final AtomicInteger made = new AtomicInteger();

    LanePool(Device device, long budgetBytes, long halfBytes) {
        this.device = device;
        this.halfBytes = halfBytes;
        this.maxLanes = lanes(budgetBytes, halfBytes);
        this.free = new ArrayBlockingQueue<>(maxLanes);
    }

    /** Lanes a budget holds: two halves of device memory each, at least one. */
    static int lanes(long budgetBytes, long halfBytes) {
        return (int) Math.max(1, Math.min(64, budgetBytes / (2 * halfBytes)));
    }

    int maxLanes() {
        return maxLanes;
    }

    Lane borrow() {
        Lane l = free.poll();
        if (l != null) {
            return l;
        }
        if (made.incrementAndGet() <= maxLanes) {
            return new Lane(device, halfBytes);
        }
        made.decrementAndGet();
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a CUDA lane", e);
        }
    }

    void giveBack(Lane lane) {
        free.add(lane);
    }

    /** Drops a lane whose call failed (its streams may hold half-done work); a new one may replace it. */
    void discard(Lane lane) {
        try {
            lane.close();
        } catch (RuntimeException e) {
            // the device may be gone; the failure that led here is what the caller reports
        } finally {
            made.decrementAndGet();
        }
    }
}
