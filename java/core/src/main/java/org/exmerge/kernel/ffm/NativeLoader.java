package org.exmerge.kernel.ffm;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds and opens libexmerge, netty style: the {@value #PROPERTY} system property (a file), then
 * every directory of {@code java.library.path}, then the copy inside our own jar (extracted to a
 * unique temp file when the jar is not unpacked). Every failed attempt is kept as a suppressed
 * exception of the final error, so "why is native off?" always has the whole answer.
 */
public final class NativeLoader {
    /** System property naming the library file to load before any other place is tried. */
    public static final String PROPERTY = "exmerge.native.lib";

    /** A loaded library: where it came from, and its symbols (valid for the life of the JVM). */
    public record Loaded(Path path, String source, SymbolLookup lookup) {}

    private NativeLoader() {}

    /** The file name of the library on this OS (libexmerge.so on Linux). */
    public static String fileName() {
        return System.mapLibraryName("exmerge");
    }

    /** The jar resource the build puts the library at, e.g. {@code /native/linux-x86_64/libexmerge.so}. */
    public static String resourceName() {
        return "/native/" + platform() + "/" + fileName();
    }

    /** {@code os-arch} in the form the build uses: linux-x86_64, linux-aarch64, osx-aarch64 … */
    public static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.contains("linux") ? "linux" : os.contains("mac") ? "osx" : os.contains("win") ? "windows" : os;
        String a = switch (arch) {
            case "amd64", "x86_64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return o + "-" + a;
    }

    /**
     * Loads the library from the first place that works.
     *
     * @param explicit the {@value #PROPERTY} value, or null
     * @param libraryPath the {@code java.library.path} value, or null
     * @param resources where the jar resource is looked up
     * @throws UnsatisfiedLinkError naming every place tried, each failure suppressed inside it
     */
    public static Loaded load(String explicit, String libraryPath, Class<?> resources) {
        List<Throwable> failures = new ArrayList<>();
        if (explicit != null && !explicit.isBlank()) {
            Loaded l = tryOpen(Path.of(explicit), "system property " + PROPERTY, failures);
            if (l != null) {
                return l;
            }
        }
        if (libraryPath != null) {
            List<String> searched = new ArrayList<>();
            for (String dir : libraryPath.split(java.io.File.pathSeparator)) {
                if (dir.isBlank()) {
                    continue;
                }
                Path p = Path.of(dir).resolve(fileName());
                searched.add(dir);
                if (Files.isRegularFile(p)) {
                    Loaded l = tryOpen(p, "java.library.path", failures);
                    if (l != null) {
                        return l;
                    }
                }
            }
            failures.add(new UnsatisfiedLinkError(fileName() + " is not in java.library.path " + searched));
        }
        Loaded l = fromResource(resources, failures);
        if (l != null) {
            return l;
        }
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("could not load the exmerge native library (" + fileName()
                + "): " + summary(failures));
        failures.forEach(e::addSuppressed);
        throw e;
    }

    private static Loaded fromResource(Class<?> resources, List<Throwable> failures) {
        URL url = resources.getResource(resourceName());
        if (url == null) {
            failures.add(new UnsatisfiedLinkError("no " + resourceName() + " resource in the jar: this build did not"
                    + " compile native/ (it needs cmake and a C compiler; see the build log)"));
            return null;
        }
        try {
            if ("file".equals(url.getProtocol())) {
                // Unpacked classes (tests, IDE): open the built file in place.
                return tryOpen(Path.of(url.toURI()), "resource " + url, failures);
            }
            // Inside a jar: copy to a fresh temp file (never a fixed name: two JVMs or two versions
            // must not overwrite each other's library) and delete it once mapped, as netty does on
            // Unix, so a killed JVM leaves nothing behind.
            Path tmp = freshTempFile();
            try (InputStream in = url.openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Loaded l = tryOpen(tmp, "jar resource " + url + " (extracted to " + tmp + ")", failures);
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("win")) {
                Files.deleteIfExists(tmp);
            } else {
                tmp.toFile().deleteOnExit();
            }
            return l;
        } catch (IOException | URISyntaxException | RuntimeException e) {
            UnsatisfiedLinkError err = new UnsatisfiedLinkError("cannot use resource " + url + ": " + e);
            err.initCause(e);
            failures.add(err);
            return null;
        }
    }

    /**
     * A new owner-only file in java.io.tmpdir, as Files.createTempFile makes, without its
     * SecureRandom (whose provider set-up cost ~13 ms of every start): the name need not be
     * unpredictable, since the file is created exclusively (never through a planted file or link)
     * and a taken name is drawn again.
     */
    private static Path freshTempFile() throws IOException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        while (true) {
            Path p = dir.resolve("libexmerge-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".so");
            try {
                return posix ? Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                        : Files.createFile(p);
            } catch (FileAlreadyExistsException taken) {
                // drawn before; draw again
            }
        }
    }

    private static Loaded tryOpen(Path path, String source, List<Throwable> failures) {
        try {
            SymbolLookup lookup = SymbolLookup.libraryLookup(path, Arena.global());
            return new Loaded(path.toAbsolutePath(), source, lookup);
        } catch (RuntimeException e) {
            UnsatisfiedLinkError err = new UnsatisfiedLinkError("cannot load " + path + " (" + source + "): " + e.getMessage());
            err.initCause(e);
            failures.add(err);
            return null;
        }
    }

    private static String summary(List<Throwable> failures) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t : failures) {
            if (!sb.isEmpty()) {
                sb.append("; ");
            }
            sb.append(t.getMessage());
        }
        return sb.toString();
    }
}
