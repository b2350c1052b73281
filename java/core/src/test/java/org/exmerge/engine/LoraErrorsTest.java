package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.exmerge.error.ExmergeException;
import org.exmerge.format.DType;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.LoraAdapters;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adapter exmerge cannot apply as peft would is refused while planning, before any output exists,
 * with one line naming the adapter's file and the tensor (or the config key), as an input error.
 */
class LoraErrorsTest {
    private static final String Q = "model.layers.0.self_attn.q_proj";

    @TempDir
    static Path dir;

    @BeforeAll
    static void base() throws IOException {
        TestModels.write(dir.resolve("base"),
                new T(Q + ".weight", DType.F32, new long[] {4, 4}, TestModels.random(1, 16, 0.5f)),
                new T("model.norm.weight", DType.F32, new long[] {4}, TestModels.random(2, 4, 0.5f)),
                new T("model.steps", DType.I64, new long[] {1}, new float[] {3}));
    }

    private static T a(String module, int r, int in) {
        return new T(module + ".lora_A.weight", DType.F32, new long[] {r, in}, TestModels.random(3, r * in, 0.5f));
    }

    private static T b(String module, int out, int r) {
        return new T(module + ".lora_B.weight", DType.F32, new long[] {out, r}, TestModels.random(4, out * r, 0.5f));
    }

    /** Merging base+{@code adapter} fails with an input error whose one line holds {@code parts}; nothing is written. */
    private static void refused(String adapter, String... parts) {
        String out = "out-" + adapter;
        Throwable e = catchThrowable(() -> EngineRuns.merge(dir, "merge_method: linear\nmodels:\n  - model: base+" + adapter
                + "\n    parameters: {weight: 1}\n", out, EngineRuns.opts(dir, 1, 64)));
        assertThat(e).isInstanceOf(ExmergeException.class);
        assertThat(((ExmergeException) e).kind()).isEqualTo(ExmergeException.Kind.INPUT);
        assertThat(e.getMessage()).doesNotContain("\n");
        for (String p : parts) {
            assertThat(e.getMessage()).contains(p);
        }
        assertThat(dir.resolve(out)).doesNotExist();
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("." + out));
        } catch (IOException x) {
            throw new java.io.UncheckedIOException(x);
        }
    }

    private static String file(String adapter) {
        return dir.resolve(adapter).resolve("adapter_model.safetensors") + ": tensor 'base_model.model.";
    }

    @Test
    void dora() throws IOException {
        LoraAdapters.write(dir.resolve("dora"), "\"r\": 2, \"use_dora\": true", a(Q, 2, 4), b(Q, 4, 2));
        refused("dora", dir.resolve("dora/adapter_config.json") + ": 'use_dora' is set: DoRA");
        LoraAdapters.write(dir.resolve("magnitude"), "\"r\": 2", a(Q, 2, 4), b(Q, 4, 2),
                new T(Q + ".lora_magnitude_vector", DType.F32, new long[] {4}, new float[4]));
        refused("magnitude", file("magnitude") + Q + ".lora_magnitude_vector': is a DoRA magnitude; DoRA adapters are not supported");
    }

    @Test
    void otherPeftTypes() throws IOException {
        LoraAdapters.write(dir.resolve("loha"), "\"r\": 2", a(Q, 2, 4), b(Q, 4, 2));
        Files.writeString(dir.resolve("loha/adapter_config.json"), "{\"peft_type\": \"LOHA\", \"r\": 2}");
        refused("loha", dir.resolve("loha/adapter_config.json") + ": peft_type 'LOHA' is not supported; exmerge applies LoRA adapters");
        Files.writeString(dir.resolve("loha/adapter_config.json"), "{\"r\": 2}");
        refused("loha", "'peft_type' is missing");
        Files.writeString(dir.resolve("loha/adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 2,");
        refused("loha", dir.resolve("loha/adapter_config.json") + ": not valid JSON");
    }

    @Test
    void missingFiles() throws IOException {
        LoraAdapters.write(dir.resolve("noconfig"), "\"r\": 2", a(Q, 2, 4), b(Q, 4, 2));
        Files.delete(dir.resolve("noconfig/adapter_config.json"));
        refused("noconfig", dir.resolve("noconfig/adapter_config.json") + ": no such file");
        LoraAdapters.write(dir.resolve("noweights"), "\"r\": 2", a(Q, 2, 4), b(Q, 4, 2));
        Files.delete(dir.resolve("noweights/adapter_model.safetensors"));
        refused("noweights", dir.resolve("noweights/adapter_model.safetensors") + ": no such file (a PEFT LoRA adapter directory"
                + " holds it, or adapter_model.bin, beside adapter_config.json)");
        refused("nowhere", "model 'base+nowhere': LoRA adapter 'nowhere': no such file or directory: " + dir.resolve("nowhere"));
    }

    @Test
    void aModuleTheModelLacks() throws IOException {
        String missing = "model.layers.7.self_attn.q_proj";
        LoraAdapters.write(dir.resolve("missing"), "\"r\": 2", a(Q, 2, 4), b(Q, 4, 2), a(missing, 2, 4), b(missing, 4, 2));
        refused("missing", file("missing") + missing + ".lora_A.weight': changes '" + missing
                + ".weight', which model 'base+missing' does not have");
        LoraAdapters.write(dir.resolve("saved"), "\"r\": 2", new T("lm_head.weight", DType.F32, new long[] {4, 4}, new float[16]));
        refused("saved", file("saved") + "lm_head.weight': changes 'lm_head.weight', which model 'base+saved' does not have");
        LoraAdapters.write(dir.resolve("int"), "\"r\": 2", new T("model.steps", DType.F32, new long[] {1}, new float[1]));
        refused("int", file("int") + "model.steps': changes 'model.steps', which is I64 in model 'base+int'; only float tensors");
    }

    @Test
    void shapesAndRanksThatDoNotFit() throws IOException {
        LoraAdapters.write(dir.resolve("shape"), "\"r\": 2", a(Q, 2, 4), b(Q, 5, 2));
        refused("shape", file("shape") + Q + ".lora_B.weight': has shape [5, 2] and base_model.model." + Q
                + ".lora_A.weight [2, 4], which do not fit '" + Q + ".weight' [4, 4] of model 'base+shape'");
        LoraAdapters.write(dir.resolve("rank"), "\"r\": 8", a(Q, 2, 4), b(Q, 4, 2));
        refused("rank", file("rank") + Q + ".lora_A.weight': has rank 2, but adapter_config.json means r=8 for module '" + Q + "' (by its rank_pattern, else its r, else peft's default 8)");
        LoraAdapters.write(dir.resolve("inner"), "\"r\": 2", a(Q, 2, 4), b(Q, 4, 3));
        refused("inner", file("inner") + Q + ".lora_B.weight': has shape [4, 3], but base_model.model." + Q + ".lora_A.weight has rank 2");
        LoraAdapters.write(dir.resolve("half"), "\"r\": 2", a(Q, 2, 4));
        refused("half", file("half") + Q + ".lora_A.weight': has no lora_B beside it");
        LoraAdapters.write(dir.resolve("norm"), "\"r\": 2", new T("model.norm.modules_to_save.default.weight", DType.F32, new long[] {5}, new float[5]));
        refused("norm", file("norm") + "model.norm.modules_to_save.default.weight': replaces 'model.norm.weight', but has shape [5]");
        LoraAdapters.write(dir.resolve("named"), "\"r\": 2", a(Q, 2, 4), b(Q, 4, 2),
                new T(Q + ".lora_A.default.weight", DType.F32, new long[] {2, 4}, new float[8]));
        refused("named", file("named") + Q + ".lora_A.default.weight': is not a LoRA tensor exmerge applies");
    }

    @Test
    void aTruncatedAdapterFile() throws IOException {
        LoraAdapters.write(dir.resolve("cut"), "\"r\": 2", a(Q, 2, 4), b(Q, 4, 2));
        Path f = dir.resolve("cut/adapter_model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() - 5);
        }
        refused("cut", f.toString());
    }
}
