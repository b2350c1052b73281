package org.exmerge.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.exmerge.Version;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.ffm.CpuFeatures;
import org.exmerge.kernel.ffm.ExmergeNative;
import org.exmerge.kernel.ffm.NativeLibrary;
import org.exmerge.kernel.ffm.NativeLoader;
import org.exmerge.kernel.ffm.NativeSupport;
import picocli.CommandLine.Command;

/** Prints what this machine and build can run: each backend and why not, the CPU, the ISA path, the library. */
@Command(name = "doctor", mixinStandardHelpOptions = true, description = {"Show each kernel backend's state (available, or why not), the CPU features found,",
        "the instruction-set path the native kernels use, and where the native library was loaded from."})
final class DoctorCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        PrintStream out = System.out;
        out.println("exmerge " + Version.VERSION + " on " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", Java " + Runtime.version());
        out.printf("%-10s %s%n", "java", "available (the reference kernels: SPEC.md, kernel/JavaKernels)");
        if (NativeSupport.isAvailable()) {
            NativeLoader.Loaded lib = NativeLibrary.loaded();
            out.printf("%-10s available: %s%n", "native", lib.path());
            out.printf("%-10s loaded from %s%n", "", lib.source());
            out.printf("%-10s ABI version %d%n", "", ExmergeNative.abiVersion());
        } else {
            Throwable cause = NativeSupport.unavailabilityCause();
            out.printf("%-10s unavailable: %s%n", "native", cause.getMessage());
            for (Throwable attempt : cause.getSuppressed()) {
                out.printf("%-10s   tried: %s%n", "", attempt.getMessage());
            }
            out.printf("%-10s looked for: -D%s, java.library.path, jar resource %s%n", "", NativeLoader.PROPERTY,
                    NativeLoader.resourceName());
        }
        out.printf("%-10s not part of this build%n", "cuda");
        out.printf("%-10s chooses %s%n", "auto", Backends.available().get(0));
        if (NativeSupport.isAvailable()) {
            out.printf("%-10s %s%n", "cpu", String.join(" ", CpuFeatures.names(ExmergeNative.cpuFeatures())));
            out.printf("%-10s %s (best this machine runs: %s; -D%s=scalar|avx2|avx512 forces one)%n", "isa path",
                    CpuFeatures.isaName(ExmergeNative.isa()), CpuFeatures.isaName(ExmergeNative.bestIsa()),
                    NativeSupport.ISA_PROPERTY);
        } else {
            out.printf("%-10s unknown (CPUID is read by the native library)%n", "cpu");
        }
        return ExitCodes.OK;
    }
}
