package org.exmerge.format;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle reader that runs nothing. It knows the opcodes of protocols 2 to 5 that hold data (numbers,
 * strings, tuples, lists, dicts, the memo); everything a pickle would import or call is handed to
 * {@link Calls}, which decides what a name means or refuses it. Python's own unpickler imports any
 * module a file names and calls what it finds there, which is why a pickle from an untrusted source
 * is a program, not data.
 *
 * <p>Values: {@code String}, {@code Long} (or {@code BigInteger} beyond 64 bits), {@code Double},
 * {@code Boolean}, {@link #NONE}, {@code byte[]}, {@link Tuple}, {@code ArrayList} (a list) and
 * {@code LinkedHashMap} (a dict), plus whatever {@link Calls} returns. Nothing here recurses over a
 * value, so a deeply nested pickle cannot exhaust the Java stack.
 */
final class Unpickler {
    /** Python's None. */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };
    private static final Object MARK_OBJ = new Object();

    /** A Python tuple (immutable, unlike a list). */
    record Tuple(List<Object> items) {
        Tuple {
            items = List.copyOf(items);
        }

        int size() {
            return items.size();
        }

        Object get(int i) {
            return items.get(i);
        }
    }

    /** What the pickle asks to import, call or look up, decided by its reader. */
    interface Calls {
        /** The object a GLOBAL or STACK_GLOBAL names; refuses (throws) every name it does not allow. */
        Object global(String module, String name) throws PickleException;

        /** REDUCE and NEWOBJ: {@code callable(*args)}. */
        Object call(Object callable, Tuple args) throws PickleException;

        /** BINPERSID: the object a persistent id stands for. */
        Object persistent(Object pid) throws PickleException;

        /** BUILD: sets {@code state} on {@code target}. */
        void build(Object target, Object state) throws PickleException;
    }

    /** A pickle that cannot be read; {@link #truncated} when its bytes ran out before STOP. */
    static final class PickleException extends Exception {
        private static final long serialVersionUID = 1L;
        final long offset;
        final boolean truncated;

        PickleException(String message, long offset, boolean truncated) {
            super(message);
            this.offset = offset;
            this.truncated = truncated;
        }

        PickleException(String message) {
            this(message, -1, false);
        }
    }

    /** The value a pickle holds and the offset just past its STOP. */
    record Result(Object value, int end) {}

    private final byte[] in;
    private final int limit;
    private final Calls calls;
    private int pos;
    private int opAt;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private Unpickler(byte[] in, int start, int limit, Calls calls) {
        this.in = in;
        this.pos = start;
        this.limit = limit;
        this.calls = calls;
    }

    /** Reads one pickle from {@code in[start, limit)}. */
    static Result load(byte[] in, int start, int limit, Calls calls) throws PickleException {
        Unpickler u = new Unpickler(in, start, limit, calls);
        try {
            Object v = u.run();
            return new Result(v, u.pos);
        } catch (PickleException e) {
            // What Calls refuses, it refuses at the opcode being run.
            throw e.offset >= 0 ? e : new PickleException(e.getMessage(), u.opAt, false);
        }
    }

    private Object run() throws PickleException {
        while (true) {
            opAt = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v < 2 || v > 5) {
                        throw error("pickle protocol " + v + " (torch writes 2; 2 to 5 are read)");
                    }
                }
                case 0x95 -> need(8).skip(8); // FRAME: a read-ahead hint; the bytes follow inline
                case '.' -> { // STOP
                    if (stack.size() != 1) {
                        throw error("STOP with " + stack.size() + " values on the stack, not 1");
                    }
                    return value(stack.getFirst());
                }
                case '(' -> stack.add(MARK_OBJ);
                case '0' -> pop();
                case '1' -> popMark();
                case '2' -> stack.add(peek());
                case 'N' -> stack.add(NONE);
                case 0x88 -> stack.add(Boolean.TRUE);
                case 0x89 -> stack.add(Boolean.FALSE);
                case 'J' -> stack.add((long) need(4).i32());
                case 'K' -> stack.add((long) u8());
                case 'M' -> stack.add((long) (need(2).u16()));
                case 0x8a -> stack.add(longOf(u8()));
                case 0x8b -> stack.add(longOf(length(need(4).i32())));
                case 'G' -> stack.add(Double.longBitsToDouble(Long.reverseBytes(need(8).i64())));
                case 'X' -> stack.add(text(length(need(4).i32())));
                case 0x8c -> stack.add(text(u8()));
                case 0x8d -> stack.add(text(length(need(8).i64())));
                case 'B' -> stack.add(bytes(length(need(4).i32())));
                case 'C' -> stack.add(bytes(u8()));
                case 0x8e -> stack.add(bytes(length(need(8).i64())));
                case ')' -> stack.add(new Tuple(List.of()));
                case 0x85 -> stack.add(new Tuple(popN(1)));
                case 0x86 -> stack.add(new Tuple(popN(2)));
                case 0x87 -> stack.add(new Tuple(popN(3)));
                case 't' -> stack.add(new Tuple(popMark()));
                case ']' -> stack.add(new ArrayList<>());
                case 'l' -> stack.add(new ArrayList<>(popMark()));
                case '}' -> stack.add(new LinkedHashMap<>());
                case 'd' -> {
                    LinkedHashMap<Object, Object> d = new LinkedHashMap<>();
                    putAll(d, popMark());
                    stack.add(d);
                }
                case 'a' -> {
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case 's' -> {
                    Object v = pop();
                    Object k = pop();
                    putAll(dict(peek()), List.of(k, v));
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    putAll(dict(peek()), items);
                }
                case 'q' -> memo.put((long) u8(), peek());
                case 'r' -> memo.put(need(4).i32() & 0xffffffffL, peek());
                case 0x94 -> memo.put((long) memo.size(), peek());
                case 'h' -> stack.add(memo((long) u8()));
                case 'j' -> stack.add(memo(need(4).i32() & 0xffffffffL));
                case 'c' -> {
                    String module = line();
                    String name = line();
                    stack.add(calls.global(module, name));
                }
                case 0x93 -> {
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error("STACK_GLOBAL with " + described(module) + " and " + described(name)
                                + ", not two strings");
                    }
                    stack.add(calls.global(m, n));
                }
                case 'R', 0x81 -> { // REDUCE, NEWOBJ
                    Object args = pop();
                    Object callable = pop();
                    if (!(args instanceof Tuple t)) {
                        throw error((op == 'R' ? "REDUCE" : "NEWOBJ") + " with " + describe(args)
                                + " arguments, not a tuple");
                    }
                    stack.add(calls.call(callable, t));
                }
                case 'Q' -> stack.add(calls.persistent(pop()));
                case 'b' -> {
                    Object state = pop();
                    calls.build(peek(), state);
                }
                default -> throw error(opcodeName(op) + " is not an opcode this reader accepts");
            }
        }
    }

    private PickleException error(String message) {
        return new PickleException(message, opAt, false);
    }

    private Unpickler need(int n) throws PickleException {
        if (limit - pos < n) {
            throw new PickleException("pickle ends inside its opcode at byte " + opAt, opAt, true);
        }
        return this;
    }

    private void skip(int n) {
        pos += n;
    }

    private int u8() throws PickleException {
        need(1);
        return in[pos++] & 0xff;
    }

    private int u16() {
        int v = (in[pos] & 0xff) | (in[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    private int i32() {
        int v = (in[pos] & 0xff) | (in[pos + 1] & 0xff) << 8 | (in[pos + 2] & 0xff) << 16 | (in[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    private long i64() {
        long lo = i32() & 0xffffffffL;
        long hi = i32() & 0xffffffffL;
        return lo | hi << 32;
    }

    /** A length field: it must be non-negative and fit in what is left of the pickle. */
    private int length(long n) throws PickleException {
        if (n < 0) {
            throw error("negative length " + n);
        }
        if (n > limit - pos) {
            throw new PickleException("pickle ends inside its opcode at byte " + opAt, opAt, true);
        }
        return (int) n;
    }

    /** LONG1/LONG4: {@code n} bytes of little-endian two's complement. */
    private Object longOf(int n) throws PickleException {
        need(n);
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) {
            be[i] = in[pos + n - 1 - i];
        }
        pos += n;
        if (n == 0) {
            return 0L;
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String text(int n) throws PickleException {
        need(n);
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(in, pos, n)).toString();
            pos += n;
            return s;
        } catch (CharacterCodingException e) {
            throw error("a string that is not valid UTF-8");
        }
    }

    private byte[] bytes(int n) throws PickleException {
        need(n);
        byte[] b = Arrays.copyOfRange(in, pos, pos + n);
        pos += n;
        return b;
    }

    /** GLOBAL's module and name: each a line of printable ASCII, as Python writes them. */
    private String line() throws PickleException {
        int start = pos;
        while (true) {
            int c = u8();
            if (c == '\n') {
                return new String(in, start, pos - 1 - start, StandardCharsets.US_ASCII);
            }
            if (c < 0x20 || c > 0x7e || pos - start > 1000) {
                throw error("GLOBAL names a module or name that is not a line of printable ASCII");
            }
        }
    }

    private Object pop() throws PickleException {
        if (stack.isEmpty() || stack.getLast() == MARK_OBJ) {
            throw error("stack underflow");
        }
        return stack.removeLast();
    }

    private Object peek() throws PickleException {
        if (stack.isEmpty() || stack.getLast() == MARK_OBJ) {
            throw error("stack underflow");
        }
        return stack.getLast();
    }

    private List<Object> popN(int n) throws PickleException {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) {
            items[i] = pop();
        }
        return Arrays.asList(items);
    }

    /** The values above the topmost MARK, which is removed with them. */
    private List<Object> popMark() throws PickleException {
        int mark = stack.lastIndexOf(MARK_OBJ);
        if (mark < 0) {
            throw error("no MARK to pop to");
        }
        List<Object> items = new ArrayList<>(stack.subList(mark + 1, stack.size()));
        stack.subList(mark, stack.size()).clear();
        return items;
    }

    private Object memo(long index) throws PickleException {
        Object v = memo.get(index);
        if (v == null) {
            throw error("memo entry " + index + " was never stored");
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    private ArrayList<Object> list(Object o) throws PickleException {
        if (o instanceof ArrayList<?> l) {
            return (ArrayList<Object>) l;
        }
        throw error("appends to " + described(o) + ", not a list");
    }

    @SuppressWarnings("unchecked")
    private LinkedHashMap<Object, Object> dict(Object o) throws PickleException {
        if (o instanceof LinkedHashMap<?, ?> d) {
            return (LinkedHashMap<Object, Object>) d;
        }
        throw error("sets an item of " + described(o) + ", not a dict");
    }

    /**
     * Keys are scalars only: they are all a state dict needs, and a container as a key would need a
     * hash over its contents (recursive, and a way to exhaust the stack).
     */
    private void putAll(LinkedHashMap<Object, Object> d, List<Object> kv) throws PickleException {
        if (kv.size() % 2 != 0) {
            throw error("an odd number of values for dict items");
        }
        for (int i = 0; i < kv.size(); i += 2) {
            Object k = kv.get(i);
            if (!(k instanceof String || k instanceof Long || k instanceof Boolean || k instanceof Double
                    || k instanceof BigInteger || k == NONE)) {
                throw error("a dict key that is " + described(k) + "; only strings and numbers are read as keys");
            }
            d.put(k, kv.get(i + 1));
        }
    }

    private Object value(Object v) throws PickleException {
        if (v == MARK_OBJ) {
            throw error("STOP with a MARK on the stack");
        }
        return v;
    }

    /** A value's type in Python's words, for messages (never its contents: they are untrusted). */
    /** {@link #describe} with its article, as a noun in a sentence: "an int", "a str", "None". */
    static String described(Object o) {
        String d = describe(o);
        return switch (d) {
            case "int" -> "an int";
            case "str", "float", "bool", "tuple", "list", "dict" -> "a " + d;
            default -> d; // nothing, None, MARK, bytes, a global's own name
        };
    }

    static String describe(Object o) {
        return switch (o) {
            case null -> "nothing";
            case String s -> "str";
            case Long l -> "int";
            case BigInteger b -> "int";
            case Double d -> "float";
            case Boolean b -> "bool";
            case byte[] b -> "bytes";
            case Tuple t -> "tuple";
            case ArrayList<?> l -> "list";
            case LinkedHashMap<?, ?> m -> "dict";
            default -> o == NONE ? "None" : o == MARK_OBJ ? "MARK" : o.toString();
        };
    }

    private static String opcodeName(int op) {
        return op >= 0x21 && op <= 0x7e ? "opcode '" + (char) op + "' (0x" + Integer.toHexString(op) + ")"
                : "opcode 0x" + Integer.toHexString(op);
    }
}
