package org.exmerge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The library's packages depend on each other in one direction: no import circle, however long. A
 * new backend plugs in through {@code kernel.KernelProvider} (ServiceLoader), so {@code kernel} never
 * names one of its implementations. Edges are read from the sources of every module (the library,
 * the CUDA backend, the CLI): imports and fully qualified names in code.
 */
class PackageCyclesTest {
    private static final List<String> MODULES = List.of("java/core", "java/cuda", "java/cli");
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern REFERENCE = Pattern.compile("\\b(org\\.exmerge(?:\\.[a-z]\\w*)*)\\.[A-Z]");

    @Test
    void noPackageImportsItselfThroughOthers() throws IOException {
        Map<String, Set<String>> edges = edges();
        assertThat(edges).containsKeys("org.exmerge.kernel", "org.exmerge.cuda", "org.exmerge.cli");
        List<List<String>> cycles = stronglyConnected(edges).stream().filter(c -> c.size() > 1).toList();
        assertThat(cycles).as("package circles (each group reaches itself)").isEmpty();
    }

    @Test
    void kernelNamesNoBackend() throws IOException {
        assertThat(edges().get("org.exmerge.kernel")).noneMatch(p -> p.startsWith("org.exmerge.kernel."));
    }

    @Test
    void theCheckSeesACircle() {
        Map<String, Set<String>> edges = new TreeMap<>();
        edges.put("a", Set.of("b"));
        edges.put("b", Set.of("c"));
        edges.put("c", Set.of("a"));
        edges.put("d", Set.of("a"));
        assertThat(stronglyConnected(edges).stream().filter(c -> c.size() > 1).toList())
                .containsExactly(List.of("a", "b", "c"));
    }

    private static Map<String, Set<String>> edges() throws IOException {
        Map<String, Set<String>> edges = new TreeMap<>();
        Path root = repositoryRoot();
        for (String module : MODULES) {
            addEdges(root.resolve(module).resolve("src/main/java"), edges);
        }
        return edges;
    }

    /** The directory holding java/core, found from wherever the test runs (any module's directory). */
    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("java/core/src/main/java"))) {
                return p;
            }
        }
        throw new IllegalStateException("no java/core above " + Path.of("").toAbsolutePath());
    }

    private static void addEdges(Path sources, Map<String, Set<String>> edges) throws IOException {
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = withoutComments(Files.readString(f));
                Matcher pm = PACKAGE.matcher(text);
                if (!pm.find()) {
                    continue;
                }
                String from = pm.group(1);
                Set<String> to = edges.computeIfAbsent(from, k -> new TreeSet<>());
                Matcher rm = REFERENCE.matcher(text.substring(pm.end()));
                while (rm.find()) {
                    if (!rm.group(1).equals(from)) {
                        to.add(rm.group(1));
                    }
                }
            }
        }
    }

    // Javadoc may name any class ({@link}) without making a dependency.
    private static String withoutComments(String s) {
        return s.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
    }

    /** Tarjan's strongly connected components, each sorted, in order of their first member. */
    static List<List<String>> stronglyConnected(Map<String, Set<String>> edges) {
        Tarjan t = new Tarjan(edges);
        for (String v : edges.keySet()) {
            if (!t.index.containsKey(v)) {
                t.visit(v);
            }
        }
        t.out.sort((a, b) -> a.getFirst().compareTo(b.getFirst()));
        return t.out;
    }

    private static final class Tarjan {
        final Map<String, Set<String>> edges;
        final Map<String, Integer> index = new TreeMap<>();
        final Map<String, Integer> low = new TreeMap<>();
        final List<String> stack = new ArrayList<>();
        final Set<String> onStack = new TreeSet<>();
        final List<List<String>> out = new ArrayList<>();

        Tarjan(Map<String, Set<String>> edges) {
            this.edges = edges;
        }

        void visit(String v) {
            index.put(v, index.size());
            low.put(v, index.get(v));
            stack.add(v);
            onStack.add(v);
            for (String w : edges.getOrDefault(v, Set.of())) {
                if (!index.containsKey(w)) {
                    visit(w);
                    low.put(v, Math.min(low.get(v), low.get(w)));
                } else if (onStack.contains(w)) {
                    low.put(v, Math.min(low.get(v), index.get(w)));
                }
            }
            if (low.get(v).equals(index.get(v))) {
                List<String> c = new ArrayList<>();
                String w;
                do {
                    w = stack.removeLast();
                    onStack.remove(w);
                    c.add(w);
                } while (!w.equals(v));
                c.sort(null);
                out.add(c);
            }
        }
    }
}
