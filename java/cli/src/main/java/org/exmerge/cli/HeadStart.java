package org.exmerge.cli;

import java.util.Set;

/**
 * Starts, on a second thread, the one slow class initialisation every command that reads a recipe or
 * a safetensors header meets, while this thread builds and parses the command line: jackson's
 * parser base class makes a BigDecimal, and JDK 25's BigDecimal squares its way to 5^(2^16) when
 * its class initialises, ~30 ms of interpreted arithmetic. Class initialisation runs once, so the
 * command's own first parse waits for what is left of it, or finds it done; nothing else is shared.
 */
final class HeadStart {
    /** The commands that parse YAML or JSON before their work starts. */
    private static final Set<String> PARSING = Set.of("merge", "exme", "search", "inspect");
    static final String PARSER_BASE = "com.fasterxml.jackson.core.base.ParserMinimalBase";

    private HeadStart() {}

    static void begin(String[] args) {
        if (args.length == 0 || !PARSING.contains(args[0])) {
            return;
        }
        Thread.ofPlatform().daemon().name("exmerge-head-start").start(() -> {
            try {
                Class.forName(PARSER_BASE, true, HeadStart.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                // only a head start: the command meets the same class, and any error, itself
            }
        });
    }
}
