package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.exmerge.format.DType;
import org.exmerge.testing.Cli;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.exmerge.testing.TorchFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PyTorch checkpoints on the command line: inspect, a merge resolved through --models-dir, a broken file. */
class TorchInputCliTest {
    @TempDir
    static Path dir;

    private static T[] tensors(int seed) {
        return new T[] {
            new T("model.embed_tokens.weight", DType.BF16, new long[] {8, 16}, TestModels.random(seed, 128, 0.02f)),
            new T("model.norm.weight", DType.F32, new long[] {16}, TestModels.random(seed + 1, 16, 1f)),
        };
    }

    @BeforeAll
    static void models() throws Exception {
        for (int m = 0; m < 2; m++) {
            TorchFiles.write(dir.resolve("bin").resolve("m" + m), tensors(10 * m));
            TestModels.write(dir.resolve("st").resolve("m" + m), tensors(10 * m));
        }
    }

    @Test
    void inspectListsATorchFile() throws Exception {
        Path f = dir.resolve("bin/m0/pytorch_model.bin");
        Cli.Result r = Cli.run("inspect", f.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("model.embed_tokens.weight").contains("BF16").contains("[8, 16]")
                .contains(f + ": 2 tensors, 144 parameters");
        JsonNode n = new ObjectMapper().readTree(Cli.run("inspect", dir.resolve("bin/m0").toString(), "--json").out());
        assertThat(n.get("tensors").asInt()).isEqualTo(2);
        assertThat(n.get("tensor_list").get(0).get("file").asText()).isEqualTo("pytorch_model.bin");
    }

    @Test
    void aMergeOfTorchModelsWritesTheBytesOfTheSafetensorsOnes() throws Exception {
        Path recipe = Files.writeString(dir.resolve("r.yaml"), """
            merge_method: linear
            models:
              - {model: m0, parameters: {weight: 0.6}}
              - {model: m1, parameters: {weight: 0.4}}
            """);
        for (String kind : new String[] {"bin", "st"}) {
            Cli.Result r = Cli.run("merge", recipe.toString(), dir.resolve("out-" + kind).toString(),
                    "--models-dir", dir.resolve(kind).toString());
            assertThat(r.exit()).as(r.err()).isZero();
        }
        assertThat(Files.readAllBytes(dir.resolve("out-bin/model.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve("out-st/model.safetensors")));
    }

    @Test
    void aTruncatedTorchFileExitsThreeWithOneLine() throws Exception {
        Path bad = Files.createDirectories(dir.resolve("bad"));
        Path f = Files.copy(dir.resolve("bin/m1/pytorch_model.bin"), bad.resolve("pytorch_model.bin"));
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() - 30);
        }
        Cli.Result r = Cli.run("inspect", bad.toString());
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains(f.toString()).contains("ZIP end-of-central-directory");
    }
}
