package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.exmerge.format.HeaderMutator.Base;
import org.exmerge.format.HeaderMutator.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutation fuzzing of the reader, the fuzz target huggingface/safetensors keeps beside its
 * tests. Every mutated file must either read as a file whose tensors really tile the data section,
 * or be refused with {@link SafetensorsFormatException}; any other exception fails the test with the
 * seed and case that produced it. Most cases parse from memory; every {@value #FILE_EVERY}th also goes
 * through a real file, mapped, and must reach the same verdict with the same reason.
 */
class SafetensorsFuzzTest {
    private static final long SEED = 0x5AFE_7E45_0001L;
    private static final int CASES = 12_000;
    private static final int BASES = 64;
    private static final int FILE_EVERY = 25;

    @TempDir
    Path dir;

    private enum Outcome { VALID, REJECTED }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard, not a speed check
    void everyMutationIsReadOrRefusedWithTheFormatException() throws Exception {
        Random seeds = new Random(SEED);
        List<Base> bases = new ArrayList<>();
        for (int i = 0; i < BASES; i++) {
            bases.add(HeaderMutator.randomBase(new Random(seeds.nextLong())));
        }
        Map<Kind, int[]> counts = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            counts.put(k, new int[2]);
        }
        List<String> failures = new ArrayList<>();
        int viaFiles = 0;
        for (int c = 0; c < CASES; c++) {
            long caseSeed = SEED * 31 + c;
            Random r = new Random(caseSeed);
            Kind kind = Kind.values()[c % Kind.values().length];
            Base base = bases.get(r.nextInt(BASES));
            byte[] image = HeaderMutator.mutate(kind, base, r);
            String where = "case " + c + " (seed " + caseSeed + ", " + kind + ")";
            try {
                Outcome memory = readFromMemory(image);
                counts.get(kind)[memory.ordinal()]++;
                if (c % FILE_EVERY == 0) {
                    viaFiles++;
                    readFromFile(image, memory, where);
                }
            } catch (Throwable t) {
                if (failures.size() < 10) {
                    failures.add(where + ": " + t + "\n  image: " + HexFormat.of().formatHex(image,
                            0, Math.min(image.length, 400)));
                } else {
                    failures.add(where);
                }
            }
        }
        printTable(counts, viaFiles);
        assertThat(failures).as("cases that ended in neither a valid read nor the format exception").isEmpty();
        int valid = counts.values().stream().mapToInt(a -> a[0]).sum();
        int rejected = counts.values().stream().mapToInt(a -> a[1]).sum();
        assertThat(valid + rejected).isEqualTo(CASES);
        assertThat(viaFiles).isGreaterThanOrEqualTo(CASES / FILE_EVERY);
        // Both verdicts must be common, or the fuzzer is only exercising one path.
        assertThat(valid).isGreaterThan(CASES / 20);
        assertThat(rejected).isGreaterThan(CASES / 2);
        // Kinds that can never yield a valid file, and kinds that always should.
        for (Kind k : List.of(Kind.TRUNCATE_IN_PREFIX, Kind.TRUNCATE_IN_HEADER, Kind.BAD_UTF8, Kind.DUPLICATE_KEY)) {
            assertThat(counts.get(k)[0]).as("valid reads after %s", k).isZero();
        }
        for (Kind k : List.of(Kind.FLIP_DATA_BITS, Kind.REORDER_ENTRIES)) {
            assertThat(counts.get(k)[1]).as("rejections after %s", k).isZero();
        }
        for (Kind k : Kind.values()) {
            assertThat(counts.get(k)[0] + counts.get(k)[1]).as("cases of %s", k).isGreaterThan(CASES / 40);
        }
    }

    private static Outcome readFromMemory(byte[] image) throws Exception {
        try {
            SafetensorsHeader h = TestFiles.parseImage(image);
            checkTiling(h, image);
            return Outcome.VALID;
        } catch (SafetensorsFormatException e) {
            checkException(e, TestFiles.MEMORY);
            return Outcome.REJECTED;
        }
    }

    /** The same bytes through a real file and mapping: same verdict, same reason, same tensor bytes. */
    private void readFromFile(byte[] image, Outcome expected, String where) throws Exception {
        Path file = Files.write(dir.resolve("fuzz.safetensors"), image);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(expected).as(where + ": file read but memory parse rejected").isEqualTo(Outcome.VALID);
            long dataStart = image.length - f.header().dataBytes();
            for (TensorInfo t : f.header().tensors()) {
                byte[] want = Arrays.copyOfRange(image, (int) (dataStart + t.begin()), (int) (dataStart + t.end()));
                assertThat(f.data(t).toArray(ValueLayout.JAVA_BYTE)).as(where + " " + t).isEqualTo(want);
            }
        } catch (SafetensorsFormatException e) {
            checkException(e, file);
            assertThat(expected).as(where + ": file rejected (" + e.reason() + ") but memory parse read it")
                    .isEqualTo(Outcome.REJECTED);
            SafetensorsFormatException m = null;
            try {
                TestFiles.parseImage(image);
            } catch (SafetensorsFormatException em) {
                m = em;
            }
            assertThat(m).isNotNull();
            assertThat(e.reason()).as(where).isEqualTo(m.reason());
            assertThat(e.tensor()).as(where).isEqualTo(m.tensor());
        }
    }

    private static void checkException(SafetensorsFormatException e, Path file) {
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.reason()).isNotBlank();
        assertThat(e.getMessage()).startsWith(file + ": ").doesNotContain("\n").doesNotContain("\r");
    }

    /**
     * An accepted header must describe what numerics §8 promises, checked here independently of the
     * parser with BigInteger arithmetic: sorted spans tiling the data section, sizes matching shapes.
     */
    private static void checkTiling(SafetensorsHeader h, byte[] image) {
        long n = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertThat(h.dataBytes()).isEqualTo(image.length - 8 - n);
        long expected = 0;
        Set<String> names = new HashSet<>();
        for (TensorInfo t : h.tensors()) {
            assertThat(names.add(t.name())).as("unique name %s", t.name()).isTrue();
            assertThat(t.begin()).isEqualTo(expected);
            BigInteger size = BigInteger.valueOf(t.dtype().size());
            for (long d : t.shape()) {
                assertThat(d).isNotNegative();
                size = size.multiply(BigInteger.valueOf(d));
            }
            assertThat(BigInteger.valueOf(t.end() - t.begin())).isEqualTo(size);
            assertThat(h.tensor(t.name())).isEqualTo(t);
            expected = t.end();
        }
        assertThat(expected).isEqualTo(h.dataBytes());
        assertThat(h.metadata()).doesNotContainKey(null);
    }

    private static void printTable(Map<Kind, int[]> counts, int viaFiles) {
        StringBuilder s = new StringBuilder(String.format("%nsafetensors fuzz, seed %#x: %d cases, %d also via files%n",
                SEED, CASES, viaFiles));
        s.append(String.format("%-24s %8s %8s%n", "mutation", "valid", "rejected"));
        int[] total = new int[2];
        counts.forEach((k, v) -> {
            s.append(String.format("%-24s %8d %8d%n", k, v[0], v[1]));
            total[0] += v[0];
            total[1] += v[1];
        });
        s.append(String.format("%-24s %8d %8d%n", "total", total[0], total[1]));
        System.out.print(s);
    }
}
