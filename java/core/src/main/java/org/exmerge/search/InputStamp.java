package org.exmerge.search;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
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
 * directory's own files, or the file itself) by name, size and modification time, hashed. A resumed
 * search with the same settings but other inputs at the same paths (a checkpoint retrained and
 * saved over the old one) would reuse scores of models that are gone, so the stamp is part of the
 * settings. Sizes and times, not contents: hashing the bytes would read every model at start.
 */
final class InputStamp {
    /** The settings key the stamp is recorded under. */
    static final String KEY = "inputs";

    private InputStamp() {}

    static String of(Collection<Path> inputs) throws IOException {
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
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(f, BasicFileAttributes.class);
                } catch (IOException e) {
                    throw IoErrors.input(f, e);
                }
                d.update((f + "\0" + a.size() + "\0" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
        }
        return HexFormat.of().formatHex(d.digest(), 0, 12);
    }
}
