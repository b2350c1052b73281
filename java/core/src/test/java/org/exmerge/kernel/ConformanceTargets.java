package org.exmerge.kernel;

import java.util.List;

/**
 * More targets for the conformance suite from other modules' tests, found by ServiceLoader on the
 * test class path (java/cuda registers its kernels on the emulated grid). The system property
 * {@code exmerge.conformance.targets} (comma-separated label prefixes) restricts a run to some
 * targets, so a module that scans this suite runs it on its own backends only.
 */
public interface ConformanceTargets {

    /** One extra target; {@code kernels} is null when it cannot run here, and {@code unavailable} says why. */
    record Extra(String label, Kernels kernels, String unavailable) {}

    List<Extra> targets();
}
