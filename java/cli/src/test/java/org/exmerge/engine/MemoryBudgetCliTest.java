package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.exmerge.format.Checkpoint;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory stays bounded whatever {@code --threads} and however many models: child JVMs with a small
 * heap run {@code --threads 512} and a soup of 1,000 entries under a {@code --memory} budget, and
 * write the same bytes as a run with one thread and odd chunks in this JVM.
 */
class MemoryBudgetCliTest {
    private static final List<String> SMALL_HEAP = List.of("-Xmx64m", "-XX:+UseSerialGC");
    /** Before the budget, 512 threads meant 1,026 chunk buffers of 4 MiB: 4.3 GB before reading anything. */
    private static final long OLD_512_THREAD_BUFFERS = 1026L * (4L << 20);

    @TempDir
    static Path dir;
    static Path models;

    @BeforeAll
    static void synth() {
        models = dir.resolve("models");
        Cli.Result r = Cli.run("synth", models.toString(), "--size", "8MB", "--threads", "2");
        assertThat(r.exit()).as(r.err()).isZero();
    }

    static String m(String name) {
        return models.resolve(name).toString();
    }

    @Test
    void fiveHundredTwelveThreadsRunInBoundedMemoryAndWriteTheSameBytes() throws Exception {
        Path out = dir.resolve("t512");
        List<String> args = List.of("exme", "--base", m("base"), "--sft", m("sft-1"), "--sft", m("sft-2"),
                "--alpha", "0.5,0.1", "--beta", "0.1", "--threads", "512", "--memory", "200MB", out.toString());
        Child child = runChild(SMALL_HEAP, args);
        assertThat(child.result.exit()).as(child.result.err()).isZero();
        int processors = Runtime.getRuntime().availableProcessors();
        if (processors < 512) {
            assertThat(child.result.err()).contains("512 threads requested, ");
        }
        // VmHWM: the child's peak resident size, read while it runs (it is monotone, so the last read
        // is the closest; a read that misses the very end can only make this check weaker). The
        // bound: the 200 MB budget, the 64 MiB heap, and 256 MiB for the JVM itself (code, metaspace,
        // thread stacks, GC), which measures about 100 MB. The old design's buffers alone were 4.3 GB.
        long bound = 200_000_000L + (64L << 20) + (256L << 20);
        assertThat(bound).isLessThan(OLD_512_THREAD_BUFFERS);
        if (child.peakKiB > 0) {
            assertThat(child.peakKiB * 1024).as("peak RSS of the child").isLessThan(bound);
        }

        Path again = dir.resolve("t1");
        Cli.Result one = Cli.run("exme", "--base", m("base"), "--sft", m("sft-1"), "--sft", m("sft-2"),
                "--alpha", "0.5,0.1", "--beta", "0.1", "--threads", "1", "--chunk-size", "100000", again.toString());
        assertThat(one.exit()).as(one.err()).isZero();
        assertSameTensors(out, again);
    }

    @Test
    void aSoupOfAThousandEntriesRunsInsideATightBudgetAndWritesTheSameBytes() throws Exception {
        // Two files named 1,000 times, half of them through another spelling of the same path: each
        // file is mapped once, each entry stays an input of its own with its own weight.
        StringBuilder yaml = new StringBuilder("merge_method: linear\nmodels:\n");
        for (int i = 0; i < 1000; i++) {
            String model = switch (i % 4) {
                case 0 -> "sft-1";
                case 1 -> "sft-2";
                case 2 -> "./sft-1";
                default -> "../models/sft-2";
            };
            yaml.append("  - model: ").append(model).append("\n    parameters:\n      weight: ").append(1 + i % 7).append('\n');
        }
        yaml.append("dtype: bfloat16\n");
        Path recipe = dir.resolve("soup.yaml");
        Files.writeString(recipe, yaml);

        // 24 MB: enough for one thread and 64 kB chunks, far too little for 4 MiB chunks on all cores.
        Path out = dir.resolve("soup");
        Child child = runChild(SMALL_HEAP, List.of("merge", recipe.toString(), "--models-dir", models.toString(),
                "--memory", "24MB", "--threads", "512", "--json", out.toString()));
        assertThat(child.result.exit()).as(child.result.err()).isZero();
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> notices = child.result.out().lines().map(l -> {
            try {
                return json.readTree(l);
            } catch (IOException e) {
                throw new IllegalStateException(l, e);
            }
        }).filter(n -> n.get("event").asText().equals("notice")).toList();
        assertThat(notices).as("the chunk shrinks to fit 24 MB").isNotEmpty();
        if (Runtime.getRuntime().availableProcessors() < 512) {
            assertThat(notices).anySatisfy(n -> assertThat(n.get("message").asText()).contains("512 threads requested"));
        }
        if (child.peakKiB > 0) {
            assertThat(child.peakKiB * 1024).as("peak RSS of the child").isLessThan(24_000_000L + (64L << 20) + (256L << 20));
        }

        Path again = dir.resolve("soup-again");
        Cli.Result plain = Cli.run("merge", recipe.toString(), "--models-dir", models.toString(), "--threads", "2",
                "--chunk-size", "77777", again.toString());
        assertThat(plain.exit()).as(plain.err()).isZero();
        assertSameTensors(out, again);
    }

    @Test
    void tooSmallABudgetIsRefusedBeforeAnyWork() throws Exception {
        Path out = dir.resolve("refused");
        Cli.Result r = Cli.run("exme", "--base", m("base"), "--sft", m("sft-1"), "--sft", m("sft-2"),
                "--alpha", "0.5,0.1", "--beta", "0.1", "--memory", "100kB", out.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n")
                .contains("memory budget 100.0 kB (--memory) is too small: this merge needs at least ")
                .contains("1 thread, 65.5 kB chunks");
        assertThat(out).doesNotExist();
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".refused"));
        }
    }

    @Test
    void aBudgetForOnePassButNotTwoBindsTensorsInTurn() throws Exception {
        Path recipe = dir.resolve("ties.yaml");
        Files.writeString(recipe, "merge_method: ties\nbase_model: " + m("base") + "\nmodels:\n  - {model: " + m("sft-1")
                + ", parameters: {density: 0.3}}\n  - {model: " + m("sft-2") + ", parameters: {density: 0.3}}\n");
        long[] needs = new long[2];
        org.exmerge.Exmerge.plan(org.exmerge.Exmerge.Source.parse(Files.readString(recipe), "ties"), null,
                org.exmerge.MergeOptions.defaults(), plan -> {
                    MemoryBudget.Demand d = MergeExecutor.demand(plan.tensors());
                    needs[0] = MemoryBudget.need(2, 4L << 20, d);
                    needs[1] = MemoryBudget.need(2, 4L << 20, d.ahead());
                });
        assertThat(needs[1]).as("two neighbouring passes need more than one").isGreaterThan(needs[0]);
        String out = dir.resolve("in-turn").toString();
        Cli.Result inTurn = Cli.run("merge", recipe.toString(), out, "--dry-run", "--threads", "2", "--memory",
                Long.toString(needs[0]));
        assertThat(inTurn.exit()).as(inTurn.err()).isZero();
        assertThat(inTurn.out()).contains("memory: 2 threads, 4.19 MB chunks").contains("tensors bound in turn");
        Cli.Result ahead = Cli.run("merge", recipe.toString(), out, "--dry-run", "--threads", "2", "--memory",
                Long.toString(needs[1]));
        assertThat(ahead.exit()).as(ahead.err()).isZero();
        assertThat(ahead.out()).contains("memory: 2 threads, 4.19 MB chunks").doesNotContain("bound in turn");
    }

    private static void assertSameTensors(Path a, Path b) throws IOException {
        try (Checkpoint x = Checkpoint.open(a); Checkpoint y = Checkpoint.open(b)) {
            assertThat(x.tensors()).hasSameSizeAs(y.tensors());
            for (var t : x.tensors()) {
                assertThat(x.data(t.name()).mismatch(y.data(t.name()))).as(t.name()).isEqualTo(-1L);
            }
        }
    }

    record Child(Cli.Result result, long peakKiB) {}

    /** {@link Cli#runChild}, also sampling the child's VmHWM (0 where /proc is not there). */
    private static Child runChild(List<String> jvmFlags, List<String> args) throws Exception {
        Process p = Cli.child(jvmFlags, args.toArray(String[]::new)).start();
        p.getOutputStream().close();
        AtomicLong peak = new AtomicLong();
        Path status = Path.of("/proc", Long.toString(p.pid()), "status");
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (p.isAlive()) {
                peak.accumulateAndGet(vmHwmKiB(status), Math::max);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        byte[][] err = new byte[1][];
        Thread errReader = Thread.ofPlatform().daemon().start(() -> {
            try {
                err[0] = p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                err[0] = new byte[0];
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        int code = p.waitFor();
        errReader.join();
        sampler.join();
        return new Child(new Cli.Result(code, new String(out, StandardCharsets.UTF_8), new String(err[0], StandardCharsets.UTF_8)),
                peak.get());
    }

    private static long vmHwmKiB(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or a zombie without memory lines
        }
        return 0;
    }
}
