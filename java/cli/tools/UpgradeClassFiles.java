import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.MethodTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Build step of the CLI's -all.jar (run by java/cli/pom.xml after shading, with the JDK's source
 * launcher): rewrites the class files of the given packages that are older than Java 6 (major
 * version below 50) as Java 8 class files (52), with the stack maps such a file must carry, and
 * checks each one with the JDK's verifier. Why: the JDK's AOT cache (bin/exmerge's start-up cache)
 * will not archive a class older than Java 6 once it is linked, and picocli ships Java 5 class
 * files, so every run parsed, verified (with the slow inference verifier) and linked all of them
 * again. Every method keeps its instructions; only the version and the stack maps change. Since
 * Java 8 the JVM treats every class as ACC_SUPER whatever its version, so the new version changes
 * no behaviour. A class that cannot be rewritten or does not verify fails the build.
 *
 * <p>Usage: {@code java UpgradeClassFiles.java JAR PACKAGE_PREFIX...} (prefixes as paths:
 * {@code picocli/}). The jar is replaced in place (written beside it, then moved); entries keep
 * their order and times. Prints how many classes it rewrote.
 */
public final class UpgradeClassFiles {
    static final int OLDEST_ARCHIVED = 50;
    static final int TARGET = 52;

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: java UpgradeClassFiles.java JAR PACKAGE_PREFIX...");
            System.exit(2);
        }
        Path jar = Path.of(args[0]);
        List<String> prefixes = List.of(args).subList(1, args.length);
        Path tmp = jar.resolveSibling(jar.getFileName() + ".upgrading");
        int rewritten = 0;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            // Stack maps name the common supertype of merged types: the jar's own classes are looked
            // up in the jar, the JDK's in the running JDK.
            ClassFile cf = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                    .orElse(ClassHierarchyResolver.ofResourceParsing(loader))));
            try (InputStream raw = Files.newInputStream(jar); ZipInputStream in = new ZipInputStream(raw);
                 ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tmp))) {
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    byte[] bytes = in.readAllBytes();
                    if (!e.isDirectory() && e.getName().endsWith(".class") && prefixes.stream().anyMatch(e.getName()::startsWith)) {
                        byte[] upgraded = upgrade(cf, bytes, e.getName());
                        if (upgraded != bytes) {
                            bytes = upgraded;
                            rewritten++;
                        }
                    }
                    ZipEntry copy = new ZipEntry(e.getName());
                    copy.setTime(e.getTime());
                    out.putNextEntry(copy);
                    out.write(bytes);
                    out.closeEntry();
                }
            }
            Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        System.out.println("UpgradeClassFiles: " + rewritten + " class files of " + prefixes + " in " + jar.getFileName()
                + " rewritten as version " + TARGET);
    }

    /** The class as a version-52 class file, or {@code bytes} itself when it is recent enough already. */
    static byte[] upgrade(ClassFile cf, byte[] bytes, String name) {
        ClassModel model = cf.parse(bytes);
        if (model.majorVersion() >= OLDEST_ARCHIVED) {
            return bytes;
        }
        // Rebuilding every method's code (rather than passing it through) makes the API generate
        // the stack maps a version-52 method needs.
        byte[] out;
        try {
            out = cf.transformClass(model, ClassTransform.transformingMethods(MethodTransform.transformingCode(CodeTransform.ACCEPT_ALL))
                    .andThen(ClassTransform.endHandler(b -> b.withVersion(TARGET, 0))));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalStateException(name + ": cannot be rewritten as a version " + TARGET + " class file: " + e.getMessage(), e);
        }
        List<VerifyError> errors = cf.verify(out);
        if (!errors.isEmpty()) {
            throw new IllegalStateException(name + ": the rewritten class does not verify: " + errors.getFirst().getMessage());
        }
        ClassModel check = cf.parse(out);
        if (check.majorVersion() != TARGET || !check.thisClass().asSymbol().equals(model.thisClass().asSymbol())
                || check.methods().size() != model.methods().size()) {
            throw new IllegalStateException(name + ": rewritten as something else (" + check.thisClass().asSymbol().displayName()
                    + ", version " + check.majorVersion() + ")");
        }
        return out;
    }

    private UpgradeClassFiles() {}
}
