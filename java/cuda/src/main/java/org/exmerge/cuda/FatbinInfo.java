package org.exmerge.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * What a CUDA fatbin holds, read from its container header (the layout nvcc's fatbinary writes:
 * a 16-byte header with magic 0xBA55ED50, then entries, each with its kind at byte 0 (1 PTX, 2
 * ELF/SASS), its header size at 4, its payload size at 8 and its architecture at 28). Used by
 * {@code exmerge doctor} and by the test that the jar's fatbin has every architecture the build
 * lists, where no cuobjdump is installed.
 *
 * @param sass the real architectures (SASS), e.g. 80, 86, 89, 90
 * @param ptx the virtual architectures (PTX), e.g. 90
 */
public record FatbinInfo(List<Integer> sass, List<Integer> ptx) {
    static final int MAGIC = 0xBA55ED50;

    /**
     * Parses a fatbin.
     *
     * @throws IllegalArgumentException when the bytes are not a fatbin this reader knows
     */
    public static FatbinInfo read(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 16 || b.getInt(0) != MAGIC) {
            throw new IllegalArgumentException("not a CUDA fatbin (no 0xBA55ED50 magic)");
        }
        int headerSize = Short.toUnsignedInt(b.getShort(6));
        long end = headerSize + b.getLong(8);
        if (end > bytes.length) {
            throw new IllegalArgumentException("fatbin header claims " + end + " bytes, file has " + bytes.length);
        }
        List<Integer> sass = new ArrayList<>();
        List<Integer> ptx = new ArrayList<>();
        long at = headerSize;
        while (at + 32 <= end) {
            int p = (int) at;
            int kind = Short.toUnsignedInt(b.getShort(p));
            long entryHeader = Integer.toUnsignedLong(b.getInt(p + 4));
            long payload = b.getLong(p + 8);
            int arch = b.getInt(p + 28);
            if (kind == 1) {
                ptx.add(arch);
            } else if (kind == 2) {
                sass.add(arch);
            } else {
                throw new IllegalArgumentException("fatbin entry at " + at + " has unknown kind " + kind);
            }
            if (entryHeader <= 0 || payload < 0) {
                throw new IllegalArgumentException("fatbin entry at " + at + " has a broken header");
            }
            at += entryHeader + payload;
        }
        return new FatbinInfo(List.copyOf(sass), List.copyOf(ptx));
    }

    @Override
    public String toString() {
        return "sm_" + String.join(", sm_", sass.stream().map(String::valueOf).toList()) + (ptx.isEmpty() ? ""
                : " + compute_" + String.join(", compute_", ptx.stream().map(String::valueOf).toList()) + " PTX");
    }
}
