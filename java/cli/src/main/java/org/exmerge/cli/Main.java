package org.exmerge.cli;

import org.exmerge.format.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The exmerge command line. Exit codes: 0 ok, 2 usage/config, 3 input file, 4 output/IO, 130 cancelled. */
@Command(name = "exmerge", mixinStandardHelpOptions = true, version = "exmerge " + Version.VERSION,
        description = "Merge LLM checkpoints (safetensors): ExMe, EXPO, linear, task arithmetic and more.",
        subcommands = {MergeCommand.class, ExmeCommand.class, SearchCommand.class, InspectCommand.class, MethodsCommand.class, SynthCommand.class, DoctorCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        boolean json = java.util.Arrays.asList(args).contains("--json");
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            System.err.println("exmerge: error: " + ExitCodes.message(e));
            if (json) {
                CliProgress.emit(CliProgress.event("error").put("message", ExitCodes.message(e)).put("exit", ExitCodes.of(e)));
            }
            if (ExitCodes.of(e) == ExitCodes.INTERNAL || Boolean.getBoolean("exmerge.trace")) {
                e.printStackTrace();
            }
            return ExitCodes.of(e);
        });
        cli.setParameterExceptionHandler((e, a) -> {
            System.err.println("exmerge: " + e.getMessage());
            e.getCommandLine().usage(System.err);
            return ExitCodes.USAGE;
        });
        int code = cli.execute(args);
        // System.out is a PrintStream: a failed write (stdout on a full disk, a closed pipe) sets a
        // flag instead of throwing, and a --json consumer would get a cut stream with exit 0.
        if (System.out.checkError() && code != ExitCodes.CANCELLED) {
            System.err.println("exmerge: error: standard output: write failed (disk full or closed pipe); what was printed is incomplete");
            return code == ExitCodes.OK ? ExitCodes.OUTPUT : code;
        }
        return code;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
