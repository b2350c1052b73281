package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hub names of a mergekit recipe (org/name[@revision]) read from the Hugging Face cache, by --hub-cache or $HF_HUB_CACHE. */
class HubCacheCliTest {
    private static final String COMMIT = "4f7c2b1a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";

    @TempDir
    Path dir;
    Path cache;

    @BeforeEach
    void cacheOfSynthModels() throws IOException {
        Cli.Result r = Cli.run("synth", dir.resolve("m").toString(), "--size", "1MB", "--finetunes", "1", "--no-sync");
        assertThat(r.exit()).as(r.err()).isZero();
        cache = dir.resolve("hub");
        for (String model : List.of("base", "sft-1")) {
            Path repo = cache.resolve("models--acme--" + model);
            Path snap = Files.createDirectories(repo.resolve("snapshots/" + COMMIT));
            Path blobs = Files.createDirectories(repo.resolve("blobs"));
            try (Stream<Path> files = Files.list(dir.resolve("m").resolve(model))) {
                for (Path f : files.toList()) {
                    Files.copy(f, blobs.resolve(f.getFileName() + ".blob"));
                    Files.createSymbolicLink(snap.resolve(f.getFileName()), Path.of("../../blobs", f.getFileName() + ".blob"));
                }
            }
            Files.createDirectories(repo.resolve("refs"));
            Files.writeString(repo.resolve("refs/main"), COMMIT);
        }
    }

    @Test
    void aRecipeOfHubNamesMergesFromTheCache() throws Exception {
        Path recipe = Files.writeString(dir.resolve("r.yaml"), """
                merge_method: task_arithmetic
                base_model: acme/base
                models:
                  - model: acme/sft-1@main
                    parameters: {weight: 0.7}
                """);
        Cli.Result hub = Cli.run("merge", recipe.toString(), dir.resolve("out").toString(), "--hub-cache", cache.toString(), "--no-sync");
        assertThat(hub.exit()).as(hub.err()).isZero();
        assertThat(dir.resolve("out/tokenizer.json")).hasSameBinaryContentAs(dir.resolve("m/base/tokenizer.json"));

        Cli.Result missing = Cli.run("merge", recipe.toString(), dir.resolve("out2").toString(), "--hub-cache", dir.resolve("none").toString());
        assertThat(missing.exit()).isEqualTo(3);
        assertThat(missing.err().strip().lines()).as(missing.err()).singleElement().asString()
                .startsWith("exmerge: error: model 'acme/").contains("no such file or directory")
                .contains("the Hugging Face cache " + dir.resolve("none") + " has no models--acme--");
        assertThat(dir.resolve("out2")).doesNotExist();
    }

    @Test
    void inspectReadsAHubNameFromHfHubCache() throws Exception {
        ProcessBuilder pb = Cli.child(List.of(), "inspect", "acme/sft-1@main", "--summary").directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("HF_HUB_CACHE", cache.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).contains(cache.resolve("models--acme--sft-1/snapshots/" + COMMIT).toString());
        Cli.Result flag = Cli.run("inspect", "acme/sft-1@main", "--summary", "--hub-cache", cache.toString());
        assertThat(flag.exit()).as(flag.err()).isZero();
        assertThat(flag.out()).contains(cache.resolve("models--acme--sft-1/snapshots/" + COMMIT).toString());
    }

    @Test
    void extractLoraReadsHubNamesAndNamesTheBaseAsGiven() throws Exception {
        Cli.Result hub = Cli.run("extract-lora", "--base", "acme/base", "--model", "acme/sft-1@main", dir.resolve("a-hub").toString(),
                "--max-rank", "2", "--hub-cache", cache.toString(), "--no-sync");
        assertThat(hub.exit()).as(hub.err()).isZero();
        Cli.Result local = Cli.run("extract-lora", "--base", dir.resolve("m/base").toString(), "--model", dir.resolve("m/sft-1").toString(),
                dir.resolve("a-local").toString(), "--max-rank", "2", "--no-sync");
        assertThat(local.exit()).as(local.err()).isZero();
        assertThat(dir.resolve("a-hub/adapter_model.safetensors")).hasSameBinaryContentAs(dir.resolve("a-local/adapter_model.safetensors"));
        assertThat(Files.readString(dir.resolve("a-hub/adapter_config.json"))).contains("\"base_model_name_or_path\" : \"acme/base\"");
    }
}
