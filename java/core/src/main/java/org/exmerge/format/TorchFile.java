package org.exmerge.format;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.exmerge.error.InputChangedException;
import org.exmerge.format.TorchPickle.Layout;
import org.exmerge.format.TorchPickle.Rebuild;
import org.exmerge.format.Unpickler.PickleException;
import org.exmerge.text.Plain;

/**
 * One PyTorch checkpoint ({@code pytorch_model.bin}, what {@code torch.save} writes of a state dict),
 * in the ZIP format ({@link TorchZip}) or the legacy one ({@link TorchLegacy}). The pickle is read by
 * {@link Unpickler} with {@link TorchPickle}'s short list of names, so nothing in the file is run.
 * The file is mapped whole, as a safetensors file is; a tensor that is contiguous and row-major in
 * its storage is a slice of that mapping, however storages are shared. A strided tensor (a transposed
 * view saved as it is) is copied into contiguous memory at open, owned by this file; all copies of
 * one file together may not exceed the file's size, which bounds what a crafted stride (0, a
 * broadcast) can make us allocate.
 *
 * <p>A tensor's {@link TensorInfo#begin()} is the file offset of its first element.
 */
public final class TorchFile implements WeightsFile {
    /** Where bytes are in the file. */
    record Span(long offset, long size) {}

    /** Finds a storage's bytes; {@code tensor} names the first tensor using it, for messages. */
    private interface Storages {
        Span find(String key, String tensor) throws IOException;
    }

    private final Path path;
    private final Arena arena;
    private final Map<String, TensorInfo> byName;
    private final Map<String, MemorySegment> bytes;
    private final List<TensorInfo> tensors;
    private final FileIdentity opened;

    private TorchFile(Path path, Arena arena, Map<String, TensorInfo> byName, Map<String, MemorySegment> bytes,
                      FileIdentity opened) {
        this.path = path;
        this.arena = arena;
        this.byName = byName;
        this.bytes = bytes;
        List<TensorInfo> list = new ArrayList<>(byName.values());
        list.sort(Comparator.comparing(TensorInfo::name));
        this.tensors = List.copyOf(list);
        this.opened = opened;
    }

    /** Reads and checks the whole structure, then maps the file. Nothing stays mapped if a check fails. */
    public static TorchFile open(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (Files.isDirectory(file)) {
            throw new SafetensorsFormatException(file, null, "is a directory, not a torch checkpoint");
        }
        try (FileChannel ch = FileReads.open(file)) {
            FileIdentity identity = FileIdentity.of(file); // before the first read: a change after it shows
            long size = ch.size();
            ByteBuffer head = FileReads.readFully(ch, file, 0, (int) Math.min(size, 16));
            Object top;
            Storages storages;
            if (looksLikeSafetensors(size, head)) {
                // Its 8-byte header length may begin with the byte a pickle begins with (0x80).
                throw new SafetensorsFormatException(file, null, "not a torch checkpoint but a safetensors file;"
                        + " name it .safetensors");
            }
            if (size >= 4 && head.getInt(0) == 0x04034b50) {
                TorchZip zip = TorchZip.read(ch, file, size);
                zip.checkByteOrder();
                top = unpickle(file, zip.pickle(), zip.pickleName());
                storages = zip::storage;
            } else if (size >= 2 && (head.get(0) & 0xff) == 0x80) {
                TorchLegacy.Parsed p = TorchLegacy.read(ch, file, size);
                top = p.top();
                storages = (key, tensor) -> {
                    Span s = p.storages().get(key);
                    if (s == null) {
                        throw new SafetensorsFormatException(file, tensor, "storage '" + key
                                + "' is not in the file's list of storages");
                    }
                    return s;
                };
            } else {
                throw notTorch(ch, file, size, head);
            }
            Arena arena = Arena.ofShared();
            try {
                // The mapping stays valid after the channel closes; its lifetime is the arena's.
                MemorySegment whole = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena).asReadOnly();
                return build(file, identity, arena, whole, top, storages);
            } catch (IOException | RuntimeException | Error e) {
                arena.close();
                throw e;
            }
        }
    }

    private static Object unpickle(Path file, byte[] pkl, String entry) throws SafetensorsFormatException {
        TorchPickle calls = new TorchPickle(false);
        try {
            Unpickler.Result r = Unpickler.load(pkl, 0, pkl.length, calls);
            if (r.end() != pkl.length) {
                throw new SafetensorsFormatException(file, null, "'" + entry + "' has " + (pkl.length - r.end())
                        + " bytes after its pickle's end");
            }
            return r.value();
        } catch (PickleException e) {
            throw new SafetensorsFormatException(file, null, "'" + entry + "': " + e.getMessage()
                    + (e.truncated || e.offset < 0 ? "" : " (at byte " + e.offset + ")"));
        }
    }

    private static TorchFile build(Path file, FileIdentity identity, Arena arena, MemorySegment whole, Object top,
                                   Storages storages) throws IOException {
        if (!(top instanceof Map<?, ?> dict)) {
            throw new SafetensorsFormatException(file, null, "holds " + Unpickler.described(top)
                    + ", not a dict of tensors; exmerge reads a state dict (name to tensor), as save_pretrained writes");
        }
        Map<String, TensorInfo> infos = HashMap.newHashMap(dict.size());
        Map<String, MemorySegment> bytes = HashMap.newHashMap(dict.size());
        long copied = 0;
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw new SafetensorsFormatException(file, null, "the state dict has a key that is "
                        + Unpickler.described(e.getKey()) + ", not a tensor name");
            }
            if (!(e.getValue() instanceof Rebuild r)) {
                throw new SafetensorsFormatException(file, name, "is " + Unpickler.described(e.getValue())
                        + ", not a tensor; exmerge reads a flat state dict of tensors (a checkpoint that nests one,"
                        + " e.g. under 'state_dict', or holds other values must be re-saved as the state dict alone)");
            }
            Layout l;
            try {
                l = r.layout();
            } catch (PickleException x) {
                throw new SafetensorsFormatException(file, name, x.getMessage());
            }
            Span s = storages.find(l.storage().key(), name);
            if (s.size() != l.storage().bytes()) {
                throw new SafetensorsFormatException(file, name, "storage '" + l.storage().key() + "' holds " + s.size()
                        + " bytes, but the pickle declares " + l.storage().bytes());
            }
            long byteSize = Shapes.byteSizeOrMinusOne(l.shape(), l.dtype());
            if (byteSize < 0) {
                throw new SafetensorsFormatException(file, name, "shape " + Arrays.toString(l.shape())
                        + " of " + l.dtype() + " is beyond 2^63-1 bytes");
            }
            if (byteSize == 0) {
                infos.put(name, new TensorInfo(name, l.dtype(), l.shape(), s.offset(), s.offset()));
                bytes.put(name, whole.asSlice(s.offset(), 0));
                continue;
            }
            long first = firstByte(file, name, l, s);
            infos.put(name, new TensorInfo(name, l.dtype(), l.shape(), first, first + byteSize));
            if (contiguous(l.shape(), l.stride())) {
                bytes.put(name, whole.asSlice(first, byteSize));
                continue;
            }
            copied += byteSize;
            if (copied > whole.byteSize()) {
                throw new SafetensorsFormatException(file, name, "is a strided view of " + byteSize
                        + " bytes whose contiguous copy would take this file's copies past its own size ("
                        + whole.byteSize() + " bytes); save it with .contiguous()");
            }
            try {
                bytes.put(name, gather(arena, whole, s.offset(), l, byteSize));
            } catch (InternalError fault) {
                // A mapped read past a truncation: the file changed after its structure was read.
                throw new InputChangedException(file, identity.changeAt(file), fault);
            }
        }
        return new TorchFile(file, arena, infos, bytes, identity);
    }

    /**
     * The file offset of the tensor's first element, after checking that every element it reaches
     * (the last is at offset + Σ (size − 1) · stride) lies inside its storage.
     */
    private static long firstByte(Path file, String name, Layout l, Span s) throws SafetensorsFormatException {
        long element = l.dtype().size();
        try {
            long last = l.offset();
            for (int i = 0; i < l.shape().length; i++) {
                last = Math.addExact(last, Math.multiplyExact(l.shape()[i] - 1, l.stride()[i]));
            }
            long end = Math.multiplyExact(Math.addExact(last, 1), element);
            if (end > s.size()) {
                throw new SafetensorsFormatException(file, name, "reaches byte " + end + " of storage '"
                        + l.storage().key() + "', which holds " + s.size() + " bytes");
            }
        } catch (ArithmeticException overflow) {
            throw new SafetensorsFormatException(file, name, "storage offset, size and stride reach beyond 2^63-1");
        }
        return s.offset() + l.offset() * element;
    }

    /** Row-major with no gaps; a dimension of size 1 may have any stride, as torch's own test allows. */
    static boolean contiguous(long[] shape, long[] stride) {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i]; // the byte size was checked: no overflow
        }
        return true;
    }

    /** The tensor's elements in row-major order, copied from the mapping into memory owned by {@code arena}. */
    private static MemorySegment gather(Arena arena, MemorySegment whole, long storage, Layout l, long byteSize) {
        long[] shape = l.shape();
        long[] stride = l.stride();
        int rank = shape.length; // ≥ 1: a scalar is contiguous
        int element = l.dtype().size();
        MemorySegment out = arena.allocate(byteSize, 64);
        long inner = shape[rank - 1];
        long innerStride = stride[rank - 1];
        long[] index = new long[rank - 1];
        long at = 0;
        for (long row = 0, rows = byteSize / element / inner; row < rows; row++) {
            long src = l.offset();
            for (int d = 0; d < rank - 1; d++) {
                src += index[d] * stride[d];
            }
            long from = storage + src * element;
            if (innerStride == 1) {
                MemorySegment.copy(whole, from, out, at, inner * element);
                at += inner * element;
            } else {
                long step = innerStride * element;
                for (long j = 0; j < inner; j++, from += step, at += element) {
                    switch (element) {
                        case 1 -> out.set(ValueLayout.JAVA_BYTE, at, whole.get(ValueLayout.JAVA_BYTE, from));
                        case 2 -> out.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, whole.get(ValueLayout.JAVA_SHORT_UNALIGNED, from));
                        case 4 -> out.set(ValueLayout.JAVA_INT_UNALIGNED, at, whole.get(ValueLayout.JAVA_INT_UNALIGNED, from));
                        default -> out.set(ValueLayout.JAVA_LONG_UNALIGNED, at, whole.get(ValueLayout.JAVA_LONG_UNALIGNED, from));
                    }
                }
            }
            for (int d = rank - 2; d >= 0 && ++index[d] == shape[d]; d--) {
                index[d] = 0;
            }
        }
        return out.asReadOnly();
    }

    /** An 8-byte length that fits the file, then a JSON object: no torch file begins so. */
    private static boolean looksLikeSafetensors(long size, ByteBuffer head) {
        return size > 9 && head.getLong(0) > 0 && head.getLong(0) <= size - 8 && head.get(8) == '{';
    }

    /** Says what the file is instead, when its first bytes tell. */
    private static SafetensorsFormatException notTorch(FileChannel ch, Path file, long size, ByteBuffer head)
            throws IOException {
        if (size == 0) {
            return new SafetensorsFormatException(file, null, "not a torch checkpoint (the file is empty)");
        }
        if (size > 262) {
            byte[] magic = new byte[5];
            FileReads.readFully(ch, file, 257, 5).get(magic);
            if (new String(magic, StandardCharsets.US_ASCII).equals("ustar")) {
                return new SafetensorsFormatException(file, null, "is a tar archive, torch's format before 0.4,"
                        + " which exmerge does not read; re-save it with a newer torch");
            }
        }
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(head.limit(), 4); i++) {
            hex.append(Plain.format("%02x ", head.get(i) & 0xff));
        }
        return new SafetensorsFormatException(file, null, "not a torch checkpoint (it begins with bytes "
                + hex.toString().strip() + "; torch writes a ZIP archive or, before 1.6, a pickle)");
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public List<TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public TensorInfo tensor(String name) {
        return byName.get(name);
    }

    @Override
    public MemorySegment data(TensorInfo t) {
        if (!t.equals(byName.get(t.name()))) {
            throw new IllegalArgumentException("tensor " + t + " is not in " + path);
        }
        return bytes.get(t.name());
    }

    /** A slice of the mapping is mapped on its own; a copy is returned as it is (it is memory already). */
    @Override
    public MemorySegment map(TensorInfo t, Arena into) throws IOException {
        MemorySegment b = data(t);
        if (t.byteSize() == 0 || !b.isMapped()) {
            return b;
        }
        try (FileChannel ch = FileReads.open(path)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, t.begin(), t.byteSize(), into).asReadOnly();
        }
    }

    @Override
    public Map<String, String> metadata() {
        return Map.of();
    }

    @Override
    public String change() {
        return opened.changeAt(path);
    }

    @Override
    public void close() {
        synchronized (arena) {
            if (arena.scope().isAlive()) {
                arena.close();
            }
        }
    }

    @Override
    public String toString() {
        return "TorchFile[" + path + ", " + tensors.size() + " tensors]";
    }
}
