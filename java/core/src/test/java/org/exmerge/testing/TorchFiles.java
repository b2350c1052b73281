package org.exmerge.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.exmerge.format.DType;
import org.exmerge.testing.TestModels.T;

/**
 * Torch checkpoints built byte by byte, so tests need no torch and can make exactly the broken files
 * they want: {@link Zip} writes ZIP archives (stored or deflated entries, ZIP64 records), {@link
 * Pickle} writes pickle opcodes, {@link #stateDict} a state dict's pickle as torch.save writes it.
 */
public final class TorchFiles {
    private TorchFiles() {}

    /** torch's storage class for a dtype. */
    public static String storageClass(DType t) {
        return switch (t) {
            case F32 -> "FloatStorage";
            case F16 -> "HalfStorage";
            case BF16 -> "BFloat16Storage";
            case F64 -> "DoubleStorage";
            case I64 -> "LongStorage";
            case I32 -> "IntStorage";
            case I16 -> "ShortStorage";
            case I8 -> "CharStorage";
            case U8 -> "ByteStorage";
            case BOOL -> "BoolStorage";
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    /** Pickle opcodes, appended in order. */
    public static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Pickle op(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        public Pickle proto(int v) {
            return op(0x80, v);
        }

        public Pickle global(String module, String name) {
            out.writeBytes(('c' + module + '\n' + name + '\n').getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        public Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X').le(b.length, 4);
            out.writeBytes(b);
            return this;
        }

        public Pickle integer(long v) {
            if (v >= 0 && v < 256) {
                return op('K', (int) v);
            }
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                return op('J').le(v, 4);
            }
            return op(0x8a, 8).le(v, 8);
        }

        public Pickle mark() {
            return op('(');
        }

        public Pickle tuple(long... values) {
            mark();
            for (long v : values) {
                integer(v);
            }
            return op('t');
        }

        public Pickle le(long v, int n) {
            for (int i = 0; i < n; i++) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        public Pickle raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        public byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A tensor of a state dict: a view of storage {@code key}, which holds {@code numel} elements. */
    public record Stored(String name, DType dtype, String key, long numel, long offset, long[] shape, long[] stride) {
        /** The whole storage as one contiguous tensor. */
        public static Stored whole(String name, DType dtype, String key, long... shape) {
            long n = 1;
            long[] stride = new long[shape.length];
            for (int i = shape.length - 1; i >= 0; i--) {
                stride[i] = n;
                n *= shape[i];
            }
            return new Stored(name, dtype, key, n, 0, shape, stride);
        }
    }

    /** The opcodes of one tensor: {@code _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}. */
    public static Pickle tensor(Pickle p, Stored t) {
        p.global("torch._utils", "_rebuild_tensor_v2").mark();
        p.mark().str("storage").global("torch", storageClass(t.dtype())).str(t.key()).str("cpu").integer(t.numel())
                .op('t').op('Q');
        p.integer(t.offset()).tuple(t.shape()).tuple(t.stride()).op(0x89);
        p.global("collections", "OrderedDict").op(')', 'R');
        return p.op('t', 'R');
    }

    /** A state dict's pickle as torch.save writes it (protocol 2, an OrderedDict of rebuilt tensors). */
    public static byte[] stateDict(List<Stored> tensors) {
        Pickle p = new Pickle().proto(2).global("collections", "OrderedDict").op(')', 'R').mark();
        for (Stored t : tensors) {
            tensor(p.str(t.name()), t);
        }
        return p.op('u', '.').bytes();
    }

    /** A ZIP archive written entry by entry. */
    public static final class Zip {
        private record Entry(String name, byte[] data, boolean deflate) {}

        private final List<Entry> entries = new ArrayList<>();
        private boolean zip64;
        private boolean align = true;

        public Zip add(String name, byte[] data) {
            entries.add(new Entry(name, data, false));
            return this;
        }

        public Zip deflated(String name, byte[] data) {
            entries.add(new Entry(name, data, true));
            return this;
        }

        /** ZIP64 end records, and every size and offset in the central directory moved to its ZIP64 field. */
        public Zip zip64() {
            zip64 = true;
            return this;
        }

        /** Data where the local header ends, not padded to 64 bytes as torch pads it. */
        public Zip unaligned() {
            align = false;
            return this;
        }

        public byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream central = new ByteArrayOutputStream();
            for (Entry e : entries) {
                long local = out.size();
                byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
                byte[] stored = e.deflate() ? deflate(e.data()) : e.data();
                CRC32 crc = new CRC32();
                crc.update(e.data());
                int pad = 0;
                if (align) {
                    long base = local + 30 + name.length + 4;
                    pad = (int) ((64 - base % 64) % 64);
                }
                byte[] extra = align ? buffer(4 + pad).putShort((short) 0x4246).putShort((short) pad).array() : new byte[0];
                out.writeBytes(buffer(30).putInt(0x04034b50).putShort((short) 20).putShort((short) 0)
                        .putShort((short) (e.deflate() ? 8 : 0)).putInt(0).putInt((int) crc.getValue())
                        .putInt(stored.length).putInt(e.data().length).putShort((short) name.length)
                        .putShort((short) extra.length).array());
                out.writeBytes(name);
                out.writeBytes(extra);
                out.writeBytes(stored);
                byte[] cExtra = zip64 ? buffer(28).putShort((short) 1).putShort((short) 24).putLong(e.data().length)
                        .putLong(stored.length).putLong(local).array() : new byte[0];
                central.writeBytes(buffer(46).putInt(0x02014b50).putShort((short) 45).putShort((short) 45)
                        .putShort((short) 0).putShort((short) (e.deflate() ? 8 : 0)).putInt(0).putInt((int) crc.getValue())
                        .putInt(zip64 ? -1 : stored.length).putInt(zip64 ? -1 : e.data().length)
                        .putShort((short) name.length).putShort((short) cExtra.length).putShort((short) 0)
                        .putShort((short) 0).putShort((short) 0).putInt(0).putInt(zip64 ? -1 : (int) local).array());
                central.writeBytes(name);
                central.writeBytes(cExtra);
            }
            long cdOffset = out.size();
            out.writeBytes(central.toByteArray());
            if (zip64) {
                long z = out.size();
                out.writeBytes(buffer(56).putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45)
                        .putInt(0).putInt(0).putLong(entries.size()).putLong(entries.size()).putLong(central.size())
                        .putLong(cdOffset).array());
                out.writeBytes(buffer(20).putInt(0x07064b50).putInt(0).putLong(z).putInt(1).array());
            }
            out.writeBytes(buffer(22).putInt(0x06054b50).putShort((short) 0).putShort((short) 0)
                    .putShort((short) (zip64 ? 0xffff : entries.size())).putShort((short) (zip64 ? 0xffff : entries.size()))
                    .putInt(zip64 ? -1 : central.size()).putInt(zip64 ? -1 : (int) cdOffset).putShort((short) 0).array());
            return out.toByteArray();
        }

        private static ByteBuffer buffer(int n) {
            return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        }

        private static byte[] deflate(byte[] data) {
            Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
            d.setInput(data);
            d.finish();
            byte[] buf = new byte[data.length + 64];
            int n = d.deflate(buf);
            d.end();
            return java.util.Arrays.copyOf(buf, n);
        }
    }

    /** Writes {@code dir/pytorch_model.bin}: one storage per tensor, every tensor the whole of its storage. */
    public static Path write(Path dir, T... tensors) throws IOException {
        Files.createDirectories(dir);
        Zip zip = new Zip();
        List<Stored> stored = new ArrayList<>();
        for (int i = 0; i < tensors.length; i++) {
            T t = tensors[i];
            stored.add(Stored.whole(t.name(), t.type(), Integer.toString(i), t.shape()));
        }
        zip.add("archive/data.pkl", stateDict(stored));
        zip.add("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < tensors.length; i++) {
            java.lang.foreign.MemorySegment s = TestModels.encode(tensors[i].type(), tensors[i].values());
            zip.add("archive/data/" + i, s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
        zip.add("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        return Files.write(dir.resolve("pytorch_model.bin"), zip.bytes());
    }
}
