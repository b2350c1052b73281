package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.exmerge.format.TorchFixtureTest.fixture;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.exmerge.error.InputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every prefix of a torch checkpoint is refused with the one-line input error, and seeded random
 * byte changes either still read (every tensor's bytes within the file) or are refused the same way:
 * never another exception, a hang, or an allocation the file does not justify.
 */
class TorchTruncationTest {
    private static final long SEED = 0x7042_1CE5L;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mixed.bin", "mixed-legacy.bin", "mixed-archive.bin", "module.bin", "merge/sft1/pytorch_model.bin"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyTruncationIsRefusedWithTheInputError(String name) throws Exception {
        byte[] whole = Files.readAllBytes(fixture(name));
        Path f = dir.resolve("t.bin");
        List<String> failures = new ArrayList<>();
        for (int n = 0; n < whole.length; n++) {
            Files.write(f, Arrays.copyOf(whole, n));
            try {
                Checkpoint.open(f).close();
                failures.add(n + ": read");
            } catch (InputException e) {
                if (e.getMessage().contains("\n") || !e.getMessage().startsWith(f.toAbsolutePath().toString())) {
                    failures.add(n + ": " + e.getMessage());
                }
            } catch (Throwable t) {
                failures.add(n + ": " + t);
            }
        }
        assertThat(failures).as("truncations of %s that were not refused with one line naming the file", name).isEmpty();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void randomByteChangesReadOrAreRefused() throws Exception {
        List<byte[]> bases = new ArrayList<>();
        for (String name : List.of("mixed.bin", "mixed-legacy.bin", "mixed-archive.bin", "module.bin")) {
            bases.add(Files.readAllBytes(fixture(name)));
        }
        Path f = dir.resolve("m.bin");
        List<String> failures = new ArrayList<>();
        int read = 0;
        int refused = 0;
        for (int c = 0; c < 3000; c++) {
            Random r = new Random(SEED * 31 + c);
            byte[] b = bases.get(c % bases.size()).clone();
            // Half the cases change the first 600 bytes, where the pickles (legacy) or the first
            // entries are; the rest change anywhere.
            int span = c % 2 == 0 ? Math.min(600, b.length) : b.length;
            for (int k = 1 + r.nextInt(4); k > 0; k--) {
                int at = r.nextInt(span);
                b[at] = r.nextInt(3) == 0 ? (byte) (b[at] ^ (1 << r.nextInt(8))) : (byte) r.nextInt(256);
            }
            Files.write(f, b);
            try (Checkpoint ck = Checkpoint.open(f)) {
                for (TensorInfo t : ck.tensors()) {
                    assertThat(ck.data(t.name()).toArray(ValueLayout.JAVA_BYTE)).hasSize((int) t.byteSize());
                }
                read++;
            } catch (InputException e) {
                refused++;
                if (e.getMessage().contains("\n") || !e.getMessage().startsWith(f.toAbsolutePath().toString())) {
                    failures.add("case " + c + ": " + e.getMessage());
                }
            } catch (Throwable t) {
                failures.add("case " + c + ": " + t);
            }
        }
        assertThat(failures).as("changed files that neither read nor were refused with the input error").isEmpty();
        // Both verdicts must be common, or the changes exercise only one path.
        assertThat(read).isGreaterThan(100);
        assertThat(refused).isGreaterThan(300);
    }
}
