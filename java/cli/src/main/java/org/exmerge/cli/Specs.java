package org.exmerge.cli;

import org.exmerge.format.Version;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The commands' picocli models, built through picocli's programmatic API: each command holds its
 * options as {@link OptionSpec} fields and reads them with {@code getValue()} when it runs.
 * Annotations would cost every start 60–120 ms: picocli reads them by reflection, and the JDK
 * makes a proxy class for each annotation type in every JVM (the start-up cache keeps no proxies).
 */
final class Specs {
    private Specs() {}

    /** A command named {@code name} that runs {@code command} (a Runnable or Callable), with -h and -V. */
    static CommandSpec command(Object command, String name, String... description) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(command).name(name).version("exmerge " + Version.VERSION);
        spec.usageMessage().description(description);
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).description("Print version information and exit.").build());
        return spec;
    }

    /** {@code spec} with {@code args} (options and positionals) added, in this order. */
    static CommandSpec add(CommandSpec spec, ArgSpec... args) {
        for (ArgSpec a : args) {
            spec.add(a);
        }
        return spec;
    }

    /** An option without a value: false unless given. */
    static OptionSpec flag(String name, String... description) {
        return OptionSpec.builder(name).type(boolean.class).initialValue(false).description(description).build();
    }

    /** An option with one value of {@code type}, {@code initial} when not given (null: none). */
    static OptionSpec.Builder option(String name, String label, Class<?> type, Object initial, String... description) {
        OptionSpec.Builder b = OptionSpec.builder(name).paramLabel(label).type(type).description(description);
        return initial == null ? b : b.initialValue(initial);
    }

    /** A repeatable option whose values, each of {@code element} type, collect in a list. */
    static OptionSpec.Builder list(String name, String label, Class<?> element, String... description) {
        return OptionSpec.builder(name).paramLabel(label).type(java.util.List.class).auxiliaryTypes(element).description(description);
    }

    /** The positional parameter at {@code index}, required unless made optional (arity 0..1, required false). */
    static PositionalParamSpec.Builder positional(int index, String label, Class<?> type, String... description) {
        return PositionalParamSpec.builder().index(Integer.toString(index)).arity("1").required(true).paramLabel(label).type(type)
                .description(description);
    }
}
