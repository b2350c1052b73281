package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.exmerge.testing.InputChanges.EXME;
import static org.exmerge.testing.InputChanges.file;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.exmerge.Exmerge;
import org.exmerge.error.InputChangedException;
import org.exmerge.format.DType;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Kernels;
import org.exmerge.method.ModelPass;
import org.exmerge.method.PassPlan;
import org.exmerge.method.PassTensor;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorPlan;
import org.exmerge.testing.InputChanges;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's model-pass runner with a toy pass that knows nothing of any method: a float32 sum of
 * the base (a combine that is not associative, so only a fixed fold order gives one answer), then a
 * count of the elements above the first round's mean. Six BF16 tensors of 65,536 elements, pieces
 * of 1,000: 66 pieces a tensor, the last of 536.
 */
class ModelPassRunnerTest {
    static final long PIECE = 1000;
    static final long ELEMENTS = 6 * 65_536;

    @TempDir
    Path dir;

    @BeforeEach
    void models() throws Exception {
        InputChanges.writeModels(dir);
    }

    /** What the toy pass finds, and the tensors its run was started with. */
    record Found(float sum, long count, long above, List<String> tensors) {}

    /** A plan resolved by the toy pass: it only carries the result. */
    record Resolved(Found found) implements TensorPlan {
        @Override
        public String describe() {
            return "resolved";
        }

        @Override
        public TensorMerge bind(TensorInputs inputs) {
            return (start, n, out) -> { };
        }
    }

    /** The toy pass; {@code hook} runs at every piece with the round and the piece's start, before it is counted. */
    record SumPass(String key, BiConsumer<Integer, Long> hook) implements ModelPass<Found> {
        SumPass(String key) {
            this(key, (round, start) -> { });
        }

        @Override
        public long pieceElements() {
            return PIECE;
        }

        @Override
        public long stateBytes() {
            return 1 << 20;
        }

        @Override
        public boolean reads(int input) {
            return input == 0;
        }

        @Override
        public Run<float[], Found> start(List<PassTensor> tensors) {
            List<String> names = tensors.stream().map(PassTensor::name).toList();
            return new Run<>() {
                final float[] round0 = new float[2];
                final float[] round1 = new float[2];

                @Override
                public int rounds() {
                    return 2;
                }

                @Override
                public float[] newState(int round) {
                    return new float[2]; // {sum or count above, count}
                }

                @Override
                public void accumulate(int round, float[] state, PassTensor t, long start, long n) {
                    hook.accept(round, start);
                    float mean = round0[0] / round0[1];
                    for (long i = start; i < start + n; i++) {
                        float v = TestModels.get(t.base().segment(), DType.BF16, i);
                        state[0] += round == 0 ? v : v > mean ? 1 : 0;
                        state[1]++;
                    }
                }

                @Override
                public float[] combine(int round, float[] total, float[] piece) {
                    total[0] += piece[0];
                    total[1] += piece[1];
                    return total;
                }

                @Override
                public void endRound(int round, float[] total) {
                    System.arraycopy(total, 0, round == 0 ? round0 : round1, 0, 2);
                }

                @Override
                public Found result() {
                    return new Found(round0[0], (long) round0[1], (long) round1[0], names);
                }
            };
        }
    }

    /** The plan of {@code dir}'s three models, every tensor given the plan {@code plans} makes of its index. */
    private static MergePlan planWith(java.util.function.IntFunction<TensorPlan> plans, ModelSet models) throws Exception {
        MergePlan p = MergePlanner.plan(Exmerge.Source.parse(EXME, "out").recipe(), EXME, models, null, null);
        List<PlannedTensor> tensors = new ArrayList<>();
        for (int i = 0; i < p.tensors().size(); i++) {
            PlannedTensor t = p.tensors().get(i);
            tensors.add(new PlannedTensor(t.name(), t.type(), t.shape(), t.base(), t.models(), plans.apply(i)));
        }
        return new MergePlan(p.method(), tensors, p.metadata(), p.configSource(), p.tokenizerSource(), p.layerCount(), p.seed(),
                p.chatTemplate(), p.vocab(), p.ignored());
    }

    private static List<TensorPlan> resolve(MergePlan plan, int threads, CancelToken cancel) {
        try (Workers workers = new Workers(threads)) {
            return ModelPassRunner.resolve(plan.tensors(), Backends.java(), workers, cancel);
        }
    }

    /** The same fold on one thread, written out: pieces of each tensor summed from +0, added in order. */
    private static float serialSum(MergePlan plan) {
        float total = 0;
        for (PlannedTensor t : plan.tensors()) {
            for (long start = 0; start < t.elements(); start += PIECE) {
                float piece = 0;
                for (long i = start; i < Math.min(t.elements(), start + PIECE); i++) {
                    piece += TestModels.get(t.base().operand().segment(), DType.BF16, i);
                }
                total += piece;
            }
        }
        return total;
    }

    @Test
    void theResultIsTheFixedFoldWhateverTheThreads() throws Exception {
        try (ModelSet models = new ModelSet(new ModelLocator(dir, null))) {
            ModelPass<Found> pass = new SumPass("sum");
            MergePlan plan = planWith(i -> PassPlan.of("sum", pass, Resolved::new), models);
            float expected = serialSum(plan);
            Found first = null;
            for (int threads : new int[] {1, 2, 3, 5}) {
                List<TensorPlan> plans = resolve(plan, threads, new CancelToken());
                assertThat(plans).hasSize(6).allSatisfy(p -> assertThat(p).isInstanceOf(Resolved.class));
                Found f = ((Resolved) plans.getFirst()).found();
                assertThat(plans).allSatisfy(p -> assertThat(((Resolved) p).found()).isSameAs(f));
                assertThat(f.count()).isEqualTo(ELEMENTS);
                assertThat(Float.floatToRawIntBits(f.sum())).as("%s threads", threads)
                        .isEqualTo(Float.floatToRawIntBits(expected));
                assertThat(f.above()).as("round 2 saw round 1's mean").isPositive().isLessThan(ELEMENTS);
                if (first != null) {
                    assertThat(f).isEqualTo(first);
                }
                first = f;
            }
            assertThat(first.tensors()).containsExactly(plan.tensors().stream().map(PlannedTensor::name).toArray(String[]::new));
        }
    }

    @Test
    void plansSharingAKeyShareOneRunAndOthersAreLeftAlone() throws Exception {
        try (ModelSet models = new ModelSet(new ModelLocator(dir, null))) {
            TensorPlan plain = new Resolved(null);
            MergePlan plan = planWith(i -> switch (i % 3) {
                case 0 -> PassPlan.of("a", new SumPass("a"), Resolved::new);
                case 1 -> PassPlan.of("b", new SumPass("b"), Resolved::new);
                default -> plain;
            }, models);
            List<TensorPlan> plans = resolve(plan, 2, new CancelToken());
            String[] names = plan.tensors().stream().map(PlannedTensor::name).toArray(String[]::new);
            assertThat(((Resolved) plans.get(0)).found().tensors()).containsExactly(names[0], names[3]);
            assertThat(((Resolved) plans.get(3)).found()).isSameAs(((Resolved) plans.get(0)).found());
            assertThat(((Resolved) plans.get(1)).found().tensors()).containsExactly(names[1], names[4]);
            assertThat(((Resolved) plans.get(1)).found().count()).isEqualTo(2 * 65_536);
            assertThat(plans.get(2)).isSameAs(plain);
            assertThat(plans.get(5)).isSameAs(plain);
        }
    }

    @Test
    void cancellingStopsThePassAndNoPieceRunsAfterIt() throws Exception {
        try (ModelSet models = new ModelSet(new ModelLocator(dir, null))) {
            CancelToken cancel = new CancelToken();
            AtomicInteger counted = new AtomicInteger();
            AtomicInteger running = new AtomicInteger();
            AtomicInteger runningAtReturn = new AtomicInteger(-1);
            ModelPass<Found> pass = new SumPass("sum", (round, start) -> {
                running.incrementAndGet();
                try {
                    if (counted.incrementAndGet() == 3) {
                        cancel.cancel();
                    }
                    Thread.sleep(2); // let the other workers be mid-piece when the cancel is seen
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    running.decrementAndGet();
                }
            });
            MergePlan plan = planWith(i -> PassPlan.of("sum", pass, Resolved::new), models);
            Throwable thrown = catchThrowable(() -> {
                try {
                    resolve(plan, 3, cancel);
                } finally {
                    runningAtReturn.set(running.get());
                }
            });
            assertThat(thrown).isInstanceOf(CancellationException.class);
            assertThat(runningAtReturn.get()).as("pieces still running when the runner returned").isZero();
            assertThat(counted.get()).as("pieces begun, of 396").isLessThanOrEqualTo(3 + 3);
        }
    }

    @Test
    void aFailingPieceIsRethrownAsItselfOnceEveryPieceHasStopped() throws Exception {
        try (ModelSet models = new ModelSet(new ModelLocator(dir, null))) {
            AtomicInteger running = new AtomicInteger();
            ModelPass<Found> pass = new SumPass("sum", (round, start) -> {
                running.incrementAndGet();
                try {
                    if (round == 1 && start == 5 * PIECE) {
                        throw new IllegalArgumentException("piece at 5000 failed");
                    }
                } finally {
                    running.decrementAndGet();
                }
            });
            MergePlan plan = planWith(i -> PassPlan.of("sum", pass, Resolved::new), models);
            Throwable thrown = catchThrowable(() -> resolve(plan, 3, new CancelToken()));
            assertThat(thrown).isInstanceOf(IllegalArgumentException.class).hasMessage("piece at 5000 failed");
            assertThat(running.get()).isZero();
        }
    }

    @Test
    void anInputTruncatedUnderThePassIsTheInputThatChanged() throws Exception {
        Path base = file(dir, "base");
        try (ModelSet models = new ModelSet(new ModelLocator(dir, null))) {
            ModelPass<Found> pass = new SumPass("sum", (round, start) -> {
                if (round == 0 && start == 0) {
                    InputChanges.truncate(base, 4096);
                }
            });
            MergePlan plan = planWith(i -> PassPlan.of("sum", pass, Resolved::new), models);
            Throwable thrown = catchThrowable(() -> MergeExecutor.run(plan, dir.resolve("out"),
                    InputChanges.opts(dir, "java").run(), Backends.java(), ProgressListener.NONE, new CancelToken()));
            assertThat(thrown).isInstanceOf(InputChangedException.class);
            InputChanges.assertNames((InputChangedException) thrown, base);
            InputChanges.assertNothingLeft(dir, "out");
        }
    }

    @Test
    void theMemoryBudgetCountsWhatThePassDeclares() throws Exception {
        try (ModelSet models = new ModelSet(new ModelLocator(dir, null))) {
            MergePlan plan = planWith(i -> PassPlan.of("sum", new SumPass("sum"), Resolved::new), models);
            MemoryBudget.Demand d = MergeExecutor.demand(plan.tensors());
            // Per worker: the declared 1 MiB state and a piece of the base (1,000 BF16 elements).
            assertThat(d.passHeapPerThread()).isEqualTo((1 << 20) + 1000 * 2);
            // Held once: a whole tensor of the three inputs (a resolved plan may read it at bind) and the running total;
            // binding a tensor ahead, the previous tensor's inputs too.
            assertThat(d.passBytes()).isEqualTo(3 * 65_536 * 2 + (1 << 20));
            assertThat(d.aheadBytes()).isEqualTo(2 * (3 * 65_536 * 2) + (1 << 20));
        }
    }

    @Test
    void aPlanThatWasNeverResolvedRefusesToBind() {
        PassPlan<Found> p = PassPlan.of("sum", new SumPass("sum"), Resolved::new);
        Kernels k = Backends.java();
        assertThat(catchThrowable(() -> p.bind(new TensorInputs("t", null, new org.exmerge.kernel.Operand[0], 0,
                new long[] {0}, k, 0, 0)))).isInstanceOf(IllegalStateException.class).hasMessage(
                "t: this plan needs its model pass (sum) to run before it binds");
    }
}
