package org.exmerge.recipe;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one YAML document into a Jackson tree, resolving what mergekit's reader (PyYAML) resolves.
 * Jackson's own {@code readTree} turns an alias into the anchor's name as a string, so a config
 * using {@code &anchor}/{@code *alias} would be read silently wrong. This builder walks the token
 * stream instead: aliases to anchored maps and lists are resolved and {@code <<} merge keys applied.
 * A key written twice in one map is an error with its path (PyYAML silently keeps the last one,
 * which hides copy-paste mistakes in long recipes).
 */
final class YamlTree {
    private static final YAMLFactory FACTORY = new YAMLFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Far deeper than any recipe; stops a hostile file from exhausting the stack. */
    private static final int MAX_DEPTH = 64;
    private static final Pattern MARK = Pattern.compile("in 'reader', line (\\d+), column (\\d+)");

    private final YAMLParser parser;
    private final Map<String, JsonNode> anchors = new HashMap<>();

    private YamlTree(YAMLParser parser) {
        this.parser = parser;
    }

    /** The document's root node; an error if the text is empty, not YAML, or holds several documents. */
    static JsonNode read(String text) throws ConfigException {
        try (YAMLParser p = FACTORY.createParser(text)) {
            YamlTree tree = new YamlTree(p);
            if (p.nextToken() == null) {
                throw new ConfigException("", "the config is empty");
            }
            JsonNode root = tree.value("", 0);
            if (p.nextToken() != null) {
                throw new ConfigException("", "the file holds more than one YAML document ('---'); a recipe is one document (exmerge multi runs a chain of merges from one)");
            }
            return root;
        } catch (ConfigException e) {
            throw e;
        } catch (JsonProcessingException e) {
            throw new ConfigException(null, "", "not valid YAML" + where(e) + ": " + problem(e.getOriginalMessage()), e);
        } catch (IOException e) {
            // Reading from a String cannot fail for I/O reasons; anything here is a parse problem.
            throw new ConfigException(null, "", "not valid YAML: " + problem(e.getMessage()), e);
        }
    }

    /** Builds the value at the current token. */
    private JsonNode value(String path, int depth) throws IOException, ConfigException {
        if (depth > MAX_DEPTH) {
            throw new ConfigException(path, "nested more than " + MAX_DEPTH + " levels deep");
        }
        JsonToken t = parser.currentToken();
        String anchor = t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY ? parser.getObjectId() : null;
        JsonNode node = switch (t) {
            case START_OBJECT -> object(path, depth);
            case START_ARRAY -> array(path, depth);
            case VALUE_STRING -> parser.isCurrentAlias() ? alias(path) : NODES.textNode(parser.getText());
            case VALUE_NUMBER_INT -> integer();
            case VALUE_NUMBER_FLOAT -> floating(path);
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_NULL -> NODES.nullNode();
            default -> throw new ConfigException(path, "unsupported YAML value" + where(parser.currentTokenLocation()));
        };
        if (anchor != null) {
            anchors.put(anchor, node);
        }
        return node;
    }

    private JsonNode object(String path, int depth) throws IOException, ConfigException {
        Map<String, JsonNode> explicit = new LinkedHashMap<>();
        List<ObjectNode> merged = new ArrayList<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            int line = parser.currentTokenLocation().getLineNr();
            parser.nextToken();
            String childPath = path.isEmpty() ? key : path + "." + key;
            JsonNode child = value(childPath, depth + 1);
            if (key.equals("<<")) {
                addMergeSources(child, childPath, merged);
            } else if (explicit.putIfAbsent(key, child) != null) {
                throw new ConfigException(childPath, "key '" + key + "' appears twice in the same map (again at line " + line + ")");
            }
        }
        // YAML merge keys: keys written in the map win over merged ones, earlier merged maps over later.
        ObjectNode result = NODES.objectNode();
        for (ObjectNode m : merged) {
            for (Map.Entry<String, JsonNode> e : m.properties()) {
                if (!result.has(e.getKey())) {
                    result.set(e.getKey(), e.getValue());
                }
            }
        }
        explicit.forEach(result::set);
        return result;
    }

    private static void addMergeSources(JsonNode child, String path, List<ObjectNode> merged) throws ConfigException {
        if (child instanceof ObjectNode o) {
            merged.add(o);
            return;
        }
        if (child instanceof ArrayNode a) {
            for (JsonNode e : a) {
                if (!(e instanceof ObjectNode o)) {
                    throw new ConfigException(path, "a '<<' merge key takes a map or a list of maps");
                }
                merged.add(o);
            }
            return;
        }
        throw new ConfigException(path, "a '<<' merge key takes a map or a list of maps");
    }

    private JsonNode array(String path, int depth) throws IOException, ConfigException {
        ArrayNode result = NODES.arrayNode();
        int i = 0;
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            result.add(value(path + "[" + i + "]", depth + 1));
            i++;
        }
        return result;
    }

    private JsonNode alias(String path) throws IOException, ConfigException {
        String name = parser.getText();
        JsonNode target = anchors.get(name);
        if (target == null) {
            // Jackson reports anchors on maps and lists only; an alias to a single value cannot be resolved.
            throw new ConfigException(path, "alias '*" + name + "'" + where(parser.currentTokenLocation())
                    + " does not name an anchored map or list; anchors on single values are not supported, write the value");
        }
        return target; // shared, never mutated: the tree is read-only once built
    }

    private JsonNode integer() throws IOException {
        return switch (parser.getNumberType()) {
            case INT -> NODES.numberNode(parser.getIntValue());
            case LONG -> NODES.numberNode(parser.getLongValue());
            default -> NODES.numberNode(parser.getBigIntegerValue());
        };
    }

    private JsonNode floating(String path) throws IOException, ConfigException {
        String text = parser.getText();
        try {
            return NODES.numberNode(parser.getDoubleValue());
        } catch (JsonProcessingException e) {
            // Jackson cannot decode YAML's .inf / .nan spellings; keep them so validation can name the key.
            String s = text.toLowerCase(java.util.Locale.ROOT);
            if (s.equals(".inf") || s.equals("+.inf")) {
                return NODES.numberNode(Double.POSITIVE_INFINITY);
            } else if (s.equals("-.inf")) {
                return NODES.numberNode(Double.NEGATIVE_INFINITY);
            } else if (s.equals(".nan")) {
                return NODES.numberNode(Double.NaN);
            }
            throw new ConfigException(path, "cannot read number '" + text + "'");
        }
    }

    /**
     * Where the parser found the problem. SnakeYAML's message names the context's mark and then the
     * problem's; Jackson's location is sometimes the context's (a tab is reported on the line before
     * it), so the last mark in the message is preferred.
     */
    private static String where(JsonProcessingException e) {
        Matcher m = MARK.matcher(String.valueOf(e.getOriginalMessage()));
        String last = null;
        while (m.find()) {
            last = " at line " + m.group(1) + ", column " + m.group(2);
        }
        return last != null ? last : where(e.getLocation());
    }

    private static String where(JsonLocation loc) {
        return loc == null || loc.getLineNr() <= 0 ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    /**
     * The parser's own words without its source excerpt: SnakeYAML writes context and problem on
     * unindented lines and the excerpt, caret and "in 'reader'" lines indented; Jackson's location
     * suffix is indented too. The location is reported separately.
     */
    private static String problem(String s) {
        if (s == null) {
            return "unreadable input";
        }
        String text = String.join("; ", s.lines().filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0))).map(String::strip).toList());
        return text.isEmpty() ? s.strip().lines().findFirst().orElse("unreadable input").strip() : text;
    }
}
