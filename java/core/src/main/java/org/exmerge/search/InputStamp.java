package org.exmerge.search;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.exmerge.error.IoErrors;

/**
 * What the input models were when a search scored them: each input's files (a model or adapter
 * directory's own files, or the file itself) by name, size and a sample of their bytes, hashed. A
 * resumed search with the same settings but other inputs at the same paths (a checkpoint retrained
 * and saved over the old one) would reuse scores of models that are gone, so the stamp is part of
 * the settings. A sample, not every byte: a file's first 64 KiB (a safetensors header, a config)
 * and 64 blocks of 4 KiB spread over the rest, so a 13 GB model costs a few hundred kB of reads; a
 * retrained model differs nearly everywhere. Not modification times: the same model written again
 * (synth, a copy) is the same model.
 */
public final class InputStamp {
    /** The settings key the stamp is recorded under. */
    static final String KEY = "inputs";

    private InputStamp() {}

    /** The stamp of {@code inputs} (files, or directories whose own files count), 24 hex digits. */
    public static String of(Collection<Path> inputs) throws IOException {
        return of(inputs, false);
    }

    /**
     * The stamp with each file's modification time too, for a check that must not miss a change
     * outside the sampled bytes (multi's reuse of an intermediate): a file written again then counts
     * as changed, which costs a merge, never a wrong result.
     */
    public static String withTimes(Collection<Path> inputs) throws IOException {
        return of(inputs, true);
    }

    private static String of(Collection<Path> inputs, boolean times) throws IOException {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        for (Path in : inputs) {
            Path p = in.toAbsolutePath().normalize();
            List<Path> files;
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    files = s.filter(Files::isRegularFile).sorted().toList();
                } catch (IOException e) {
                    throw IoErrors.input(p, e);
                }
            } else {
                files = List.of(p);
            }
            for (Path f : files) {
                d.update((f + "\0").getBytes(StandardCharsets.UTF_8));
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    if (times) {
                        long ns = Files.getLastModifiedTime(f).to(TimeUnit.NANOSECONDS);
                        d.update(ByteBuffer.allocate(Long.BYTES).putLong(0, ns));
                    }
                    sample(ch, d);
                } catch (IOException e) {
                    throw IoErrors.input(f, e);
                }
            }
        }
        return HexFormat.of().formatHex(d.digest(), 0, 12);
    }

    private static final int HEAD = 64 << 10;
    private static final int BLOCKS = 64;
    private static final int BLOCK = 4 << 10;

    private static void sample(FileChannel ch, MessageDigest d) throws IOException {
        long size = ch.size();
        d.update(ByteBuffer.allocate(Long.BYTES).putLong(0, size));
        ByteBuffer buf = ByteBuffer.allocate(HEAD);
        read(ch, buf, 0, d);
        if (size > HEAD) {
            for (int i = 0; i < BLOCKS; i++) {
                long at = HEAD + (size - HEAD) / BLOCKS * i;
                read(ch, buf.clear().limit((int) Math.min(BLOCK, size - at)), at, d);
            }
        }
    }

    private static void read(FileChannel ch, ByteBuffer buf, long at, MessageDigest d) throws IOException {
        while (buf.hasRemaining() && ch.read(buf, at + buf.position()) > 0) {
            // a short read: go on from where it stopped
        }
        d.update(buf.flip());
    }
}
