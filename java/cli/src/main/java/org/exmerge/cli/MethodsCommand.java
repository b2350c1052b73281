package org.exmerge.cli;

import java.util.concurrent.Callable;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Methods;
import org.exmerge.method.ParamTable;
import org.exmerge.text.Plain;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Lists the merge methods, or one method's parameters as a table: the help for what goes under a
 * recipe's {@code parameters:}. Rendered from the methods' declarations, so it cannot drift from them.
 */
final class MethodsCommand implements Callable<Integer> {
    private final PositionalParamSpec name = Specs.positional(0, "NAME", String.class, "A merge_method name, e.g. ties.").arity("0..1").required(false).build();

    CommandSpec spec() {
        return Specs.add(Specs.command(this, "methods",
                "List the merge methods, or print one method's parameters (scope, type, default, range)."), name);
    }

    @Override
    public Integer call() {
        String name = this.name.getValue();
        if (name == null) {
            System.out.print(Plain.format("%-17s %-6s %-14s %s%n", "method", "models", "base", "parameters"));
            for (String n : Methods.names()) {
                System.out.println(ParamTable.summary(Methods.byName(n)));
            }
            System.out.println("\n'exmerge methods NAME' prints a method's parameters with their defaults.");
            return ExitCodes.OK;
        }
        MergeMethod m = Methods.byName(name);
        if (m == null) {
            String near = ParamTable.nearest(name, Methods.names());
            throw new IllegalArgumentException("unknown method '" + name + "' (known: " + String.join(", ", Methods.names()) + ")"
                    + (near == null ? "" : "; did you mean '" + near + "'?"));
        }
        System.out.println(ParamTable.summary(m));
        System.out.println();
        System.out.print(ParamTable.markdown(ParamTable.accepted(m)));
        return ExitCodes.OK;
    }
}
