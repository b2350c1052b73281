package org.exmerge.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.exmerge.format.Version;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.KernelProvider;
import org.exmerge.text.Plain;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Prints what this machine and build can run: each backend of the provider list, available or why
 * not, and what it says about itself (library, ISA path, CPU, the ops it hands to the Java spec).
 * It names no backend: a new one shows up here by registering its provider.
 */
final class DoctorCommand implements Callable<Integer> {
    CommandSpec spec() {
        return Specs.command(this, "doctor", "Show each kernel backend's state, the CPU features and the native library in use.",
                "Each backend: available, or why not; the instruction-set path the native kernels use, and where the native"
                        + " library was loaded from.");
    }

    @Override
    public Integer call() {
        PrintStream out = System.out;
        out.println("exmerge " + Version.VERSION + " on " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", Java " + Runtime.version());
        for (KernelProvider p : Backends.providers()) {
            if (p.available()) {
                out.print(Plain.format("%-10s available%n", p.name()));
            } else {
                out.print(Plain.format("%-10s unavailable: %s%n", p.name(), p.unavailableReason()));
            }
            for (String line : p.describe()) {
                out.print(Plain.format("%-10s %s%n", "", line));
            }
        }
        out.print(Plain.format("%-10s chooses %s (-Dexmerge.backend or --backend forces one of %s)%n", "auto",
                Backends.auto(Backends.providers()).name(), Backends.NAMES.subList(1, Backends.NAMES.size())));
        return ExitCodes.OK;
    }
}
