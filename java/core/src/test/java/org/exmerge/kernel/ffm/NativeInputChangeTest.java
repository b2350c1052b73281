package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.exmerge.testing.InputChanges.EXME;
import static org.exmerge.testing.InputChanges.TIES;
import static org.exmerge.testing.InputChanges.TIES_MODEL_SCOPE;
import static org.exmerge.testing.InputChanges.file;

import java.nio.file.Path;
import org.exmerge.error.InputChangedException;
import org.exmerge.testing.InputChanges;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 15 on the native backend, in this JVM: a C kernel reading a mapped input truncated under the
 * merge returns MK_E_FAULT (before the SIGBUS guard, this killed the test JVM with exit 134 and an
 * hs_err file), and the run fails with the input that changed. Twin of engine.InputChangeTest.
 */
class NativeInputChangeTest {
    @TempDir
    Path dir;

    @BeforeEach
    void models() throws Exception {
        NativeTestSupport.requireNative();
        InputChanges.writeModels(dir);
    }

    @ParameterizedTest
    @ValueSource(strings = {EXME, TIES})
    void truncatedMidTensorFaultsInTheKernelAndNamesTheFile(String yaml) {
        Path base = file(dir, "base");
        InputChangedException e = InputChanges.mergeFails(dir, yaml, "out", "native",
                InputChanges.at(1, () -> InputChanges.truncate(base, 4096)));
        InputChanges.assertNames(e, base);
        assertThat(e.getCause()).as("the kernel's fault").isInstanceOfSatisfying(NativeException.class,
                n -> assertThat(n.status()).isEqualTo(NativeException.Status.FAULT));
    }

    @Test
    void truncatedTorchFileFaultsInTheKernelAndNamesTheFile() throws Exception {
        Path torch = dir.resolve("torch");
        InputChanges.writeTorchModels(torch);
        Path base = InputChanges.torchFile(torch, "base");
        InputChangedException e = InputChanges.mergeFails(torch, TIES, "out", "native",
                InputChanges.at(1, () -> InputChanges.truncate(base, 4096)));
        InputChanges.assertNames(e, base);
        assertThat(e.getCause()).isInstanceOf(NativeException.class);
    }

    /** sft1's tensors are LoRA-adapted as each is bound: mk_lora_rows reads the truncated weights. */
    @Test
    void truncatedUnderAnAdaptedModelFaultsInTheKernel() throws Exception {
        InputChanges.writeAdapter(dir);
        Path sft = file(dir, "sft1");
        InputChangedException e = InputChanges.mergeFails(dir, InputChanges.EXME_ADAPTED, "out", "native",
                InputChanges.at(1, () -> InputChanges.truncate(sft, 4096)));
        InputChanges.assertNames(e, sft);
        assertThat(e.getCause()).as("the kernel's fault").isInstanceOfSatisfying(NativeException.class,
                n -> assertThat(n.status()).isEqualTo(NativeException.Status.FAULT));
    }

    @Test
    void truncatedDuringTheModelScopeSurvey() throws Exception {
        Path sft = file(dir, "sft2");
        InputChangedException e = InputChanges.executeFails(dir, TIES_MODEL_SCOPE, "out",
                InputChanges.hooked(NativeKernels.instance(), () -> InputChanges.truncate(sft, 4096)));
        InputChanges.assertNames(e, sft);
        assertThat(e.getCause()).isInstanceOf(NativeException.class);
    }

    @Test
    void sameSizeRewriteIsCaughtBeforeTheCommit() {
        Path sft = file(dir, "sft2");
        InputChangedException e = InputChanges.mergeFails(dir, EXME, "out", "native",
                InputChanges.at(3, () -> InputChanges.rewriteInPlace(sft, file(dir, "sft1"))));
        InputChanges.assertNames(e, sft);
    }
}
