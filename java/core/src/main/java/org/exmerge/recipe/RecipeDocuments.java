package org.exmerge.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A file of several recipes, one per YAML document ({@code ---}), as mergekit-multimerge reads it:
 * each may carry a {@code name:} under which later documents refer to its result. Each document is
 * read as {@code merge} reads a recipe file, with its own text (what its output records) and with
 * error lines that keep the file's line numbers.
 */
public final class RecipeDocuments {
    /**
     * A document marker ({@code ---}) or end marker ({@code ...}) at the start of a line, followed by
     * nothing or by white space. YAML forbids both at column 0 inside any content, block scalars
     * included, so cutting the text at these lines is what a YAML parser does.
     */
    private static final Pattern MARKER = Pattern.compile("(---|\\.\\.\\.)([ \\t].*)?");
    /** Characters a name may not hold: a path separator, and the ones recipes read as model+adapter and name@revision. */
    private static final Pattern BAD_NAME = Pattern.compile(".*[/\\\\+@\\x00-\\x1f\\x7f].*");

    /**
     * One document.
     *
     * @param number its place among the file's non-empty documents, from 1
     * @param name   its {@code name:}, or null for the unnamed one
     * @param text   its text, without the marker line
     */
    public record Document(int number, String name, Recipe recipe, String text) {
        /** How messages name it: {@code document 2 (name: expo1)}. */
        public String label() {
            return "document " + number + (name == null ? " (unnamed)" : " (name: " + name + ")");
        }
    }

    private RecipeDocuments() {}

    /**
     * The non-empty documents of {@code text}, each read as a recipe; a name that is not a string or
     * not one plain path component, or two documents of one name, is an error naming the document.
     *
     * @param file the file's name, put in front of error messages
     */
    public static List<Document> parse(String text, String file) throws ConfigException {
        if (text.length() > RecipeReader.MAX_RECIPE_BYTES) {
            throw new ConfigException(file, "", "larger than " + RecipeReader.MAX_RECIPE_BYTES + " characters (1 MiB); recipes are small YAML files", null);
        }
        List<Document> docs = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        String[] lines = text.split("\n", -1);
        int start = 0;
        for (int i = 0; i <= lines.length; i++) {
            boolean end = i == lines.length || MARKER.matcher(stripCr(lines[i])).matches();
            if (!end) {
                continue;
            }
            // Content on the marker's own line ("--- {a: 1}") belongs to the document it opens.
            boolean opened = start > 0 && stripCr(lines[start - 1]).startsWith("---") && !lines[start - 1].substring(3).isBlank();
            List<String> part = new ArrayList<>();
            if (opened) {
                part.add("   " + lines[start - 1].substring(3));
            }
            part.addAll(List.of(lines).subList(start, i));
            String body = String.join("\n", part);
            if (!blank(body)) {
                // Blank lines before it keep the file's line numbers in the parser's messages.
                int firstLine = opened ? start - 1 : start;
                docs.add(read(docs.size() + 1, body, "\n".repeat(firstLine), file, seen));
            }
            start = i + 1;
        }
        if (docs.isEmpty()) {
            throw new ConfigException(file, "", "the config is empty", null);
        }
        return List.copyOf(docs);
    }

    private static Document read(int number, String body, String padding, String file, Map<String, Integer> seen) throws ConfigException {
        String where = file + ": document " + number;
        JsonNode root;
        try {
            root = YamlTree.read(padding + body);
        } catch (ConfigException e) {
            throw e.withSource(where);
        }
        String name = null;
        if (root.isObject() && root.has("name") && !root.get("name").isNull()) {
            JsonNode n = root.get("name");
            if (!n.isTextual()) {
                throw new ConfigException(where, "name", "expected a name (a string), got " + ConfigNodes.describe(n), null);
            }
            name = n.textValue();
            String bad = badName(name);
            if (bad != null) {
                throw new ConfigException(where, "name", ConfigNodes.quote(name) + " " + bad
                        + "; the result is written to INTERMEDIATE_DIR/<name>, so a name is one plain directory name", null);
            }
            where += " (name: " + name + ")";
            Integer earlier = seen.putIfAbsent(name, number);
            if (earlier != null) {
                throw new ConfigException(where, "name", "document " + earlier + " has this name too; each name is one result", null);
            }
        }
        try {
            return new Document(number, name, RecipeReader.recipe(root), body);
        } catch (ConfigException e) {
            throw e.withSource(where);
        }
    }

    /** Why {@code name} is not one plain path component, or null when it is. */
    static String badName(String name) {
        if (name.isBlank()) {
            return "is empty";
        }
        if (name.equals(".") || name.equals("..")) {
            return "names a directory by '.' or '..'";
        }
        if (name.startsWith(".")) {
            return "starts with '.' (hidden names are exmerge's temporaries)";
        }
        if (!name.equals(name.strip())) {
            return "starts or ends with white space";
        }
        if (BAD_NAME.matcher(name).matches()) {
            return "holds '/', '\\', '+', '@' or a control character";
        }
        return null;
    }

    private static boolean blank(String doc) {
        for (String l : doc.split("\n", -1)) {
            String s = l.strip();
            if (!s.isEmpty() && !s.startsWith("#")) {
                return false;
            }
        }
        return true;
    }

    private static String stripCr(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }
}
