package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The search order and its error reporting; loading the real library where the build made one. */
class NativeLoaderTest {
    @TempDir
    Path dir;

    @Test
    void nothingFoundNamesEveryPlaceTriedAsSuppressedExceptions() throws Exception {
        Path bogus = dir.resolve("not-a-library.so"); // does not exist
        // String.class's loader has no /native resource: the jar step fails too.
        assertThatThrownBy(() -> NativeLoader.load(bogus.toString(), dir.toString(), String.class))
                .isInstanceOf(UnsatisfiedLinkError.class)
                .hasMessageContaining("not-a-library.so").hasMessageContaining("java.library.path")
                .satisfies(e -> {
                    assertThat(e.getSuppressed()).hasSize(3);
                    assertThat(e.getSuppressed()[0].getMessage()).contains("system property " + NativeLoader.PROPERTY);
                    assertThat(e.getSuppressed()[2].getMessage()).contains(NativeLoader.resourceName());
                });
    }

    @Test
    void theLinuxResourceNameIsWhereTheBuildPutsTheLibrary() {
        if (System.getProperty("os.name").toLowerCase().contains("linux") && System.getProperty("os.arch").equals("amd64")) {
            assertThat(NativeLoader.resourceName()).isEqualTo("/native/linux-x86_64/libexmerge.so");
        }
        assertThat(NativeLoader.resourceName()).startsWith("/native/" + NativeLoader.platform() + "/");
    }

    @Test
    void eachPlaceIsTriedInOrderAndABadOneDoesNotStopTheSearch() throws Exception {
        NativeTestSupport.requireNative();
        Path built = NativeLibrary.loaded().path();
        Path copy = dir.resolve("lib").resolve(NativeLoader.fileName());
        Files.createDirectories(copy.getParent());
        Files.copy(built, copy);
        // 1. the property wins when it names a library
        NativeLoader.Loaded viaProperty = NativeLoader.load(copy.toString(), null, String.class);
        assertThat(viaProperty.source()).contains(NativeLoader.PROPERTY);
        assertThat(viaProperty.lookup().find("mk_linear")).isPresent();
        // 2. a broken property falls through to java.library.path
        NativeLoader.Loaded viaPath = NativeLoader.load(dir.resolve("missing.so").toString(),
                dir + java.io.File.pathSeparator + copy.getParent(), String.class);
        assertThat(viaPath.source()).isEqualTo("java.library.path");
        assertThat(viaPath.path()).isEqualTo(copy.toAbsolutePath());
        // 3. then the resource of the class given (our own classes carry it)
        NativeLoader.Loaded viaResource = NativeLoader.load(null, dir.toString(), NativeLoader.class);
        assertThat(viaResource.source()).contains("resource");
    }

    /** How a user's run loads it: from inside the CLI's jar, through a temp file that is gone once mapped. */
    @Test
    void aJarsLibraryLoadsThroughATempFileThatIsRemovedOnceMapped() throws Exception {
        NativeTestSupport.requireNative();
        Path jar = dir.resolve("lib.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("Anchor.class"));
            out.write(ClassFile.of().build(ClassDesc.of("Anchor"), c -> {}));
            out.putNextEntry(new JarEntry(NativeLoader.resourceName().substring(1)));
            out.write(Files.readAllBytes(NativeLibrary.loaded().path()));
        }
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        String before = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", tmp.toString());
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            NativeLoader.Loaded l = NativeLoader.load(null, null, loader.loadClass("Anchor"));
            assertThat(l.source()).contains("jar resource").contains("extracted to " + tmp.resolve("libexmerge-"));
            assertThat(l.lookup().find("mk_linear")).isPresent();
            try (var left = Files.list(tmp)) {
                assertThat(left).as("deleted once mapped: a killed JVM leaves nothing behind").isEmpty();
            }
        } finally {
            System.setProperty("java.io.tmpdir", before);
        }
    }

    @Test
    void aLibraryThisBuildProducedLoadsWithTheRightAbi() {
        NativeTestSupport.requireNative(); // fails (not skips) when a built library does not load
        assertThat(NativeSupport.isAvailable()).isTrue();
        assertThat(NativeSupport.unavailabilityCause()).isNull();
        assertThat(ExmergeNative.abiVersion()).isEqualTo(ExmergeNative.MK_ABI_VERSION);
        assertThat(ExmergeNative.missingSymbols()).isEmpty();
        assertThat(NativeSupport.describe()).contains(NativeLoader.fileName()).contains("ABI " + ExmergeNative.MK_ABI_VERSION);
    }

    /** A stale library is caught at load, whichever class holds the handle it lacks, though handles link lazily. */
    @Test
    void aFunctionMissingFromAnyHolderIsFoundWithoutLinkingIt() {
        SymbolLookup lacksTwo = name -> name.equals("mk_sce_merge") || name.equals("mk_isa") ? Optional.empty()
                : Optional.of(MemorySegment.NULL);
        assertThat(ExmergeNative.missing(lacksTwo)).containsExactlyInAnyOrder("mk_sce_merge", "mk_isa");
        assertThat(ExmergeNative.missing(name -> Optional.of(MemorySegment.NULL))).isEmpty();
    }

    @Test
    void cpuDetectionAgreesWithTheKernelsViewOfTheCpu() throws Exception {
        NativeTestSupport.requireNative();
        long f = ExmergeNative.cpuFeatures();
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            // Linux's flags line is CPUID as the kernel saw it (and it hides what the OS does not enable).
            String flags = Files.readAllLines(cpuinfo).stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
            java.util.Set<String> set = java.util.Set.of(flags.replaceFirst("^flags\\s*:", "").trim().split("\\s+"));
            assertThat((f & ExmergeNative.MK_CPU_AVX2) != 0).as("avx2").isEqualTo(set.contains("avx2"));
            assertThat((f & ExmergeNative.MK_CPU_F16C) != 0).as("f16c").isEqualTo(set.contains("f16c"));
            assertThat((f & ExmergeNative.MK_CPU_AVX512F) != 0).as("avx512f").isEqualTo(set.contains("avx512f"));
            assertThat((f & ExmergeNative.MK_CPU_AVX512BW) != 0).as("avx512bw").isEqualTo(set.contains("avx512bw"));
        }
        int best = ExmergeNative.bestIsa();
        if (best == ExmergeNative.MK_ISA_AVX512) {
            assertThat(f & ExmergeNative.MK_CPU_OS_ZMM).as("zmm code needs the OS to save zmm state").isNotZero();
        }
        assertThat(ExmergeNative.forceIsa(best + 1)).as("a path above the best is refused").isEqualTo(ExmergeNative.MK_E_ISA);
        assertThat(ExmergeNative.isa()).isEqualTo(best);
    }
}
