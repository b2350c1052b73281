package org.exmerge.method;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Holds the defaults the README's Methods table and docs/methods.md state to the declarations the
 * code applies: a stated default that differs from its {@link Param} fails here, naming both.
 */
class ParamDocsTest {
    private static final Path ROOT = Path.of("../..");
    /** A backticked name followed by a parenthesised note: `density` (1), `consensus` (sum), … */
    private static final Pattern STATED = Pattern.compile("`(\\w+)` \\(([^()]*)\\)");

    @Test
    void theReadmeMethodsTableStatesTheDeclaredDefaults() throws IOException {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (String line : section(Files.readAllLines(ROOT.resolve("README.md")), "### Methods")) {
            String[] cells = line.split("\\|");
            if (cells.length < 4 || !cells[1].contains("`") || cells[1].contains("merge_method")) {
                continue;
            }
            List<String> methods = names(cells[1]);
            Matcher m = STATED.matcher(cells[cells.length - 1]);
            while (m.find()) {
                String stated = m.group(2).split(";")[0].trim();
                String[] perMethod = stated.split(" / ");
                for (int i = 0; i < methods.size(); i++) {
                    String s = perMethod.length == methods.size() ? perMethod[i].trim() : stated;
                    checked += check(methods.get(i), m.group(1), s, "README.md", problems);
                }
            }
        }
        assertThat(problems).isEmpty();
        assertThat(checked).as("defaults found in the README").isGreaterThan(20);
    }

    @Test
    void docsMethodsTablesStateTheDeclaredDefaults() throws IOException {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        String method = null;
        for (String line : Files.readAllLines(ROOT.resolve("docs/methods.md"))) {
            if (line.startsWith("#")) {
                String h = line.replaceAll("^#+\\s*", "").trim();
                method = Methods.byName(h) != null ? h : null;
                continue;
            }
            String[] cells = line.split("\\|");
            if (method == null || cells.length < 4 || !cells[1].trim().startsWith("`")) {
                continue;
            }
            String name = cells[1].trim().replace("`", "");
            // "true: one angle …", "none (plain copy)": the default is the first word.
            String stated = cells[3].trim().split("[:( ]")[0];
            checked += check(method, name, stated, "docs/methods.md", problems);
        }
        assertThat(problems).isEmpty();
        assertThat(checked).as("defaults found in docs/methods.md").isGreaterThan(10);
    }

    @Test
    void theGeneratedTableShowsTheDeclarations() {
        String t = ParamTable.markdown(Methods.byName("karcher").params());
        assertThat(t).contains("| `max_iter` | global | integer | 10 | in [0, 100000] |").contains("| `tol` | global | number | 1e-5 | ≥ 0 |");
        assertThat(ParamTable.nearest("densty", Methods.byName("ties").signature().modelParams())).isEqualTo("density");
        assertThat(ParamTable.nearest("xyz", Methods.byName("ties").signature().modelParams())).isNull();
    }

    /** 1 when a stated default was compared, 0 when the note is not a default (e.g. "l1/l2/linf" lists choices). */
    private static int check(String method, String name, String stated, String where, List<String> problems) {
        MergeMethod m = Methods.byName(method);
        if (m == null) {
            problems.add(where + ": no method '" + method + "'");
            return 0;
        }
        Param p = m.signature().param(name);
        if (p == null) {
            problems.add(where + ": " + method + " states '" + name + "', which it does not declare");
            return 0;
        }
        if (stated.matches("\\w+(/\\w+)+")) {
            if (!String.join("/", p.choices()).equals(stated)) {
                problems.add(where + ": " + method + "." + name + " lists " + stated + ", declared " + p.choices());
            }
            return 1;
        }
        if (!p.defaultText().equals(stated)) {
            problems.add(where + ": " + method + "." + name + " default is stated as '" + stated + "', declared '" + p.defaultText() + "'");
        }
        return 1;
    }

    private static List<String> names(String cell) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("`(\\w+)`").matcher(cell);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static List<String> section(List<String> lines, String heading) {
        int start = lines.indexOf(heading);
        assertThat(start).as(heading + " in README.md").isNotNegative();
        List<String> out = new ArrayList<>();
        for (String l : lines.subList(start + 1, lines.size())) {
            if (l.startsWith("#")) {
                break;
            }
            out.add(l);
        }
        return out;
    }
}
