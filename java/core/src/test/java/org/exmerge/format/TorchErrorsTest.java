package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.exmerge.format.TorchFixtureTest.fixture;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.InputException;
import org.exmerge.testing.TorchFiles;
import org.exmerge.testing.TorchFiles.Pickle;
import org.exmerge.testing.TorchFiles.Stored;
import org.exmerge.testing.TorchFiles.Zip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Torch checkpoints that cannot be used, each refused with one line naming the file (and the tensor
 * where there is one), kind INPUT (exit 3): broken containers, pickles that name anything but torch's
 * tensor globals, and state dicts that are not a flat dict of tensors.
 */
class TorchErrorsTest {
    @TempDir
    Path dir;

    static InputException reject(Path path) {
        InputException e = catchThrowableOfType(InputException.class, () -> Checkpoint.open(path).close());
        assertThat(e).as("an InputException for " + path).isNotNull();
        assertThat(e.kind()).isEqualTo(ExmergeException.Kind.INPUT);
        assertThat(e.getMessage()).doesNotContain("\n").startsWith(path.toAbsolutePath().toString());
        return e;
    }

    /** The entries of a torch zip fixture, in order. */
    static Map<String, byte[]> entries(Path zip) throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (ZipEntry e : z.stream().toList()) {
                m.put(e.getName(), z.getInputStream(e).readAllBytes());
            }
        }
        return m;
    }

    /** mixed.bin's entries rebuilt through {@code edit} into a new file. */
    private Path mixed(UnaryOperator<Zip> edit, Map<String, byte[]> replace, String... drop) throws IOException {
        Map<String, byte[]> es = entries(fixture("mixed.bin"));
        es.putAll(replace);
        Zip z = new Zip();
        es.forEach((name, bytes) -> {
            if (!List.of(drop).contains(name)) {
                z.add(name, bytes);
            }
        });
        return Files.write(dir.resolve("m.bin"), edit.apply(z).bytes());
    }

    /** An archive of one pickle and the given storages. */
    private Path archive(byte[] pickle, byte[]... storages) throws IOException {
        Zip z = new Zip().add("archive/data.pkl", pickle);
        for (int i = 0; i < storages.length; i++) {
            z.add("archive/data/" + i, storages[i]);
        }
        return Files.write(dir.resolve("a.bin"), z.bytes());
    }

    /** The tensor name torch.save gave storage 0 in mixed.bin. */
    private static String firstTensor() {
        return "bf16.matrix";
    }

    @Test
    void rebuiltArchivesReadAsTheFixture() throws Exception {
        // The test's own ZIP writer, in all its layouts, first makes a file that reads: what the
        // tests below break is then only what they change.
        for (UnaryOperator<Zip> layout : List.<UnaryOperator<Zip>>of(z -> z, Zip::zip64, Zip::unaligned,
                z -> z.zip64().unaligned())) {
            Path f = mixed(layout, Map.of());
            try (Checkpoint c = Checkpoint.open(f); Checkpoint s = Checkpoint.open(fixture("mixed.safetensors"))) {
                TorchFixtureTest.assertSameTensors(c, s);
            }
        }
    }

    @Test
    void aDeflatedEntry() throws Exception {
        Map<String, byte[]> es = entries(fixture("mixed.bin"));
        Zip z = new Zip();
        es.forEach((name, bytes) -> {
            if (name.equals("mixed/data/0")) {
                z.deflated(name, bytes);
            } else {
                z.add(name, bytes);
            }
        });
        Path f = Files.write(dir.resolve("m.bin"), z.bytes());
        InputException e = reject(f);
        assertThat(e.getMessage()).contains("tensor '" + firstTensor() + "'")
                .contains("ZIP entry 'mixed/data/0' is compressed (method 8)");
    }

    @Test
    void aDeflatedPickle() throws Exception {
        Map<String, byte[]> es = entries(fixture("mixed.bin"));
        Zip z = new Zip();
        es.forEach((name, bytes) -> {
            if (name.endsWith("data.pkl")) {
                z.deflated(name, bytes);
            } else {
                z.add(name, bytes);
            }
        });
        InputException e = reject(Files.write(dir.resolve("m.bin"), z.bytes()));
        assertThat(e.getMessage()).contains("ZIP entry 'mixed/data.pkl' is compressed");
    }

    @Test
    void aMissingDataEntry() throws Exception {
        InputException e = reject(mixed(z -> z, Map.of(), "mixed/data/0"));
        assertThat(e.getMessage()).isEqualTo(dir.resolve("m.bin").toAbsolutePath() + ": tensor '" + firstTensor()
                + "': ZIP archive has no entry 'mixed/data/0'");
    }

    @Test
    void aStorageShorterThanItsPickleSays() throws Exception {
        byte[] short0 = Arrays.copyOf(entries(fixture("mixed.bin")).get("mixed/data/0"), 10);
        InputException e = reject(mixed(z -> z, Map.of("mixed/data/0", short0)));
        assertThat(e.getMessage()).contains("tensor '" + firstTensor() + "'")
                .contains("storage '0' holds 10 bytes, but the pickle declares 30");
    }

    @Test
    void aTensorReachingPastItsStorage() throws Exception {
        // 6 floats of storage; a 2x3 view starting at element 1 needs 7.
        Path f = archive(TorchFiles.stateDict(List.of(new Stored("w", DType.F32, "0", 6, 1, new long[] {2, 3},
                new long[] {3, 1}))), new byte[24]);
        assertThat(reject(f).getMessage()).isEqualTo(f.toAbsolutePath()
                + ": tensor 'w': reaches byte 28 of storage '0', which holds 24 bytes");
        // Strided: a transposed 3x2 view of 6 floats with a stride past the end.
        Path g = archive(TorchFiles.stateDict(List.of(new Stored("t", DType.F32, "0", 6, 0, new long[] {3, 2},
                new long[] {1, 4}))), new byte[24]);
        assertThat(reject(g).getMessage()).contains("tensor 't': reaches byte 28 of storage '0'");
    }

    @Test
    void aBroadcastWhoseCopyWouldOutgrowTheFile() throws Exception {
        Path f = archive(TorchFiles.stateDict(List.of(new Stored("b", DType.F32, "0", 1, 0,
                new long[] {1 << 20, 1 << 20}, new long[] {0, 0}))), new byte[4]);
        assertThat(reject(f).getMessage()).contains("tensor 'b': is a strided view of 4398046511104 bytes");
    }

    @Test
    void forbiddenGlobalsAreRefusedAndNothingRuns() throws Exception {
        Path marker = dir.resolve("ran");
        // os.system("touch <marker>") as protocol 2 writes it, then as protocol 4 (STACK_GLOBAL).
        byte[] p2 = new Pickle().proto(2).global("os", "system").str("touch " + marker).op(0x85, 'R', '.').bytes();
        Path f = archive(p2);
        assertThat(reject(f).getMessage()).isEqualTo(f.toAbsolutePath() + ": 'archive/data.pkl': refuses pickle global"
                + " 'os.system': a state dict needs only torch's tensor and storage globals, and nothing in a file is run"
                + " (at byte 2)");
        byte[] p4 = new Pickle().proto(4).op(0x8c, 8).raw("builtins".getBytes(StandardCharsets.US_ASCII))
                .op(0x8c, 4).raw("eval".getBytes(StandardCharsets.US_ASCII)).op(0x93).str("1").op(0x85, 'R', '.').bytes();
        assertThat(reject(archive(p4)).getMessage()).contains("refuses pickle global 'builtins.eval'");
        // A torch function that is not a tensor rebuild, inside a state dict.
        byte[] p = new Pickle().proto(2).global("collections", "OrderedDict").op(')', 'R').str("w")
                .global("torch._utils", "_rebuild_device_tensor_from_cpu_tensor").op(')', 'R', 's', '.').bytes();
        assertThat(reject(archive(p)).getMessage()).contains("refuses pickle global 'torch._utils._rebuild_device_tensor_from_cpu_tensor'");
        assertThat(marker).doesNotExist();
    }

    @Test
    void bigEndianData() throws Exception {
        Path f = mixed(z -> z.add("mixed/byteorder", "big".getBytes(StandardCharsets.US_ASCII)), Map.of());
        assertThat(reject(f).getMessage()).contains("holds big-endian data ('mixed/byteorder' says big)");
        Path g = mixed(z -> z.add("mixed/byteorder", "middle".getBytes(StandardCharsets.US_ASCII)), Map.of());
        assertThat(reject(g).getMessage()).contains("'mixed/byteorder' is neither 'little' nor 'big'");
    }

    @Test
    void bigEndianLegacyFile() throws Exception {
        byte[] b = Files.readAllBytes(fixture("mixed-legacy.bin"));
        byte[] key = "little_endian".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(b, key) + key.length;
        // BINPUT n, then NEWTRUE: make it NEWFALSE.
        assertThat(b[at]).isEqualTo((byte) 'q');
        assertThat(b[at + 2]).isEqualTo((byte) 0x88);
        b[at + 2] = (byte) 0x89;
        Path f = Files.write(dir.resolve("legacy.bin"), b);
        assertThat(reject(f).getMessage()).contains("holds big-endian data (written on a big-endian machine)");
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void aTopLevelThatIsNotADict() throws Exception {
        Pickle p = new Pickle().proto(2).op(']').mark();
        TorchFiles.tensor(p, Stored.whole("x", DType.F32, "0", 2));
        Path f = archive(p.op('e', '.').bytes(), new byte[8]);
        assertThat(reject(f).getMessage()).isEqualTo(f.toAbsolutePath() + ": holds a list, not a dict of tensors;"
                + " exmerge reads a state dict (name to tensor), as save_pretrained writes");
    }

    @Test
    void aValueThatIsNotATensor() throws Exception {
        byte[] step = new Pickle().proto(2).op('}').str("step").integer(5).op('s', '.').bytes();
        Path f = archive(step);
        assertThat(reject(f).getMessage()).startsWith(f.toAbsolutePath() + ": tensor 'step': is an int, not a tensor;"
                + " exmerge reads a flat state dict of tensors");
        // A training checkpoint nesting the state dict.
        Pickle nested = new Pickle().proto(2).op('}').str("state_dict").op('}').str("w");
        TorchFiles.tensor(nested, Stored.whole("w", DType.F32, "0", 2));
        Path g = archive(nested.op('s', 's', '.').bytes(), new byte[8]);
        assertThat(reject(g).getMessage()).contains("tensor 'state_dict': is a dict, not a tensor");
    }

    @Test
    void aKeyThatIsNotAString() throws Exception {
        Pickle p = new Pickle().proto(2).op('}').integer(3);
        TorchFiles.tensor(p, Stored.whole("w", DType.F32, "0", 2));
        Path f = archive(p.op('s', '.').bytes(), new byte[8]);
        assertThat(reject(f).getMessage()).contains("the state dict has a key that is an int, not a tensor name");
    }

    @Test
    void oneStorageUsedAsTwoTypesIsRefused() throws Exception {
        // torch.load keeps the key's first type (float) for both; reading 'v' as half would differ from it.
        Path f = archive(TorchFiles.stateDict(List.of(new Stored("w", DType.F32, "0", 12, 0, new long[] {2, 3},
                new long[] {3, 1}), new Stored("v", DType.F16, "0", 24, 0, new long[] {2}, new long[] {1}))), new byte[48]);
        assertThat(reject(f).getMessage()).isEqualTo(f.toAbsolutePath() + ": tensor 'v': storage '0' is used as"
                + " torch.FloatStorage and as torch.HalfStorage; a storage has one type");
    }

    @Test
    void countsThatAreNegativeOrTooLargeSaySo() throws Exception {
        Path f = archive(TorchFiles.stateDict(List.of(new Stored("w", DType.F32, "0", 6, -1, new long[] {2, 3},
                new long[] {3, 1}))), new byte[24]);
        assertThat(reject(f).getMessage()).isEqualTo(f.toAbsolutePath() + ": tensor 'w': storage offset is negative: -1");
        // size (2^70,): LONG1 of 9 bytes, little-endian
        Pickle p = new Pickle().proto(2).op('}').str("w").global("torch._utils", "_rebuild_tensor_v2").mark();
        p.mark().str("storage").global("torch", "FloatStorage").str("0").str("cpu").integer(6).op('t', 'Q');
        p.integer(0).mark().op(0x8a, 9).raw(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0x40}).op('t').tuple(1).op(0x89);
        p.global("collections", "OrderedDict").op(')', 'R').op('t', 'R', 's', '.');
        Path g = archive(p.bytes(), new byte[24]);
        assertThat(reject(g).getMessage()).isEqualTo(g.toAbsolutePath()
                + ": tensor 'w': size at dimension 0 is 1180591620717411303424, beyond 2^63-1");
    }

    @Test
    void aNegationBitIsRefused() throws Exception {
        // _rebuild_tensor_v2 with a seventh argument {'neg_bit': True}: the stored values are not the tensor's.
        Pickle p = new Pickle().proto(2).op('}').str("w").global("torch._utils", "_rebuild_tensor_v2").mark();
        p.mark().str("storage").global("torch", "FloatStorage").str("0").str("cpu").integer(2).op('t', 'Q');
        p.integer(0).tuple(2).tuple(1).op(0x89).op('}').op('}').str("neg_bit").op(0x88, 's', 't', 'R', 's', '.');
        Path f = archive(p.bytes(), new byte[8]);
        assertThat(reject(f).getMessage()).contains("tensor 'w': the tensor carries torch metadata");
    }

    @Test
    void untypedStoragesWithADtypeAsTorch2WritesFloat8() throws Exception {
        // _rebuild_tensor_v3(UntypedStorage, 1, (2, 2), (2, 1), False, OrderedDict(), torch.float8_e4m3fn)
        Pickle p = new Pickle().proto(2).op('}').str("f8").global("torch._utils", "_rebuild_tensor_v3").mark();
        p.mark().str("storage").global("torch", "UntypedStorage").str("0").str("cpu").integer(6).op('t', 'Q');
        p.integer(1).tuple(2, 2).tuple(2, 1).op(0x89).op('}').global("torch", "float8_e4m3fn").op('t', 'R', 's', '.');
        byte[] storage = {9, 1, 2, 3, 4, 9};
        Path f = archive(p.bytes(), storage);
        try (Checkpoint c = Checkpoint.open(f)) {
            assertThat(c.tensor("f8").dtype()).isEqualTo(DType.F8_E4M3);
            assertThat(c.tensor("f8").shape()).containsExactly(2, 2);
            assertThat(c.data("f8").toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 2, 3, 4);
        }
        // A dtype exmerge does not read.
        byte[] u16 = p.bytes().clone();
        Path g = archive(new String(u16, StandardCharsets.ISO_8859_1).replace("float8_e4m3fn", "uint16")
                .getBytes(StandardCharsets.ISO_8859_1), storage);
        assertThat(reject(g).getMessage()).contains("dtype 'torch.uint16' is not one exmerge reads");
    }

    @Test
    void unsupportedStorageType() throws Exception {
        byte[] p = TorchFiles.stateDict(List.of(Stored.whole("c", DType.F32, "0", 2)));
        byte[] complex = new String(p, StandardCharsets.ISO_8859_1).replace("FloatStorage", "ComplexFloatStorage")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertThat(reject(archive(complex, new byte[16])).getMessage())
                .contains("storage type 'torch.ComplexFloatStorage' holds a dtype exmerge does not read");
    }

    @Test
    void containersThatAreNotOneTorchCheckpoint() throws Exception {
        Path none = Files.write(dir.resolve("none.bin"), new Zip().add("x/version", new byte[] {'3'}).bytes());
        assertThat(reject(none).getMessage()).contains("ZIP archive has no '<name>/data.pkl' entry");
        Path two = Files.write(dir.resolve("two.bin"), new Zip().add("a/data.pkl", new byte[] {'.'})
                .add("b/data.pkl", new byte[] {'.'}).bytes());
        assertThat(reject(two).getMessage()).contains("ZIP archive has 2 data.pkl entries");
        Path st = Files.copy(fixture("mixed.safetensors"), dir.resolve("st.bin"));
        assertThat(reject(st).getMessage()).isEqualTo(st.toAbsolutePath()
                + ": not a torch checkpoint but a safetensors file; name it .safetensors");
        Path text = Files.writeString(dir.resolve("t.bin"), "hello");
        assertThat(reject(text).getMessage()).isEqualTo(text.toAbsolutePath()
                + ": not a torch checkpoint (it begins with bytes 68 65 6c 6c; torch writes a ZIP archive or, before 1.6, a pickle)");
        Path empty = Files.write(dir.resolve("e.bin"), new byte[0]);
        assertThat(reject(empty).getMessage()).endsWith(": not a torch checkpoint (the file is empty)");
        byte[] tar = new byte[1024];
        System.arraycopy("ustar".getBytes(StandardCharsets.US_ASCII), 0, tar, 257, 5);
        Path t = Files.write(dir.resolve("old.bin"), tar);
        assertThat(reject(t).getMessage()).contains("is a tar archive, torch's format before 0.4");
        Path pickle = Files.write(dir.resolve("p.bin"), new Pickle().proto(2).integer(7).op('.').bytes());
        assertThat(reject(pickle).getMessage()).contains("not a torch checkpoint: a pickle without torch's magic number");
    }

    @Test
    void trailingBytesAfterThePickleOrTheLastLegacyStorage() throws Exception {
        byte[] pkl = entries(fixture("mixed.bin")).get("mixed/data.pkl");
        byte[] longer = Arrays.copyOf(pkl, pkl.length + 3);
        assertThat(reject(mixed(z -> z, Map.of("mixed/data.pkl", longer))).getMessage())
                .contains("'mixed/data.pkl' has 3 bytes after its pickle's end");
        byte[] legacy = Files.readAllBytes(fixture("mixed-legacy.bin"));
        Path f = Files.write(dir.resolve("l.bin"), Arrays.copyOf(legacy, legacy.length + 5));
        assertThat(reject(f).getMessage()).contains("5 bytes follow the last storage");
    }

    @Test
    void aDirectoryWithBothPytorchModelBinAndItsIndex() throws Exception {
        Files.copy(fixture("module.bin"), dir.resolve("pytorch_model.bin"));
        Files.copy(fixture("sharded/pytorch_model.bin.index.json"), dir.resolve("pytorch_model.bin.index.json"));
        assertThat(reject(dir).getMessage()).isEqualTo(dir.toAbsolutePath()
                + ": holds both pytorch_model.bin and pytorch_model.bin.index.json; remove the one that is stale, or name the file to use");
    }

    @Test
    void shardedBinIndexChecksAsTheSafetensorsOne() throws Exception {
        Path src = fixture("sharded");
        for (String f : List.of("pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        String index = Files.readString(src.resolve("pytorch_model.bin.index.json"));
        // A numbered shard the index never names.
        Files.writeString(dir.resolve("pytorch_model.bin.index.json"),
                "{\"weight_map\": {\"bf16.matrix\": \"pytorch_model-00001-of-00002.bin\"}}");
        assertThat(reject(dir).getMessage()).contains("weight_map names no tensor in shard 'pytorch_model-00002-of-00002.bin'");
        // A tensor the index puts in the wrong shard.
        Files.writeString(dir.resolve("pytorch_model.bin.index.json"), index.replace(
                "\"scalar\": \"pytorch_model-00002-of-00002.bin\"", "\"scalar\": \"pytorch_model-00001-of-00002.bin\""));
        assertThat(reject(dir).getMessage()).contains("tensor 'scalar': weight_map in pytorch_model.bin.index.json puts"
                + " this tensor here, but the shard does not hold it");
        // A shard replaced by a copy of another.
        Files.copy(src.resolve("pytorch_model-00001-of-00002.bin"), dir.resolve("pytorch_model-00002-of-00002.bin"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("pytorch_model.bin.index.json"), index);
        assertThat(reject(dir).getMessage()).contains("but the shard does not hold it");
    }

    @Test
    void zip64RecordsPointingOutsideTheFile() throws Exception {
        byte[] b = Files.readAllBytes(mixed(Zip::zip64, Map.of()));
        // The locator's pointer to the ZIP64 end record: 20 + 22 bytes from the end, 8 in.
        int loc = b.length - 22 - 20;
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(loc + 8, b.length * 2L);
        Path f = Files.write(dir.resolve("z.bin"), b);
        assertThat(reject(f).getMessage()).contains("ZIP64 end-of-central-directory record at").contains("is outside the file");
    }
}
