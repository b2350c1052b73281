package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.exmerge.format.Unpickler.PickleException;
import org.exmerge.format.Unpickler.Tuple;
import org.exmerge.testing.TorchFiles.Pickle;
import org.junit.jupiter.api.Test;

/** The opcodes of protocols 2 to 5 that carry data, and what the reader refuses. */
class UnpicklerTest {
    /** Records what a pickle asks for, allowing one global. */
    private static final class Recording implements Unpickler.Calls {
        final List<String> asked = new ArrayList<>();

        @Override
        public Object global(String module, String name) throws PickleException {
            asked.add(module + "." + name);
            if (!(module + "." + name).equals("collections.OrderedDict")) {
                throw new PickleException("refused " + module + "." + name);
            }
            return "OrderedDict";
        }

        @Override
        public Object call(Object callable, Tuple args) {
            asked.add("call " + callable + " " + args.size());
            return new LinkedHashMap<>();
        }

        @Override
        public Object persistent(Object pid) {
            asked.add("pid " + Unpickler.describe(pid));
            return "storage";
        }

        @Override
        public void build(Object target, Object state) {
            asked.add("build " + Unpickler.describe(target) + " " + Unpickler.describe(state));
        }
    }

    private static Object load(byte[] b) throws PickleException {
        return Unpickler.load(b, 0, b.length, new Recording()).value();
    }

    private static PickleException fails(byte[] b) {
        PickleException e = catchThrowableOfType(PickleException.class, () -> load(b));
        assertThat(e).isNotNull();
        return e;
    }

    @Test
    void numbers() throws Exception {
        assertThat(load(new Pickle().proto(2).op('J').le(-7, 4).op('.').bytes())).isEqualTo(-7L);
        assertThat(load(new Pickle().proto(2).op('K', 200, '.').bytes())).isEqualTo(200L);
        assertThat(load(new Pickle().proto(2).op('M', 0xe9, 0x03, '.').bytes())).isEqualTo(1001L);
        assertThat(load(new Pickle().proto(2).op(0x8a, 0, '.').bytes())).isEqualTo(0L);
        assertThat(load(new Pickle().proto(2).op(0x8a, 2, 0x00, 0xff, '.').bytes())).isEqualTo(-256L);
        assertThat(load(new Pickle().proto(2).op(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, '.').bytes()))
                .isEqualTo(BigInteger.ONE.shiftLeft(64));
        assertThat(load(new Pickle().proto(2).op(0x8b).le(1, 4).op(5, '.').bytes())).isEqualTo(5L);
        assertThat(load(new Pickle().proto(2).op('G').raw(new byte[] {0x3f, (byte) 0xf8, 0, 0, 0, 0, 0, 0}).op('.').bytes()))
                .isEqualTo(1.5);
        assertThat(load(new Pickle().proto(2).op(0x88, '.').bytes())).isEqualTo(true);
        assertThat(load(new Pickle().proto(2).op('N', '.').bytes())).isSameAs(Unpickler.NONE);
    }

    @Test
    void stringsAndBytesOfEveryWidth() throws Exception {
        assertThat(load(new Pickle().proto(4).op(0x95).le(9, 8).op(0x8c, 3).raw(utf8("abc")).op('.').bytes())).isEqualTo("abc");
        assertThat(load(new Pickle().proto(4).op(0x8d).le(2, 8).raw(utf8("é")).op('.').bytes())).isEqualTo("é");
        assertThat(load(new Pickle().proto(3).op('C', 2, 7, 8, '.').bytes())).isEqualTo(new byte[] {7, 8});
        assertThat(load(new Pickle().proto(3).op('B').le(1, 4).op(9, '.').bytes())).isEqualTo(new byte[] {9});
        assertThat(load(new Pickle().proto(4).op(0x8e).le(0, 8).op('.').bytes())).isEqualTo(new byte[0]);
        assertThat(fails(new Pickle().proto(4).op(0x8c, 2, 0xc3, 0x28, '.').bytes()).getMessage()).contains("not valid UTF-8");
    }

    @Test
    void containersAndTheMemo() throws Exception {
        // [1, 2, (3,), {'k': 'v'}] with MEMOIZE and BINGET, and a list appended to through the memo.
        byte[] b = new Pickle().proto(4).op(']', 0x94).op('K', 1, 'a').mark().op('K', 2).op('K', 3, 0x85)
                .op('}', 0x94).op(0x8c, 1).raw(utf8("k")).op(0x8c, 1).raw(utf8("v")).op('s').op('e')
                .op('h', 0).op('0').op('.').bytes();
        Object v = load(b);
        assertThat(v).isInstanceOf(ArrayList.class);
        List<?> l = (List<?>) v;
        assertThat(l).hasSize(4);
        assertThat(l.get(2)).isEqualTo(new Tuple(List.of(3L)));
        assertThat(((Map<?, ?>) l.get(3)).get("k")).isEqualTo("v");
        assertThat(load(new Pickle().proto(2).op(')', '.').bytes())).isEqualTo(new Tuple(List.of()));
        assertThat(load(new Pickle().proto(2).op('K', 1, 'K', 2, 'K', 3, 0x87, '.').bytes()))
                .isEqualTo(new Tuple(List.of(1L, 2L, 3L)));
        assertThat(load(new Pickle().proto(2).op('K', 1, 'r').le(70000, 4).op('0', 'j').le(70000, 4).op('.').bytes()))
                .isEqualTo(1L);
    }

    @Test
    void globalsCallsPersistentIdsAndBuildGoToTheReader() throws Exception {
        Recording r = new Recording();
        byte[] b = new Pickle().proto(2).global("collections", "OrderedDict").op(')', 'R')
                .str("x").op(')', 'Q', 's').op('}', 'b', '.').bytes();
        Object v = Unpickler.load(b, 0, b.length, r).value();
        assertThat(v).isInstanceOf(LinkedHashMap.class);
        assertThat(r.asked).containsExactly("collections.OrderedDict", "call OrderedDict 0", "pid tuple", "build dict dict");
        // STACK_GLOBAL and NEWOBJ reach the same decisions.
        Recording s = new Recording();
        byte[] p4 = new Pickle().proto(4).op(0x8c, 11).raw(utf8("collections")).op(0x8c, 11).raw(utf8("OrderedDict"))
                .op(0x93, ')', 0x81, '.').bytes();
        Unpickler.load(p4, 0, p4.length, s);
        assertThat(s.asked).containsExactly("collections.OrderedDict", "call OrderedDict 0");
    }

    @Test
    void refusalsCarryTheOffsetOfTheirOpcode() {
        PickleException e = fails(new Pickle().proto(2).op('N', '0').global("os", "system").op('.').bytes());
        assertThat(e.getMessage()).isEqualTo("refused os.system");
        assertThat(e.offset).isEqualTo(4);
    }

    @Test
    void malformedPickles() {
        assertThat(fails(new Pickle().proto(2).op('K').bytes()).truncated).isTrue();
        assertThat(fails(new Pickle().proto(2).op('X').le(100, 4).op('.').bytes()).truncated).isTrue();
        assertThat(fails(new Pickle().proto(2).op('X').le(-1, 4).bytes()).getMessage()).contains("negative length");
        assertThat(fails(new Pickle().proto(2).op('a', '.').bytes()).getMessage()).contains("stack underflow");
        assertThat(fails(new Pickle().proto(2).op('t', '.').bytes()).getMessage()).contains("no MARK");
        assertThat(fails(new Pickle().proto(2).op('h', 3, '.').bytes()).getMessage()).contains("memo entry 3 was never stored");
        assertThat(fails(new Pickle().proto(2).op('K', 1, 'K', 2, '.').bytes()).getMessage()).contains("STOP with 2 values");
        assertThat(fails(new Pickle().proto(6).op('.').bytes()).getMessage()).contains("pickle protocol 6");
        assertThat(fails(new Pickle().proto(2).op('S').bytes()).getMessage())
                .isEqualTo("opcode 'S' (0x53) is not an opcode this reader accepts");
        assertThat(fails(new Pickle().proto(5).op(0x97).bytes()).getMessage()).contains("opcode 0x97");
        assertThat(fails(new Pickle().proto(2).op(']', 'K', 1, 'K', 2, 's').bytes()).getMessage())
                .contains("sets an item of a list, not a dict");
        assertThat(fails(new Pickle().proto(2).op('}', ')', 'K', 1, 's', '.').bytes()).getMessage())
                .contains("a dict key that is a tuple");
        assertThat(fails(new Pickle().proto(2).op('K', 1, 'K', 1, 'R').bytes()).getMessage())
                .contains("REDUCE with int arguments, not a tuple");
        assertThat(fails(new Pickle().proto(2).raw("cos\nsys\ttem\n".getBytes(StandardCharsets.US_ASCII)).bytes())
                .getMessage()).contains("not a line of printable ASCII");
    }

    @Test
    void deepNestingNeedsNoJavaStack() throws Exception {
        Pickle p = new Pickle().proto(2);
        for (int i = 0; i < 200_000; i++) {
            p.op(']');
        }
        for (int i = 0; i < 199_999; i++) {
            p.op('a');
        }
        assertThat(load(p.op('.').bytes())).isInstanceOf(ArrayList.class);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
