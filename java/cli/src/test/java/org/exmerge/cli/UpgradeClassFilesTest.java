package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The build step that rewrites picocli's Java 5 class files for the start-up cache
 * (java/cli/tools/UpgradeClassFiles.java), run the way the pom runs it: on a copy of the picocli
 * jar this module compiles against, and on a jar holding a class that cannot verify.
 */
class UpgradeClassFilesTest {
    private static final Path TOOL = Path.of("tools", "UpgradeClassFiles.java");

    @TempDir
    Path dir;

    @Test
    void picocliBecomesJava8ClassFilesThatBehaveAlike() throws Exception {
        Path original = Path.of(CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path upgraded = dir.resolve("picocli.jar");
        Files.copy(original, upgraded);

        Result first = tool(upgraded, "picocli/");
        assertThat(first.exit).as(first.output).isZero();
        Map<String, byte[]> before = entries(original);
        Map<String, byte[]> after = entries(upgraded);
        assertThat(after.keySet()).containsExactlyElementsOf(before.keySet()); // same entries, same order
        int classes = 0;
        for (Map.Entry<String, byte[]> e : before.entrySet()) {
            byte[] now = after.get(e.getKey());
            if (e.getKey().endsWith(".class") && e.getKey().startsWith("picocli/")) {
                assertThat(major(e.getValue())).as(e.getKey()).isLessThan(50); // what makes the step needed
                assertThat(major(now)).as(e.getKey()).isEqualTo(52);
                assertThat(ClassFile.of().parse(now).methods()).hasSameSizeAs(ClassFile.of().parse(e.getValue()).methods());
                classes++;
            } else {
                assertThat(now).as(e.getKey()).isEqualTo(e.getValue());
            }
        }
        assertThat(classes).isGreaterThan(100);
        assertThat(first.output).contains(classes + " class files");

        Result again = tool(upgraded, "picocli/");
        assertThat(again.exit).isZero();
        assertThat(again.output).contains(" 0 class files");

        // picocli at work on exmerge's own commands (reflection over every option, parsing, help
        // text for each), in a JVM that verifies the rewritten classes: the same text from both.
        assertThat(usage(upgraded)).isEqualTo(usage(original)).contains("--no-sync", "--overwrite", "matched");
    }

    @Test
    void aClassThatDoesNotVerifyFailsTheStepAndLeavesTheJarAlone() throws Exception {
        // A Java 5 class whose method returns null as an int: no stack map can make it verify.
        byte[] bad = ClassFile.of().build(ClassDesc.of("picocli.Broken"), cb -> cb.withVersion(49, 0)
                .withMethodBody("f", MethodTypeDesc.of(ConstantDescs.CD_int), ClassFile.ACC_STATIC | ClassFile.ACC_PUBLIC,
                        code -> code.aconst_null().ireturn()));
        Path jar = dir.resolve("broken.jar");
        try (OutputStream raw = Files.newOutputStream(jar); ZipOutputStream out = new ZipOutputStream(raw)) {
            out.putNextEntry(new ZipEntry("picocli/Broken.class"));
            out.write(bad);
            out.closeEntry();
        }
        byte[] before = Files.readAllBytes(jar);

        Result r = tool(jar, "picocli/");

        assertThat(r.exit).isNotZero();
        assertThat(r.output).contains("picocli/Broken.class", "does not verify");
        assertThat(Files.readAllBytes(jar)).isEqualTo(before);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("broken.jar"); // no temp left
        }
    }

    /** What {@link Usage} prints in a JVM whose picocli is {@code picocliJar}. */
    private static String usage(Path picocliJar) throws Exception {
        List<String> cp = new ArrayList<>();
        cp.add(picocliJar.toString());
        String bundled = Path.of(CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        for (String p : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!p.equals(bundled)) {
                cp.add(p);
            }
        }
        Result r = run(List.of(java(), "-cp", String.join(java.io.File.pathSeparator, cp), Usage.class.getName()));
        assertThat(r.exit).as(r.output).isZero();
        return r.output;
    }

    /** Every command's help, and one parsed command line. */
    public static final class Usage {
        public static void main(String[] args) {
            System.out.println(Main.commandLine().getUsageMessage());
            for (String name : Main.commandLine().getSubcommands().keySet()) {
                System.out.println(Main.commandLine(name).getSubcommands().get(name).getUsageMessage());
            }
            CommandLine.ParseResult parsed = Main.commandLine("merge").parseArgs("merge", "r.yaml", "out", "--no-sync", "--overwrite");
            System.out.println("matched " + parsed.subcommand().matchedOptions().stream().map(o -> o.longestName()).toList()
                    + " " + parsed.subcommand().matchedPositionals().stream().map(p -> p.getValue().toString()).toList());
        }
    }

    private Result tool(Path jar, String prefix) throws Exception {
        assertThat(TOOL).exists();
        return run(List.of(java(), TOOL.toString(), jar.toString(), prefix));
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        return new Result(p.exitValue(), out);
    }

    private record Result(int exit, String output) {}

    private static Map<String, byte[]> entries(Path jar) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(jar.toFile())) {
            for (ZipEntry e : Collections.list(z.entries())) {
                try (var in = z.getInputStream(e)) {
                    out.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return out;
    }

    private static int major(byte[] classFile) {
        return ((classFile[6] & 0xff) << 8) | (classFile[7] & 0xff);
    }
}
