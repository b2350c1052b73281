package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The pool's order: a bind-time pass's pieces run before the chunks already queued. */
class WorkersTest {

    /** Waits until {@code t} is parked (a caller of parallel().run has queued its pieces and waits). */
    private static void awaitParked(Thread t) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertThat(System.nanoTime()).as("the caller never waited").isLessThan(until);
            Thread.sleep(1);
        }
    }

    @Test
    void bindTimePiecesRunAheadOfQueuedChunks() throws Exception {
        try (Workers workers = new Workers(2)) {
            CountDownLatch release = new CountDownLatch(1);
            List<Future<?>> tasks = new ArrayList<>();
            for (int i = 0; i < 2; i++) { // both workers busy
                tasks.add(workers.submit(() -> release.await(30, TimeUnit.SECONDS)));
            }
            AtomicBoolean chunkStarted = new AtomicBoolean();
            for (int i = 0; i < 4; i++) {
                tasks.add(workers.submit(() -> chunkStarted.getAndSet(true)));
            }
            boolean[] sawChunk = new boolean[2];
            CyclicBarrier both = new CyclicBarrier(2); // neither piece ends before both have started
            Thread caller = new Thread(() -> workers.parallel().run(2, p -> {
                sawChunk[p] = chunkStarted.get();
                try {
                    both.await(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
            caller.start();
            awaitParked(caller);
            release.countDown();
            caller.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(caller.isAlive()).isFalse();
            assertThat(sawChunk).as("a piece started after a chunk queued before it").containsExactly(false, false);
            assertThat(Workers.awaitAll(tasks)).isNull();
            assertThat(chunkStarted).isTrue();
        }
    }

    @Test
    void aFailedPieceIsRethrownAfterEveryPieceHasFinished() throws Exception {
        try (Workers workers = new Workers(3)) {
            AtomicBoolean slowDone = new AtomicBoolean();
            assertThatThrownBy(() -> workers.parallel().run(3, p -> {
                if (p == 0) {
                    throw new IllegalStateException("piece 0");
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                slowDone.set(true);
            })).isInstanceOf(IllegalStateException.class).hasMessage("piece 0");
            assertThat(slowDone).isTrue();
        }
    }

    @Test
    void anInterruptATaskLeavesBehindDoesNotStopItsWorker() throws Exception {
        try (Workers workers = new Workers(1)) {
            Future<?> first = workers.submit(() -> {
                Thread.currentThread().interrupt();
                return null;
            });
            Future<Integer> second = workers.submit(() -> 42);
            assertThat(first.get(30, TimeUnit.SECONDS)).isNull();
            assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(42);
        }
    }
}
