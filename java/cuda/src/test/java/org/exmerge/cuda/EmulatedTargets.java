package org.exmerge.cuda;

import java.util.List;
import java.util.Properties;
import org.exmerge.kernel.ConformanceTargets;

/**
 * Registers the CUDA backend on the emulated grid with exmerge-core's conformance suite, twice: with
 * roomy lanes, and with lanes so small that every call is cut into many sub-chunks (and DELLA rows
 * into groups), so the pipeline's staging and in-order retirement are checked on every case too.
 */
public final class EmulatedTargets implements ConformanceTargets {

    @Override
    public List<Extra> targets() {
        EmulatedDevice device = EmulatedDevice.get();
        if (device == null) {
            Properties marker = EmulatedDevice.marker();
            if (marker != null && Boolean.parseBoolean(marker.getProperty("configured"))) {
                throw new AssertionError("cmake configured cuda/ but built no emulator library: " + marker);
            }
            return List.of(new Extra("cuda-emulated", null, EmulatedDevice.unavailable()),
                    new Extra("cuda-emulated/small-lanes", null, EmulatedDevice.unavailable()));
        }
        return List.of(new Extra("cuda-emulated", new CudaKernels(device, 1L << 28, 8L << 20), null),
                new Extra("cuda-emulated/small-lanes", new CudaKernels(device, 1L << 20, 4096), null));
    }
}
