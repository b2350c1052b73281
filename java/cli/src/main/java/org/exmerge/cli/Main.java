package org.exmerge.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** The exmerge command line. Exit codes: 0 ok, 2 usage/config, 3 input file, 4 output/IO, 130 cancelled. */
public final class Main implements Runnable {
    /** The subcommands, in the order help lists them. */
    private static final List<String> COMMANDS = List.of("merge", "multi", "exme", "search", "inspect", "methods", "synth", "extract-lora", "doctor");

    private CommandSpec spec;

    public static void main(String[] args) {
        HeadStart.begin(args);
        CtrlC.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        CtrlC.forget();
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
            // One line, as every error: the usage text would bury it (--help prints that).
            CommandLine at = e.getCommandLine();
            String hint = at.getParent() == null ? "commands: " + String.join(", ", COMMANDS) + "; exmerge --help says more"
                    : at.getCommandSpec().qualifiedName() + " --help lists the options";
            String mergekit = e instanceof CommandLine.UnmatchedArgumentException u ? MergekitFlags.hint(u.getUnmatched()) : null;
            if (mergekit != null) {
                hint = mergekit + "; " + hint;
            }
            System.err.println("exmerge: error: " + e.getMessage() + " (" + hint + ")");
            if (json) {
                CliProgress.emit(CliProgress.event("error").put("message", e.getMessage()).put("exit", ExitCodes.USAGE));
            }
            return ExitCodes.USAGE;
        });
        try {
            return outcome(cli.execute(args));
        } finally {
            CtrlC.reported();
        }
    }

    private static int outcome(int code) {
        // System.out is a PrintStream: a failed write (stdout on a full disk, a closed pipe) sets a
        // flag instead of throwing, and a --json consumer would get a cut stream with exit 0.
        if (System.out.checkError() && code != ExitCodes.CANCELLED) {
            if (code == ExitCodes.OK && CtrlC.published() != null) {
                // The exit code says what happened to the output, and it is in place: a non-zero
                // status would tell a script the run failed and, with --overwrite, that the old
                // model is still there.
                System.err.println("exmerge: warning: standard output: write failed (disk full or closed pipe); what was printed is"
                        + " incomplete, but the model is complete at " + CtrlC.published().toAbsolutePath().normalize());
                return code;
            }
            System.err.println("exmerge: error: standard output: write failed (disk full or closed pipe); what was printed is incomplete");
            return code == ExitCodes.OK ? ExitCodes.OUTPUT : code;
        }
        return code;
    }

    /**
     * The command line with only the subcommand the first argument names, none for {@code --version},
     * and all of them otherwise (top-level help, an unknown command): what a run does not use is
     * not built.
     */
    static CommandLine commandLine(String... args) {
        Main main = new Main();
        main.spec = Specs.command(main, "exmerge",
                "Merge LLM checkpoints (safetensors, PyTorch .bin): ExMe, EXPO, linear, task arithmetic and more.");
        String first = args.length == 0 ? "" : args[0];
        if (!first.equals("-V") && !first.equals("--version")) {
            boolean named = COMMANDS.contains(first);
            for (String c : COMMANDS) {
                if (!named || c.equals(first)) {
                    main.spec.addSubcommand(c, spec(c));
                }
            }
        }
        return new CommandLine(main.spec);
    }

    private static CommandSpec spec(String command) {
        return switch (command) {
            case "merge" -> new MergeCommand().spec();
            case "multi" -> new MultiCommand().spec();
            case "exme" -> new ExmeCommand().spec();
            case "search" -> new SearchCommand().spec();
            case "inspect" -> new InspectCommand().spec();
            case "methods" -> new MethodsCommand().spec();
            case "synth" -> new SynthCommand().spec();
            case "extract-lora" -> new ExtractLoraCommand().spec();
            case "doctor" -> new DoctorCommand().spec();
            default -> throw new IllegalArgumentException(command);
        };
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
