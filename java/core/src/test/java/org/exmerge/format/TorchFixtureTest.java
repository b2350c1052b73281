package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Checkpoints written by real torch (1.13, {@code torch/make_fixtures.py}) read as their safetensors
 * twins: the same names, dtypes, shapes and bytes, whatever the container (ZIP, the legacy stream,
 * another ZIP writer's layout, shards) and however the tensors sit in their storages.
 */
class TorchFixtureTest {
    @TempDir
    Path dir;

    static Path fixture(String name) {
        try {
            return Path.of(TorchFixtureTest.class.getResource("torch/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @CsvSource({
        "mixed.bin, mixed.safetensors",
        "mixed-legacy.bin, mixed.safetensors",
        "mixed-archive.bin, mixed.safetensors",
        "module.bin, module.safetensors",
        "sharded, sharded.safetensors",
        "sharded/pytorch_model.bin.index.json, sharded.safetensors",
        "merge/base, merge-st/base",
        "merge/sft1, merge-st/sft1",
        "merge/sft2, merge-st/sft2",
    })
    void readsAsItsSafetensorsTwin(String torch, String twin) throws Exception {
        Path t = fixture(torch);
        if (t.getFileName().toString().endsWith(".json")) {
            t = t.getParent(); // the index's directory
        }
        try (Checkpoint c = Checkpoint.open(t); Checkpoint s = Checkpoint.open(fixture(twin))) {
            assertSameTensors(c, s);
        }
    }

    static void assertSameTensors(Checkpoint c, Checkpoint s) {
        assertThat(c.tensors()).extracting(TensorInfo::name).containsExactlyElementsOf(
                s.tensors().stream().map(TensorInfo::name).toList());
        for (TensorInfo want : s.tensors()) {
            TensorInfo got = c.tensor(want.name());
            assertThat(got.dtype()).as(want.name()).isEqualTo(want.dtype());
            assertThat(got.shape()).as(want.name()).isEqualTo(want.shape());
            assertThat(c.data(want.name()).toArray(ValueLayout.JAVA_BYTE)).as(want.name())
                    .isEqualTo(s.data(want.name()).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void contiguousTensorsAreSlicesOfTheMappingAndStridedOnesCopies() throws Exception {
        for (String name : List.of("mixed.bin", "mixed-legacy.bin", "mixed-archive.bin")) {
            try (Checkpoint c = Checkpoint.open(fixture(name))) {
                for (String t : List.of("bf16.matrix", "view.rows", "tied.a", "param", "scalar")) {
                    assertThat(c.data(t).isMapped()).as(name + " " + t + " is zero-copy").isTrue();
                    assertThat(c.data(t).isReadOnly()).isTrue();
                }
                for (String t : List.of("transposed", "expanded")) {
                    assertThat(c.data(t).isMapped()).as(name + " " + t + " is a copy").isFalse();
                    assertThat(c.data(t).isReadOnly()).isTrue();
                }
                // A tied pair is one storage: the same bytes of the mapping.
                assertThat(c.data("tied.a").address()).isEqualTo(c.data("tied.b").address());
                if (name.equals("mixed.bin")) {
                    // torch aligns each storage to 64 bytes; the view starts 6 floats into its storage.
                    assertThat(c.tensor("view.rows").begin() % 64).isEqualTo(24);
                    assertThat(c.data("bf16.matrix").address() % 64).isZero();
                }
                assertThat(c.data("empty").byteSize()).isZero();
                assertThat(c.metadata()).isEmpty();
            }
        }
    }

    @Test
    void legacyStoragesAreReadWhereTheyAreEvenWhenNotAligned() throws Exception {
        // make_fixtures.py saved sft1 until a float storage began at an odd offset.
        try (Checkpoint c = Checkpoint.open(fixture("merge/sft1"))) {
            assertThat(c.tensors()).anySatisfy(t -> {
                assertThat(t.dtype().isFloat()).isTrue();
                assertThat(c.data(t.name()).address() % 2).as(t.name()).isEqualTo(1);
            });
        }
    }

    @Test
    void mapGivesTheSameBytesAsData() throws Exception {
        try (Checkpoint c = Checkpoint.open(fixture("mixed-legacy.bin")); Arena a = Arena.ofConfined()) {
            for (TensorInfo t : c.tensors()) {
                MemorySegment m = c.map(t.name(), a);
                assertThat(m.toArray(ValueLayout.JAVA_BYTE)).as(t.name())
                        .isEqualTo(c.data(t.name()).toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    @Test
    void aDirectoryWithSafetensorsIgnoresItsBinFiles() throws Exception {
        Files.copy(fixture("mixed.bin"), dir.resolve("pytorch_model.bin"));
        Files.copy(fixture("module.safetensors"), dir.resolve("model.safetensors"));
        try (Checkpoint c = Checkpoint.open(dir); Checkpoint s = Checkpoint.open(fixture("module.safetensors"))) {
            assertSameTensors(c, s);
            assertThat(c.files()).containsExactly(dir.resolve("model.safetensors").toAbsolutePath());
        }
    }

    @Test
    void aDirectoryWithPytorchModelBin() throws Exception {
        Files.copy(fixture("module.bin"), dir.resolve("pytorch_model.bin"));
        try (Checkpoint c = Checkpoint.open(dir); Checkpoint s = Checkpoint.open(fixture("module.safetensors"))) {
            assertSameTensors(c, s);
            assertThat(c.directory()).isEqualTo(dir.toAbsolutePath());
        }
        assertThat(Checkpoint.holdsModel(dir)).isTrue(); // not a tokenizer-only directory
    }

    @Test
    void ptAndPthFilesAreTorchFiles() throws Exception {
        for (String name : List.of("m.pt", "m.pth")) {
            Path f = Files.copy(fixture("module.bin"), dir.resolve(name));
            try (Checkpoint c = Checkpoint.open(f); Checkpoint s = Checkpoint.open(fixture("module.safetensors"))) {
                assertSameTensors(c, s);
            }
        }
    }
}
