package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a Ctrl-C's hook ends the process with, once the run it interrupted has stopped. */
class CtrlCTest {
    @BeforeEach
    @AfterEach
    void forget() { // an earlier run in this JVM published its output
        CtrlC.forget();
    }

    @Test
    void aSignalBeforeTheOutputIsInPlaceLeavesTheSignalsStatus() {
        CtrlC c = new CtrlC();
        c.token().cancel();
        c.close(); // the run has removed its temporary output
        assertThat(c.statusAfterSignal(0)).isEqualTo(-1); // the JVM ends with 130 (SIGINT) or 143 (SIGTERM)
    }

    @Test
    void aSignalAfterTheOutputIsInPlaceEndsWithTheRunsOwnStatus() {
        // Ctrl-C after the commit: OUT holds the new model (with --overwrite the old one is gone),
        // so "interrupted" would tell a script the opposite of what is on disk.
        CtrlC c = new CtrlC();
        c.token().cancel();
        CtrlC.published(Path.of("out"));
        c.close();
        assertThat(c.statusAfterSignal(0)).isZero();
    }
}
