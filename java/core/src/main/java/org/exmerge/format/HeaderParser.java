package org.exmerge.format;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.exmerge.text.Plain;

/**
 * Reads a safetensors header and checks every rule of numerics §8 that concerns the JSON itself;
 * {@link SafetensorsHeader} then checks the spans against each other. Everything that goes wrong
 * leaves as {@link SafetensorsFormatException}.
 *
 * <p>A reader of exactly the grammar a header has (RFC 8259 tokens, an object of objects, strings
 * and arrays of integers), not a general JSON library: jackson's streaming parser took twice the
 * CPU, ~11 ms a header of a small model, run by the interpreter at every start. Anything that is
 * not JSON is "not valid JSON" with its character offset; valid JSON that is not a header gets the
 * rule it breaks (HeaderJsonTest holds the first half to jackson's strict parser).
 */
final class HeaderParser {
    static final String METADATA = "__metadata__";
    /**
     * Far beyond any real tensor (PyTorch kernels stop at a few dozen dimensions), and small enough
     * that a 100 MB header of "0,0,0,..." cannot make us allocate hundreds of MB for one shape.
     */
    static final int MAX_RANK = 1024;

    record Result(List<TensorInfo> tensors, Map<String, String> metadata) {
    }

    /** The JSON tokens; the ones that start a value are described to the user by what they are. */
    private enum Token {
        OBJECT("an object"), ARRAY("an array"), STRING("a string"), INTEGER("an integer"),
        FRACTION("a non-integer number"), BOOLEAN("a boolean"), NULL("null"),
        OBJECT_END(null), ARRAY_END(null), COLON(null), COMMA(null), END(null);

        final String described;

        Token(String described) {
            this.described = described;
        }
    }

    private final Path file;
    /** The header's characters (an array, not a String: this runs in the interpreter, where each charAt is a call). */
    private final char[] json;
    private final int length;
    private int pos;
    /** Where the last token began, for error offsets. */
    private int tokenAt;
    /** A string token's value, or a number's text. */
    private String text;
    private final List<TensorInfo> tensors = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    /** The root-level name being read (null for the metadata and once the root closes): errors name it. */
    private String entry;

    private HeaderParser(Path file, CharBuffer text) {
        this.file = file;
        // The decoder's own array, not a copy: a header may be up to 100 MB.
        this.json = text.arrayOffset() == 0 ? text.array() : Arrays.copyOfRange(text.array(), text.arrayOffset(),
                text.arrayOffset() + text.limit());
        this.length = text.limit();
    }

    /** Tensors come back sorted by offset; span consistency is the caller's job. */
    static Result parse(Path file, byte[] header) throws SafetensorsFormatException {
        CharBuffer json;
        try {
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(header));
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(file, null, "header is not valid UTF-8", e);
        }
        HeaderParser hp = new HeaderParser(file, json);
        hp.readRoot();
        hp.tensors.sort(HeaderParser::byOffset);
        return new Result(List.copyOf(hp.tensors), hp.metadata);
    }

    /**
     * By begin, end, then name. A method, not a chain of Comparator combinators: linking the chain's
     * lambdas took ~8 ms of every run's first header.
     */
    private static int byOffset(TensorInfo a, TensorInfo b) {
        int c = Long.compare(a.begin(), b.begin());
        if (c == 0) {
            c = Long.compare(a.end(), b.end());
        }
        return c != 0 ? c : a.name().compareTo(b.name());
    }

    private void readRoot() throws SafetensorsFormatException {
        Token t = next();
        if (t == Token.END) {
            throw fail(null, "header is empty");
        }
        if (value(t) != Token.OBJECT) {
            throw fail(null, "header is not a JSON object but " + t.described);
        }
        Set<String> names = new HashSet<>();
        for (String name = firstName(); name != null; name = nextName(Token.OBJECT_END)) {
            entry = name.equals(METADATA) ? null : name; // metadata errors concern the file, not a tensor
            if (!names.add(name)) {
                throw syntax("Duplicate field '" + name + "'");
            }
            expect(Token.COLON);
            if (name.equals(METADATA)) {
                readMetadata();
            } else {
                tensors.add(readTensor(name));
            }
        }
        entry = null;
        Token after = next();
        if (after != Token.END) {
            throw fail(null, "trailing data after the header's JSON object: " + value(after).described);
        }
    }

    private void readMetadata() throws SafetensorsFormatException {
        if (value(next()) != Token.OBJECT) {
            throw fail(null, "__metadata__ is not an object of strings");
        }
        for (String key = firstName(); key != null; key = nextName(Token.OBJECT_END)) {
            if (metadata.containsKey(key)) {
                throw syntax("Duplicate field '" + key + "'");
            }
            expect(Token.COLON);
            Token v = value(next());
            if (v != Token.STRING) {
                throw fail(null, "__metadata__ value for '" + key + "' is " + v.described + ", not a string");
            }
            metadata.put(key, text);
        }
    }

    private TensorInfo readTensor(String name) throws SafetensorsFormatException {
        Token t = value(next());
        if (t != Token.OBJECT) {
            throw fail(name, "entry is " + t.described + ", not an object");
        }
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        Set<String> keys = new HashSet<>();
        for (String key = firstName(); key != null; key = nextName(Token.OBJECT_END)) {
            if (!keys.add(key)) {
                throw syntax("Duplicate field '" + key + "'");
            }
            switch (key) {
                case "dtype" -> {
                    expect(Token.COLON);
                    Token v = value(next());
                    if (v != Token.STRING) {
                        throw fail(name, "dtype is " + v.described + ", not a string");
                    }
                    dtype = DType.fromSafetensors(text);
                    if (dtype == null) {
                        throw fail(name, "unknown dtype '" + text + "'");
                    }
                }
                case "shape" -> shape = readLongs(name, "shape", -1, MAX_RANK);
                case "data_offsets" -> offsets = readLongs(name, "data_offsets", 2, 2);
                default -> throw fail(name, "unknown key '" + key + "' (allowed: dtype, shape, data_offsets)");
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            throw fail(name, "entry lacks " + (dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets"));
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw fail(name, "data_offsets begin " + begin + " is after end " + end);
        }
        long bytes = Shapes.byteSizeOrMinusOne(shape, dtype);
        if (bytes < 0) {
            throw fail(name, "shape " + Arrays.toString(shape) + " of " + dtype
                    + " has a byte size beyond 2^63-1");
        }
        if (end - begin != bytes) {
            throw fail(name, "data_offsets span " + (end - begin) + " bytes but shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + bytes);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /** An array of non-negative longs: exactly {@code length} of them, or any number up to {@code max} if -1. */
    private long[] readLongs(String name, String key, int length, int max) throws SafetensorsFormatException {
        expect(Token.COLON);
        Token t = value(next());
        if (t != Token.ARRAY) {
            throw fail(name, key + " is " + t.described + ", not an array");
        }
        long[] values = new long[Math.max(length, 4)];
        int n = 0;
        t = next();
        if (t != Token.ARRAY_END) {
            while (true) {
                if (value(t) != Token.INTEGER) {
                    throw fail(name, key + " holds " + t.described + ", not a non-negative integer");
                }
                if (text.startsWith("-")) {
                    throw fail(name, key + " holds negative number " + shortened(text));
                }
                long v = parseLong(text);
                if (v < 0) {
                    throw fail(name, key + " holds " + shortened(text) + ", beyond 2^63-1");
                }
                if (n == max) {
                    throw fail(name, key + " has more than " + max + " numbers");
                }
                if (n == values.length) {
                    values = Arrays.copyOf(values, n * 2);
                }
                values[n++] = v;
                t = next();
                if (t == Token.ARRAY_END) {
                    break;
                }
                if (t != Token.COMMA) {
                    throw syntax("expected ',' or ']' in " + key);
                }
                t = next();
            }
        }
        if (length >= 0 && n != length) {
            throw fail(name, key + " has " + n + " numbers, not " + length);
        }
        return Arrays.copyOf(values, n);
    }

    /** The digits of a non-negative JSON integer as a long, or -1 beyond 2^63-1. */
    private static long parseLong(String digits) {
        if (digits.length() > 19) {
            return -1;
        }
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String shortened(String number) {
        return number.length() <= 40 ? number : number.substring(0, 20) + "… (" + number.length() + " digits)";
    }

    /** Just after an object's '{': its first name, or null when it is empty. */
    private String firstName() throws SafetensorsFormatException {
        Token t = next();
        if (t == Token.OBJECT_END) {
            return null;
        }
        if (t != Token.STRING) {
            throw syntax("expected a name in double quotes or '}'");
        }
        return text;
    }

    /** After a member's value: the next member's name, or null at the object's end. */
    private String nextName(Token end) throws SafetensorsFormatException {
        Token t = next();
        if (t == end) {
            return null;
        }
        if (t != Token.COMMA) {
            throw syntax("expected ',' or '}' after a member");
        }
        if (next() != Token.STRING) {
            throw syntax("expected a name in double quotes after ','");
        }
        return text;
    }

    private void expect(Token wanted) throws SafetensorsFormatException {
        if (next() != wanted) {
            throw syntax("expected " + (wanted == Token.COLON ? "':'" : wanted.name()));
        }
    }

    /** {@code t} when it starts a value; any other token where a value belongs is a syntax error. */
    private Token value(Token t) throws SafetensorsFormatException {
        if (t.described == null) {
            throw syntax(t == Token.END ? "unexpected end of input" : "expected a value");
        }
        return t;
    }

    /** The next token; a string's value or a number's text goes to {@link #text}. */
    private Token next() throws SafetensorsFormatException {
        int n = length;
        while (pos < n) {
            char c = json[pos];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                break;
            }
            pos++;
        }
        tokenAt = pos;
        if (pos == n) {
            return Token.END;
        }
        char c = json[pos];
        switch (c) {
            case '{' -> { pos++; return Token.OBJECT; }
            case '}' -> { pos++; return Token.OBJECT_END; }
            case '[' -> { pos++; return Token.ARRAY; }
            case ']' -> { pos++; return Token.ARRAY_END; }
            case ':' -> { pos++; return Token.COLON; }
            case ',' -> { pos++; return Token.COMMA; }
            case '"' -> { return string(); }
            case 't' -> { return literal("true", Token.BOOLEAN); }
            case 'f' -> { return literal("false", Token.BOOLEAN); }
            case 'n' -> { return literal("null", Token.NULL); }
            default -> {
                if (c == '-' || c >= '0' && c <= '9') {
                    return number();
                }
                throw syntax("unexpected character " + printable(c));
            }
        }
    }

    private Token literal(String word, Token token) throws SafetensorsFormatException {
        int end = pos + word.length();
        boolean matches = end <= length;
        for (int i = 0; matches && i < word.length(); i++) {
            matches = json[pos + i] == word.charAt(i);
        }
        if (!matches || end < length && Character.isLetterOrDigit(json[end])) {
            throw syntax("unrecognised token");
        }
        pos = end;
        return token;
    }

    /** RFC 8259's number: {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?}. */
    private Token number() throws SafetensorsFormatException {
        int start = pos;
        if (json[pos] == '-') {
            pos++;
        }
        int intStart = pos;
        if (digits() == 0) {
            throw syntax("a number needs a digit after '-'");
        }
        if (json[intStart] == '0' && pos - intStart > 1) {
            throw syntax("leading zeroes are not allowed in a number");
        }
        boolean integer = true;
        if (pos < length && json[pos] == '.') {
            pos++;
            integer = false;
            if (digits() == 0) {
                throw syntax("a number needs a digit after '.'");
            }
        }
        if (pos < length && (json[pos] == 'e' || json[pos] == 'E')) {
            pos++;
            integer = false;
            if (pos < length && (json[pos] == '+' || json[pos] == '-')) {
                pos++;
            }
            if (digits() == 0) {
                throw syntax("a number needs a digit in its exponent");
            }
        }
        text = new String(json, start, pos - start);
        return integer ? Token.INTEGER : Token.FRACTION;
    }

    private int digits() {
        int start = pos;
        while (pos < length && json[pos] >= '0' && json[pos] <= '9') {
            pos++;
        }
        return pos - start;
    }

    private Token string() throws SafetensorsFormatException {
        int n = length;
        int start = ++pos;
        while (pos < n && json[pos] != '"' && json[pos] != '\\' && json[pos] >= 0x20) {
            pos++;
        }
        if (pos < n && json[pos] == '"') {
            text = new String(json, start, pos - start);
            pos++;
            return Token.STRING;
        }
        StringBuilder b = new StringBuilder().append(json, start, pos - start);
        while (true) {
            if (pos == n) {
                throw syntax("unexpected end of input in a string");
            }
            char c = json[pos++];
            if (c == '"') {
                text = b.toString();
                return Token.STRING;
            }
            if (c < 0x20) {
                throw syntax("control character " + printable(c) + " in a string (it must be escaped)");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (pos == n) {
                throw syntax("unexpected end of input in a string");
            }
            char e = json[pos++];
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (pos + 4 > n) {
                        throw syntax("unexpected end of input in a \\u escape");
                    }
                    int v = 0;
                    for (int i = 0; i < 4; i++) {
                        int d = Character.digit(json[pos++], 16);
                        if (d < 0) {
                            throw syntax("a \\u escape needs four hex digits");
                        }
                        v = v << 4 | d;
                    }
                    b.append((char) v);
                }
                default -> throw syntax("unknown escape \\" + printable(e));
            }
        }
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7F ? "'" + c + "'" : Plain.format("U+%04X", (int) c);
    }

    private SafetensorsFormatException syntax(String what) {
        return new SafetensorsFormatException(file, entry, "header is not valid JSON: " + what
                + " (at header character " + tokenAt + ")");
    }

    private SafetensorsFormatException fail(String tensor, String reason) {
        return new SafetensorsFormatException(file, tensor, reason);
    }
}
