package org.exmerge.cli;

import java.util.List;
import org.exmerge.format.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The exmerge command line. Exit codes: 0 ok, 2 usage/config, 3 input file, 4 output/IO, 130 cancelled. */
@Command(name = "exmerge", mixinStandardHelpOptions = true, version = "exmerge " + Version.VERSION,
        description = "Merge LLM checkpoints (safetensors): ExMe, EXPO, linear, task arithmetic and more.")
public final class Main implements Runnable {
    /** The subcommands, in the order help lists them. */
    private static final List<Class<?>> COMMANDS = List.of(MergeCommand.class, ExmeCommand.class, SearchCommand.class,
            InspectCommand.class, MethodsCommand.class, SynthCommand.class, DoctorCommand.class);

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        CommandLine cli = commandLine(args);
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

    /**
     * The command line with only the subcommand the first argument names, none for {@code --version},
     * and all of them otherwise (top-level help, an unknown command). picocli reflects over every
     * option of every command it is given, each run anew: the start-up cache holds its classes
     * (tools/UpgradeClassFiles.java), not the model it builds from them.
     */
    static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new Main());
        String first = args.length == 0 ? "" : args[0];
        if (first.equals("-V") || first.equals("--version")) {
            return cli;
        }
        boolean named = COMMANDS.stream().anyMatch(c -> name(c).equals(first));
        for (Class<?> c : COMMANDS) {
            if (!named || name(c).equals(first)) {
                cli.addSubcommand(name(c), c);
            }
        }
        return cli;
    }

    private static String name(Class<?> command) {
        return command.getAnnotation(Command.class).name();
    }

    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
