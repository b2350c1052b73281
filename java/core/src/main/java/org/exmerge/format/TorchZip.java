package org.exmerge.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.exmerge.format.TorchFile.Span;

/**
 * The ZIP container of {@code torch.save} (torch 1.6 and later): {@code <prefix>/data.pkl}, the
 * state dict's pickle; {@code <prefix>/data/<key>}, each storage's raw bytes; {@code
 * <prefix>/byteorder}, absent or "little" for little-endian data. Torch stores every entry
 * uncompressed (64-byte aligned), so a storage is a span of the file that can be mapped as it is.
 * Only the central directory and the local headers of the entries used are read; ZIP64 (files over
 * 4 GB, over 65,535 entries) is read too. CRC-32s are not checked: that would read every byte at open.
 */
final class TorchZip {
    private static final int EOCD = 0x06054b50;
    private static final int EOCD64 = 0x06064b50;
    private static final int EOCD64_LOCATOR = 0x07064b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;
    private static final int MAX_COMMENT = 0xffff;

    /** One central directory entry. */
    private record Entry(String name, int flags, int method, long compressed, long size, long local) {}

    private final Path file;
    private final FileChannel ch;
    private final long centralStart;
    private final Map<String, Entry> entries;
    private final String prefix;

    private TorchZip(Path file, FileChannel ch, long centralStart, Map<String, Entry> entries, String prefix) {
        this.file = file;
        this.ch = ch;
        this.centralStart = centralStart;
        this.entries = entries;
        this.prefix = prefix;
    }

    /** Reads the central directory and finds the archive's prefix; {@code ch} must stay open while this is used. */
    static TorchZip read(FileChannel ch, Path file, long size) throws IOException {
        int tail = (int) Math.min(size, 22 + MAX_COMMENT);
        ByteBuffer end = FileReads.readFully(ch, file, size - tail, tail);
        int at = -1;
        for (int i = tail - 22; i >= 0; i--) {
            if (end.getInt(i) == EOCD && (end.getShort(i + 20) & 0xffff) == tail - i - 22) {
                at = i;
                break;
            }
        }
        if (at < 0) {
            throw error(file, "no ZIP end-of-central-directory record: the file is truncated or not a torch zip checkpoint");
        }
        long eocd = size - tail + at;
        long count = end.getShort(at + 10) & 0xffff;
        long cdSize = end.getInt(at + 12) & 0xffffffffL;
        long cdOffset = end.getInt(at + 16) & 0xffffffffL;
        long directoryEnd = eocd;
        boolean zip64 = eocd >= 20 && FileReads.readFully(ch, file, eocd - 20, 4).getInt(0) == EOCD64_LOCATOR;
        if (!zip64 && (end.getInt(at + 4) != 0)) {
            throw error(file, "is a ZIP archive split over several disks");
        }
        if (zip64) {
            ByteBuffer loc = FileReads.readFully(ch, file, eocd - 20, 20);
            long z = loc.getLong(8);
            if (loc.getInt(4) != 0 || loc.getInt(16) > 1) {
                throw error(file, "is a ZIP archive split over several disks");
            }
            if (z < 0 || z > eocd - 20 - 56) {
                throw error(file, "ZIP64 end-of-central-directory record at " + Long.toUnsignedString(z)
                        + " is outside the file");
            }
            ByteBuffer r = FileReads.readFully(ch, file, z, 56);
            if (r.getInt(0) != EOCD64) {
                throw error(file, "no ZIP64 end-of-central-directory record where its locator points (" + z + ")");
            }
            if (r.getInt(16) != 0 || r.getInt(20) != 0) {
                throw error(file, "is a ZIP archive split over several disks");
            }
            count = r.getLong(32);
            cdSize = r.getLong(40);
            cdOffset = r.getLong(48);
            directoryEnd = z;
        } else if (count == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
            throw error(file, "ZIP end record asks for ZIP64 values but the file has no ZIP64 locator");
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > directoryEnd || cdSize > directoryEnd - cdOffset) {
            throw error(file, "ZIP central directory [" + Long.toUnsignedString(cdOffset) + ", +"
                    + Long.toUnsignedString(cdSize) + ") is outside the file (it must end by byte " + directoryEnd + ")");
        }
        if (cdSize > SafetensorsHeader.MAX_HEADER_BYTES) {
            throw error(file, "ZIP central directory is " + cdSize + " bytes, beyond the limit of "
                    + SafetensorsHeader.MAX_HEADER_BYTES);
        }
        if (count < 0 || count > cdSize / 46) {
            throw error(file, "ZIP end record counts " + Long.toUnsignedString(count) + " entries, more than its "
                    + cdSize + "-byte central directory can hold");
        }
        ByteBuffer cd = FileReads.readFully(ch, file, cdOffset, (int) cdSize);
        Map<String, Entry> entries = HashMap.newHashMap((int) count);
        List<String> pickles = new ArrayList<>();
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (cd.limit() - p < 46 || cd.getInt(p) != CENTRAL) {
                throw error(file, "ZIP central directory entry " + i + " is malformed");
            }
            int flags = cd.getShort(p + 8) & 0xffff;
            int method = cd.getShort(p + 10) & 0xffff;
            long compressed = cd.getInt(p + 20) & 0xffffffffL;
            long usize = cd.getInt(p + 24) & 0xffffffffL;
            int nameLen = cd.getShort(p + 28) & 0xffff;
            int extraLen = cd.getShort(p + 30) & 0xffff;
            int commentLen = cd.getShort(p + 32) & 0xffff;
            int disk = cd.getShort(p + 34) & 0xffff;
            long local = cd.getInt(p + 42) & 0xffffffffL;
            if (cd.limit() - p - 46 < (long) nameLen + extraLen + commentLen) {
                throw error(file, "ZIP central directory entry " + i + " runs past the directory");
            }
            String name = utf8(file, cd, p + 46, nameLen);
            // The ZIP64 extra field holds, in this order, exactly the values saturated above.
            int x = p + 46 + nameLen;
            int xEnd = x + extraLen;
            while (xEnd - x >= 4) {
                int id = cd.getShort(x) & 0xffff;
                int len = cd.getShort(x + 2) & 0xffff;
                if (len > xEnd - x - 4) {
                    throw error(file, "ZIP entry '" + name + "' has an extra field that runs past its entry");
                }
                if (id == 0x0001) {
                    int q = x + 4;
                    int qEnd = q + len;
                    if (usize == 0xffffffffL) {
                        usize = zip64Value(file, cd, name, q, qEnd);
                        q += 8;
                    }
                    if (compressed == 0xffffffffL) {
                        compressed = zip64Value(file, cd, name, q, qEnd);
                        q += 8;
                    }
                    if (local == 0xffffffffL) {
                        local = zip64Value(file, cd, name, q, qEnd);
                        q += 8;
                    }
                    if (disk == 0xffff) {
                        if (qEnd - q < 4) {
                            throw error(file, "ZIP entry '" + name + "' has a ZIP64 field too short for its values");
                        }
                        disk = cd.getInt(q);
                    }
                }
                x += 4 + len;
            }
            if (disk != 0) {
                throw error(file, "ZIP entry '" + name + "' is on another disk of a split archive");
            }
            if (entries.put(name, new Entry(name, flags, method, compressed, usize, local)) != null) {
                throw error(file, "ZIP archive holds two entries named '" + name + "'");
            }
            if (name.endsWith("/data.pkl")) {
                pickles.add(name);
            }
            p += 46 + nameLen + extraLen + commentLen;
        }
        if (pickles.size() != 1) {
            throw error(file, pickles.isEmpty()
                    ? "ZIP archive has no '<name>/data.pkl' entry: not a torch checkpoint"
                    : "ZIP archive has " + pickles.size() + " data.pkl entries (" + String.join(", ", pickles)
                            + "): not one torch checkpoint");
        }
        String prefix = pickles.getFirst().substring(0, pickles.getFirst().length() - "data.pkl".length());
        return new TorchZip(file, ch, cdOffset, entries, prefix);
    }

    private static long zip64Value(Path file, ByteBuffer cd, String name, int q, int end) throws SafetensorsFormatException {
        if (end - q < 8) {
            throw error(file, "ZIP entry '" + name + "' has a ZIP64 field too short for its values");
        }
        long v = cd.getLong(q);
        if (v < 0) {
            throw error(file, "ZIP entry '" + name + "' has a ZIP64 size or offset beyond 2^63-1");
        }
        return v;
    }

    private static String utf8(Path file, ByteBuffer b, int at, int n) throws SafetensorsFormatException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(b.slice(at, n)).toString();
        } catch (CharacterCodingException e) {
            throw error(file, "ZIP entry name is not valid UTF-8");
        }
    }

    /** {@code data.pkl}'s bytes. */
    byte[] pickle() throws IOException {
        String name = prefix + "data.pkl";
        Span s = span(name, null);
        if (s.size() > SafetensorsHeader.MAX_HEADER_BYTES) {
            throw error(file, "'" + name + "' is " + s.size() + " bytes, beyond the limit of "
                    + SafetensorsHeader.MAX_HEADER_BYTES);
        }
        byte[] b = new byte[(int) s.size()];
        FileReads.readFully(ch, file, s.offset(), b.length).get(b);
        return b;
    }

    /** The name of the pickle entry, for messages. */
    String pickleName() {
        return prefix + "data.pkl";
    }

    /** Refuses big-endian data: torch writes the machine's byte order, and exmerge reads little-endian only. */
    void checkByteOrder() throws IOException {
        String name = prefix + "byteorder";
        if (!entries.containsKey(name)) {
            return; // torch before 2.1 wrote no byteorder, and little-endian data
        }
        Span s = span(name, null);
        byte[] b = new byte[(int) Math.min(s.size(), 16)];
        FileReads.readFully(ch, file, s.offset(), b.length).get(b);
        String order = new String(b, StandardCharsets.US_ASCII).strip();
        if (order.equals("big")) {
            throw error(file, "holds big-endian data ('" + name + "' says big); exmerge reads little-endian only:"
                    + " load and re-save it on a little-endian machine");
        }
        if (!order.equals("little") || s.size() > 16) {
            throw error(file, "'" + name + "' is neither 'little' nor 'big'");
        }
    }

    /** Where storage {@code key} is; {@code tensor} names the first tensor that uses it, for messages. */
    Span storage(String key, String tensor) throws IOException {
        return span(prefix + "data/" + key, tensor);
    }

    private Span span(String name, String tensor) throws IOException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new SafetensorsFormatException(file, tensor, "ZIP archive has no entry '" + name + "'");
        }
        if ((e.flags() & 1) != 0) {
            throw new SafetensorsFormatException(file, tensor, "ZIP entry '" + name + "' is encrypted");
        }
        if (e.method() != 0 || e.compressed() != e.size()) {
            throw new SafetensorsFormatException(file, tensor, "ZIP entry '" + name + "' is compressed (method "
                    + e.method() + "); torch stores entries uncompressed, so re-save the file with torch.save");
        }
        if (e.local() > centralStart - 30) {
            throw new SafetensorsFormatException(file, tensor, "ZIP entry '" + name + "' has its local header at "
                    + e.local() + ", not before the central directory at " + centralStart);
        }
        ByteBuffer h = FileReads.readFully(ch, file, e.local(), 30);
        if (h.getInt(0) != LOCAL) {
            throw new SafetensorsFormatException(file, tensor, "ZIP entry '" + name + "' has no local header at "
                    + e.local());
        }
        // The data starts after the LOCAL name and extra field, whose lengths may differ from the
        // central directory's (torch pads the local extra field to align the data to 64 bytes).
        long data = e.local() + 30 + (h.getShort(26) & 0xffff) + (h.getShort(28) & 0xffff);
        if (data > centralStart || e.size() > centralStart - data) {
            throw new SafetensorsFormatException(file, tensor, "ZIP entry '" + name + "' spans [" + data + ", +"
                    + e.size() + "), beyond the entries' end at " + centralStart);
        }
        return new Span(data, e.size());
    }

    private static SafetensorsFormatException error(Path file, String message) {
        return new SafetensorsFormatException(file, null, message);
    }
}
