package org.exmerge.format;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.exmerge.format.TorchFile.Span;
import org.exmerge.format.Unpickler.PickleException;

/**
 * The legacy format of {@code torch.save} (torch before 1.6, or {@code
 * _use_new_zipfile_serialization=False}): five pickles in a row (torch's magic number, the protocol
 * version 1001, a dict of system facts, the state dict, the list of storage keys), then each storage
 * in the list's order as an 8-byte little-endian element count and its raw bytes. Storages are
 * spans of the file, mapped as they are; they start wherever the pickles end, so they are often
 * not aligned to their element size.
 */
final class TorchLegacy {
    private static final BigInteger MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long PROTOCOL = 1001;
    /** Pickles are read into memory: a first window, grown up to the header limit only when they need it. */
    private static final int FIRST_WINDOW = 1 << 20;

    /** The state dict's value, its pickle's storages, and where each storage's bytes are. */
    record Parsed(Object top, Map<String, Span> storages) {}

    private TorchLegacy() {
    }

    static Parsed read(FileChannel ch, Path file, long size) throws IOException {
        long cap = Math.min(size, SafetensorsHeader.MAX_HEADER_BYTES);
        int window = (int) Math.min(cap, FIRST_WINDOW);
        while (true) {
            byte[] head = new byte[window];
            FileReads.readFully(ch, file, 0, window).get(head);
            try {
                return parse(ch, file, size, head);
            } catch (PickleException e) {
                if (e.truncated && window < cap) {
                    window = (int) Math.min(cap, 4L * window);
                    continue;
                }
                if (e.truncated && window < size) {
                    throw new SafetensorsFormatException(file, null, "legacy torch pickles run past "
                            + SafetensorsHeader.MAX_HEADER_BYTES + " bytes, the limit for a file's structure");
                }
                throw new SafetensorsFormatException(file, null, "legacy torch format: " + e.getMessage()
                        + (e.truncated || e.offset < 0 ? "" : " (at byte " + e.offset + ")"));
            }
        }
    }

    private static Parsed parse(FileChannel ch, Path file, long size, byte[] head) throws IOException, PickleException {
        TorchPickle pickle = new TorchPickle(true);
        Unpickler.Result magic = Unpickler.load(head, 0, head.length, pickle);
        if (!MAGIC.equals(magic.value() instanceof Long l ? BigInteger.valueOf(l) : magic.value())) {
            throw new SafetensorsFormatException(file, null, "not a torch checkpoint: a pickle without torch's magic number");
        }
        Unpickler.Result protocol = Unpickler.load(head, magic.end(), head.length, pickle);
        if (!(protocol.value() instanceof Long p) || p != PROTOCOL) {
            throw new SafetensorsFormatException(file, null, "legacy torch format with protocol "
                    + protocol.value() + ", not " + PROTOCOL);
        }
        Unpickler.Result info = Unpickler.load(head, protocol.end(), head.length, pickle);
        if (!(info.value() instanceof LinkedHashMap<?, ?> facts) || !(facts.get("little_endian") instanceof Boolean little)) {
            throw new SafetensorsFormatException(file, null, "legacy torch format without its system facts (little_endian)");
        }
        if (!little) {
            throw new SafetensorsFormatException(file, null, "holds big-endian data (written on a big-endian machine);"
                    + " exmerge reads little-endian only: load and re-save it on a little-endian machine");
        }
        Unpickler.Result main = Unpickler.load(head, info.end(), head.length, pickle);
        Unpickler.Result keys = Unpickler.load(head, main.end(), head.length, pickle);
        if (!(keys.value() instanceof ArrayList<?> list)) {
            throw new SafetensorsFormatException(file, null, "legacy torch format: the storage list is "
                    + Unpickler.described(keys.value()) + ", not a list of keys");
        }
        Map<String, Span> spans = new HashMap<>();
        long pos = keys.end();
        for (Object k : list) {
            if (!(k instanceof String key)) {
                throw new SafetensorsFormatException(file, null, "legacy torch format: the storage list holds "
                        + Unpickler.described(k) + ", not a key");
            }
            TorchPickle.StorageRef ref = pickle.storages().get(key);
            if (ref == null) {
                throw new SafetensorsFormatException(file, null, "legacy torch format lists storage '" + key
                        + "', which no tensor uses");
            }
            if (size - pos < 8) {
                throw new SafetensorsFormatException(file, null, "file ends at " + size + ", inside storage '" + key
                        + "' (it starts at " + pos + ")");
            }
            long count = FileReads.readFully(ch, file, pos, 8).getLong();
            int element = ref.type().dtype() == null ? 1 : ref.type().dtype().size();
            if (count < 0 || count > (size - pos - 8) / element) {
                throw new SafetensorsFormatException(file, null, "storage '" + key + "' at " + pos + " holds "
                        + Long.toUnsignedString(count) + " elements of " + element + " bytes, past the file's end at " + size);
            }
            if (spans.put(key, new Span(pos + 8, count * element)) != null) {
                throw new SafetensorsFormatException(file, null, "legacy torch format lists storage '" + key + "' twice");
            }
            pos += 8 + count * element;
        }
        if (pos != size) {
            throw new SafetensorsFormatException(file, null, (size - pos) + " bytes follow the last storage, which ends at "
                    + pos);
        }
        return new Parsed(main.value(), spans);
    }
}
