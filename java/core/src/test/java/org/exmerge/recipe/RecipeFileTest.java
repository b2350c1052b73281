package org.exmerge.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.exmerge.Exmerge;
import org.exmerge.error.ExmergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the recipe file: every failure is a ConfigException (exit 2) naming the file and the reason. */
class RecipeFileTest {
    @TempDir
    Path dir;

    private static ConfigException reject(Path f) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> Exmerge.Source.read(f));
        assertThat(e).as("a ConfigException").isNotNull();
        assertThat(e.kind()).isEqualTo(ExmergeException.Kind.RECIPE);
        assertThat(e.source()).isEqualTo(f.toString());
        return e;
    }

    @Test
    void missingFile() {
        Path f = dir.resolve("nope.yaml");
        assertThat(reject(f).getMessage()).isEqualTo(f + ": no such file or directory");
    }

    @Test
    void directory() {
        assertThat(reject(dir).getMessage()).isEqualTo(dir + ": is a directory, not a recipe file");
    }

    @Test
    void unreadable() throws Exception {
        Path f = Files.writeString(dir.resolve("r.yaml"), "merge_method: linear\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("---------"));
        assumeThat(Files.isReadable(f)).as("running as root: chmod 000 does not stop reading").isFalse();
        assertThat(reject(f).getMessage()).isEqualTo(f + ": permission denied");
    }

    @Test
    void notUtf8SaysWhere() throws Exception {
        Path f = dir.resolve("latin1.yaml");
        Files.write(f, "merge_method: linear\n# caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThat(reject(f).getMessage()).isEqualTo(f + ": not UTF-8 text (byte 0xe9 at offset 26, line 2)");
    }

    @Test
    void truncatedUtf8AtTheEnd() throws Exception {
        Path f = dir.resolve("cut.yaml");
        Files.write(f, new byte[] {'a', ':', ' ', (byte) 0xE2, (byte) 0x82});
        assertThat(reject(f).getMessage()).startsWith(f + ": not UTF-8 text (").contains("offset 3, line 1");
    }

    @Test
    void hugeFileIsRefusedBeforeParsing() throws Exception {
        // 50 MB in one scalar used to take minutes in the YAML parser before it was refused.
        Path f = dir.resolve("huge.yaml");
        byte[] b = new byte[50_000_000];
        Arrays.fill(b, (byte) 'a');
        System.arraycopy("merge_method: ".getBytes(), 0, b, 0, 14);
        Files.write(f, b);
        long t0 = System.nanoTime();
        assertThat(reject(f).getMessage()).isEqualTo(f + ": larger than 1048576 bytes (1 MiB); a recipe is a small YAML file");
        assertThat(System.nanoTime() - t0).as("refused without parsing").isLessThan(2_000_000_000L);
    }

    @Test
    void hugeTextIsRefusedByParseToo() {
        String yaml = "merge_method: " + "a".repeat(RecipeReader.MAX_RECIPE_BYTES);
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> Exmerge.Source.parse(yaml, "api"));
        assertThat(e.getMessage()).isEqualTo("api: larger than 1048576 characters (1 MiB); a recipe is a small YAML file");
    }

    @Test
    void aLongScalarBelowTheCapIsStillRead() throws Exception {
        // Only the whole text is capped: a long scalar inside the cap is read as before.
        Path f = Files.writeString(dir.resolve("long.yaml"), "merge_method: linear\nmodels:\n  - model: '"
                + "a".repeat(200_000) + "'\n");
        assertThat(Exmerge.Source.read(f).recipe().models().getFirst().model()).hasSize(200_000);
    }
}
