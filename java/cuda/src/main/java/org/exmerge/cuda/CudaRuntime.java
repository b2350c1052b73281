package org.exmerge.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * Brings up the CUDA backend once per JVM: the fatbin from the jar, JCuda's native library (which
 * needs the NVIDIA driver's libcuda), device 0, its compute capability and memory, the module. Each
 * step that fails becomes the one-line reason {@code --backend cuda} fails with and {@code auto}
 * logs, with the details for {@code exmerge doctor}.
 */
final class CudaRuntime {
    /** Where the build puts the fatbin in the jar. */
    static final String FATBIN = "/cuda/exmerge.fatbin";
    /** -Dexmerge.cuda.memory: device bytes the backend may use (default: 80% of what is free at start). */
    static final String MEMORY_PROPERTY = "exmerge.cuda.memory";
    /** Less free device memory than this and {@code auto} does not take CUDA. */
    static final long MIN_FREE = 1L << 30;
    static final long HALF_BYTES = 64L << 20;

    /** The outcome: kernels, or a reason and its cause; details for doctor either way. */
    record State(CudaKernels kernels, String reason, Throwable cause, List<String> details, boolean driverPresent) {}

    private static volatile State state;

    private CudaRuntime() {}

    static State state() {
        State s = state;
        if (s == null) {
            synchronized (CudaRuntime.class) {
                s = state;
                if (s == null) {
                    s = start();
                    state = s;
                }
            }
        }
        return s;
    }

    private static State start() {
        List<String> details = new ArrayList<>();
        try {
            JCudaDriver.setExceptionsEnabled(false);
        } catch (LinkageError e) {
            return new State(null, driverMissing(String.valueOf(e.getMessage()), details), e, List.copyOf(details), false);
        }
        byte[] fatbin;
        try (InputStream in = CudaRuntime.class.getResourceAsStream(FATBIN)) {
            if (in == null) {
                return no("this build has no CUDA kernels (" + FATBIN + " absent: built where nvcc was not found)", null,
                        details);
            }
            fatbin = in.readAllBytes();
        } catch (IOException e) {
            return no("cannot read " + FATBIN + ": " + e.getMessage(), e, details);
        }
        try {
            details.add("fatbin " + FatbinInfo.read(fatbin));
        } catch (IllegalArgumentException e) {
            return no("the jar's " + FATBIN + " is damaged: " + e.getMessage(), e, details);
        }
        try {
            return open(fatbin, details);
        } catch (CudaException e) {
            return no(e.getMessage(), e, details);
        } catch (LinkageError e) {
            return no("JCuda failed: " + e, e, details);
        }
    }

    private static State open(byte[] fatbin, List<String> details) {
        int init = JCudaDriver.cuInit(0);
        if (init == 100) {
            return no("no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE)", null, details);
        }
        CudaErrors.check(init, "cuInit");
        int[] v = new int[1];
        CudaErrors.check(JCudaDriver.cuDriverGetVersion(v), "cuDriverGetVersion");
        details.add("driver CUDA " + v[0] / 1000 + "." + v[0] % 1000 / 10);
        CudaErrors.check(JCudaDriver.cuDeviceGetCount(v), "cuDeviceGetCount");
        if (v[0] == 0) {
            return no("no CUDA device (the driver sees none)", null, details);
        }
        CUdevice dev = new CUdevice();
        CudaErrors.check(JCudaDriver.cuDeviceGet(dev, 0), "cuDeviceGet(0)");
        byte[] name = new byte[256];
        CudaErrors.check(JCudaDriver.cuDeviceGetName(name, name.length, dev), "cuDeviceGetName");
        int[] major = new int[1];
        int[] minor = new int[1];
        CudaErrors.check(JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                dev), "cuDeviceGetAttribute");
        CudaErrors.check(JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                dev), "cuDeviceGetAttribute");
        long[] total = new long[1];
        CudaErrors.check(JCudaDriver.cuDeviceTotalMem(total, dev), "cuDeviceTotalMem");
        String device = new String(name, java.nio.charset.StandardCharsets.UTF_8).trim().replace("\0", "");
        details.add("device 0: " + device + ", compute capability " + major[0] + "." + minor[0] + ", "
                + total[0] / (1 << 20) + " MiB");
        if (major[0] < 8) {
            return no("the GPU (" + device + ", compute capability " + major[0] + "." + minor[0]
                    + ") is older than the fatbin's sm_80", null, details);
        }
        JCudaDevice d = new JCudaDevice(dev, fatbin);
        long free = d.freeBytes();
        details.add("free " + free / (1 << 20) + " MiB");
        if (free < MIN_FREE) {
            return no("too little free GPU memory (" + free / (1 << 20) + " MiB, " + MIN_FREE / (1 << 20)
                    + " MiB needed)", null, details);
        }
        long budget = budget(free, System.getProperty(MEMORY_PROPERTY));
        CudaKernels k = new CudaKernels(d, budget, HALF_BYTES);
        details.add("memory budget " + budget / (1 << 20) + " MiB (-D" + MEMORY_PROPERTY + "), " + k.lanes()
                + " lanes of 2 x " + HALF_BYTES / (1 << 20) + " MiB");
        return new State(k, null, null, List.copyOf(details), true);
    }

    /** The device bytes to use: {@code property} if given (bytes), else 80% of {@code free}. */
    static long budget(long free, String property) {
        if (property != null && !property.isBlank()) {
            try {
                return Math.max(2 * HALF_BYTES, Long.parseLong(property.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-D" + MEMORY_PROPERTY + " must be a number of bytes, got '" + property + "'");
            }
        }
        return free / 5 * 4;
    }

    /**
     * One line for JCuda's load failure (its message is a page of nested traces): the driver library
     * it could not find where that is the cause; the lines that say why go to doctor's details.
     */
    static String driverMissing(String message, List<String> details) {
        List<String> lines = message.lines().map(String::strip).filter(l -> l.contains("UnsatisfiedLinkError")).toList();
        lines.forEach(l -> details.add("tried: " + l));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(libcuda\\.so[.0-9]*)").matcher(message);
        if (m.find()) {
            return "no NVIDIA driver: " + m.group(1) + " not found, so JCuda's driver library cannot load";
        }
        return "no NVIDIA driver: JCuda's native library did not load (" + message.lines().findFirst().orElse("") + ")";
    }

    private static State no(String reason, Throwable cause, List<String> details) {
        return new State(null, reason, cause, List.copyOf(details), true);
    }
}
