package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stands in for jextract: parses native/include/exmerge.h and holds ExmergeNative to it in both
 * directions, so the C prototype and the Java handle cannot drift apart. Needs no library: the
 * handles have their C types whether or not one was loaded.
 */
class ExmergeHeaderTest {
    static final Path HEADER = Path.of("..", "..", "native", "include", "exmerge.h");
    static final Pattern PROTOTYPE = Pattern.compile("MK_API\\s+([\\w\\s*]+?)\\s*\\b(mk_\\w+)\\s*\\(([^)]*)\\)\\s*;");
    static final Pattern DEFINE = Pattern.compile("(?m)^#define\\s+(MK_\\w+)\\s+(.+?)\\s*(?:/\\*.*)?$");
    static String header;

    @BeforeAll
    static void read() throws IOException {
        header = Files.readString(HEADER);
    }

    /** The Java carrier of a C type: the mapping ExmergeNative's class comment states. */
    static Class<?> carrier(String cType) {
        String t = cType.replace("const", "").trim();
        if (t.contains("*")) {
            return MemorySegment.class;
        }
        return switch (t.replaceAll("\\s+", " ")) {
            case "void" -> void.class;
            case "int32_t", "uint32_t", "int" -> int.class;
            case "int64_t", "uint64_t" -> long.class;
            case "float" -> float.class;
            case "double" -> double.class;
            default -> throw new AssertionError("exmerge.h uses a type the binding has no mapping for: " + cType);
        };
    }

    /** Every mk_ prototype of the header as a MethodType, by function name. */
    static Map<String, MethodType> prototypes() {
        String code = header.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ");
        Map<String, MethodType> out = new TreeMap<>();
        Matcher m = PROTOTYPE.matcher(code);
        while (m.find()) {
            List<Class<?>> params = new ArrayList<>();
            String list = m.group(3).trim();
            if (!list.equals("void") && !list.isEmpty()) {
                for (String p : list.split(",")) {
                    // Drop the parameter's name: the last identifier, unless the type is all there is.
                    String type = p.trim().replaceAll("\\s*\\b\\w+$", "");
                    params.add(carrier(type.isEmpty() ? p : type));
                }
            }
            out.put(m.group(2), MethodType.methodType(carrier(m.group(1)), params));
        }
        return out;
    }

    static Map<String, MethodType> handles() throws IllegalAccessException {
        Map<String, MethodType> out = new TreeMap<>();
        List<Class<?>> classes = new ArrayList<>(List.of(ExmergeNative.class.getDeclaredClasses())); // the lazily linked holders
        classes.add(ExmergeNative.class);
        for (Class<?> c : classes) {
            for (Field f : c.getDeclaredFields()) {
                if (f.getType() == MethodHandle.class && f.getName().startsWith("mk_")) {
                    assertThat(Modifier.isStatic(f.getModifiers()) && Modifier.isFinal(f.getModifiers()))
                            .as(f.getName() + " is static final").isTrue();
                    assertThat(out.put(f.getName(), ((MethodHandle) f.get(null)).type())).as(f.getName() + " once").isNull();
                }
            }
        }
        return out;
    }

    /**
     * A run links the kernels it calls and no others (see ExmergeNative): each kernel's handle has a
     * class of its own, named as the function; only Machine's handles, read together, share one.
     */
    @Test
    void everyKernelIsLinkedApartFromTheOthers() {
        for (Class<?> c : ExmergeNative.class.getDeclaredClasses()) {
            List<String> handles = Arrays.stream(c.getDeclaredFields())
                    .filter(f -> f.getType() == MethodHandle.class).map(Field::getName).toList();
            if (c == ExmergeNative.Machine.class) {
                assertThat(handles).containsExactlyInAnyOrder("mk_cpu_features", "mk_best_isa", "mk_isa", "mk_force_isa");
                continue;
            }
            assertThat(handles).as(c.getSimpleName()).hasSize(1);
            String camel = Arrays.stream(handles.getFirst().substring(3).split("_"))
                    .map(w -> Character.toUpperCase(w.charAt(0)) + w.substring(1)).collect(Collectors.joining());
            assertThat(camel.toLowerCase(Locale.ROOT)).as(c.getSimpleName() + " named as its function")
                    .startsWith(c.getSimpleName().toLowerCase(Locale.ROOT));
        }
    }

    @Test
    void theParserFindsThePrototypes() {
        Map<String, MethodType> p = prototypes();
        assertThat(p).hasSizeGreaterThanOrEqualTo(15);
        assertThat(p.get("mk_linear")).isEqualTo(MethodType.methodType(int.class, int.class, MemorySegment.class,
                MemorySegment.class, MemorySegment.class, MemorySegment.class, int.class, MemorySegment.class, int.class,
                int.class, float.class, float.class, long.class, MemorySegment.class));
        assertThat(p.get("mk_abi_version")).isEqualTo(MethodType.methodType(int.class));
    }

    @Test
    void everyHeaderFunctionHasAHandleOfTheSameTypeAndNoHandleLacksOne() throws Exception {
        Map<String, MethodType> c = prototypes();
        Map<String, MethodType> java = handles();
        assertThat(java.keySet()).as("handles without a prototype / prototypes without a handle").isEqualTo(c.keySet());
        for (var e : c.entrySet()) {
            assertThat(java.get(e.getKey())).as("handle %s vs its prototype", e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void everyHeaderConstantHasTheSameValueInJava() throws Exception {
        Matcher m = DEFINE.matcher(header);
        int seen = 0;
        while (m.find()) {
            String name = m.group(1);
            String value = m.group(2).trim();
            if (name.equals("MK_API")) {
                continue;
            }
            long c = evaluate(value);
            Field f = ExmergeNative.class.getField(name);
            long j = ((Number) f.get(null)).longValue();
            assertThat(j).as("%s = %s in exmerge.h", name, value).isEqualTo(c);
            seen++;
        }
        assertThat(seen).isGreaterThan(20);
    }

    /** The constant forms exmerge.h uses: 7, (-1), (1LL << 16). */
    static long evaluate(String v) {
        Matcher shift = Pattern.compile("\\(\\s*1LL\\s*<<\\s*(\\d+)\\s*\\)").matcher(v);
        if (shift.matches()) {
            return 1L << Integer.parseInt(shift.group(1));
        }
        return Long.parseLong(v.replace("(", "").replace(")", "").trim());
    }
}
