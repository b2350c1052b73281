package org.exmerge.format;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.InputFiles;
import org.exmerge.error.IoErrors;
import org.exmerge.error.InputChangedException;

/**
 * A model's tensors, from one {@code .safetensors} file, a directory with {@code model.safetensors},
 * or a directory with {@code model.safetensors.index.json} and its shards; or the same in PyTorch's
 * format ({@link TorchFile}): a {@code .bin} ({@code .pt}, {@code .pth}) file, {@code
 * pytorch_model.bin}, or {@code pytorch_model.bin.index.json} and its shards. A directory with
 * safetensors files is read from them alone, as transformers prefers them. Every file is validated
 * and mapped when the checkpoint opens, and the index must agree with the shards exactly, so a merge
 * never discovers a broken input halfway through.
 */
public final class Checkpoint implements AutoCloseable {
    static final String SINGLE_FILE = "model.safetensors";
    static final String TORCH_FILE = "pytorch_model.bin";
    private static final Pattern NUMBERED = Pattern.compile("(.*)-\\d{5}-of-(\\d{5})\\.(safetensors|bin)");

    private final Path path;
    private final Path directory;
    private final List<WeightsFile> files;
    private final Map<String, WeightsFile> owner;
    private final List<TensorInfo> tensors;
    private final long totalBytes;

    private Checkpoint(Path path, Path directory, List<WeightsFile> files) {
        this.path = path;
        this.directory = directory;
        this.files = List.copyOf(files);
        Map<String, WeightsFile> o = new HashMap<>();
        List<TensorInfo> all = new ArrayList<>();
        long total = 0;
        for (WeightsFile f : files) {
            for (TensorInfo t : f.tensors()) {
                o.put(t.name(), f);
                all.add(t);
                total += t.byteSize(); // each file's sum is < its size; the sum of real files fits
            }
        }
        all.sort(Comparator.comparing(TensorInfo::name));
        this.owner = o;
        this.tensors = List.copyOf(all);
        this.totalBytes = total;
    }

    /**
     * Opens a model. Problems with the input's shape (no model file, a broken header, an index that
     * disagrees with its shards) are {@link SafetensorsFormatException}s naming the file and tensor.
     */
    public static Checkpoint open(Path path) throws IOException {
        Path p = path.toAbsolutePath().normalize();
        try {
            return openChecked(p);
        } catch (ExmergeException e) {
            throw e;
        } catch (IOException e) {
            // Java's own messages are the bare path ("AccessDeniedException: /m/model.safetensors").
            throw IoErrors.input(p, e);
        }
    }

    private static Checkpoint openChecked(Path p) throws IOException {
        if (Files.isRegularFile(p)) {
            return single(p, p, p.getParent());
        }
        if (!Files.isDirectory(p)) {
            if (!Files.notExists(p)) {
                // Neither there nor surely absent: reading its attributes throws the real reason
                // (a parent directory that may not be searched: permission denied).
                Files.readAttributes(p, BasicFileAttributes.class);
                throw new SafetensorsFormatException(p, null, "not a regular file or directory");
            }
            throw new SafetensorsFormatException(p, null, "no such file or directory");
        }
        if (!Files.isReadable(p) || !Files.isExecutable(p)) {
            throw new SafetensorsFormatException(p, null, "permission denied (the model directory cannot be read)");
        }
        Checkpoint c = fromDirectory(p, SINGLE_FILE, ShardIndex.FILE_NAME);
        if (c == null) {
            c = fromDirectory(p, TORCH_FILE, ShardIndex.TORCH_FILE_NAME);
        }
        if (c == null) {
            unreadableModelFile(p);
            throw new SafetensorsFormatException(p, null, "directory holds neither " + SINGLE_FILE + " nor "
                    + ShardIndex.FILE_NAME + " (nor PyTorch's " + TORCH_FILE + " or " + ShardIndex.TORCH_FILE_NAME + ")");
        }
        return c;
    }

    /**
     * When a model file's name is there but is no readable file (a directory, a dangling or looping
     * link, a FIFO), that is the reason the directory holds no model, not that it holds none.
     */
    private static void unreadableModelFile(Path dir) throws SafetensorsFormatException {
        for (String name : List.of(SINGLE_FILE, ShardIndex.FILE_NAME, TORCH_FILE, ShardIndex.TORCH_FILE_NAME)) {
            Path f = dir.resolve(name);
            if (Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
                String why = InputFiles.problem(f);
                if (why != null) {
                    throw new SafetensorsFormatException(f, null, why);
                }
            }
        }
    }

    /** The checkpoint of {@code single} or {@code index} in {@code dir}; null when it holds neither. */
    private static Checkpoint fromDirectory(Path dir, String single, String index) throws IOException {
        Path i = dir.resolve(index);
        Path file = dir.resolve(single);
        if (Files.isRegularFile(i) && Files.isRegularFile(file)) {
            // Which one a loader picks differs between tools; merging the wrong one is silent.
            throw new SafetensorsFormatException(dir, null, "holds both " + single + " and " + index
                    + "; remove the one that is stale, or name the file to use");
        }
        if (Files.isRegularFile(i)) {
            return sharded(dir, i);
        }
        if (Files.isRegularFile(file)) {
            return single(dir, file, dir);
        }
        return null;
    }

    /** Whether {@code dir} holds a file {@link #open} would read a model from (valid or not). */
    public static boolean holdsModel(Path dir) {
        return Stream.of(SINGLE_FILE, ShardIndex.FILE_NAME, TORCH_FILE, ShardIndex.TORCH_FILE_NAME)
                .anyMatch(name -> Files.exists(dir.resolve(name), LinkOption.NOFOLLOW_LINKS));
    }

    private static Checkpoint single(Path path, Path file, Path directory) throws IOException {
        return new Checkpoint(path, directory, List.of(openFile(file)));
    }

    /** A file in PyTorch's format by its name ({@code .bin}, {@code .pt}, {@code .pth}), else safetensors. */
    private static WeightsFile openFile(Path file) throws IOException {
        String name = file.getFileName().toString();
        return name.endsWith(".bin") || name.endsWith(".pt") || name.endsWith(".pth")
                ? TorchFile.open(file) : SafetensorsFile.open(file);
    }

    private static Checkpoint sharded(Path dir, Path index) throws IOException {
        Map<String, String> weightMap = ShardIndex.read(index);
        if (weightMap.isEmpty()) {
            throw new SafetensorsFormatException(index, null, "weight_map is empty: the index lists no tensors");
        }
        // Shard name -> the tensors the index puts there, shards in name order (00001 first).
        Map<String, List<String>> byShard = new TreeMap<>();
        weightMap.forEach((tensor, shard) -> byShard.computeIfAbsent(shard, s -> new ArrayList<>()).add(tensor));
        checkNoNumberedShardLeftOut(dir, index, byShard.keySet());
        String indexName = index.getFileName().toString();
        List<WeightsFile> opened = new ArrayList<>();
        try {
            Map<String, String> seenIn = new HashMap<>();
            for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
                Path file = dir.resolve(e.getKey());
                // Links are followed: the Hugging Face cache links snapshot files to blobs.
                if (!Files.isRegularFile(file)) {
                    throw new SafetensorsFormatException(index, e.getValue().getFirst(), "weight_map names shard '"
                            + e.getKey() + "', which " + (Files.isDirectory(file) ? "is a directory" : "does not exist"));
                }
                WeightsFile f = openFile(file);
                opened.add(f);
                for (String tensor : e.getValue()) {
                    if (f.tensor(tensor) == null) {
                        throw new SafetensorsFormatException(file, tensor, "weight_map in " + indexName
                                + " puts this tensor here, but the shard does not hold it");
                    }
                }
                for (TensorInfo t : f.tensors()) {
                    String other = seenIn.putIfAbsent(t.name(), e.getKey());
                    if (other != null) {
                        throw new SafetensorsFormatException(file, t.name(), "tensor is in two shards, '" + other
                                + "' and '" + e.getKey() + "'");
                    }
                    if (!e.getKey().equals(weightMap.get(t.name()))) {
                        throw new SafetensorsFormatException(file, t.name(), "shard holds this tensor but "
                                + indexName + (weightMap.containsKey(t.name())
                                        ? " puts it in '" + weightMap.get(t.name()) + "'" : " does not list it"));
                    }
                }
            }
            return new Checkpoint(dir, dir, opened);
        } catch (IOException | RuntimeException e) {
            for (WeightsFile f : opened) {
                f.close();
            }
            throw e;
        }
    }

    /**
     * A shard the weight_map never names is never opened, so its tensors would vanish silently. When
     * the index uses Hugging Face's numbered names ({@code model-00002-of-00003.safetensors},
     * {@code pytorch_model-00002-of-00003.bin}), every numbered sibling with the same prefix, count and
     * extension that exists must be named. Other unreferenced
     * files are left alone: repositories also ship e.g. {@code consolidated.safetensors}.
     */
    private static void checkNoNumberedShardLeftOut(Path dir, Path index, Set<String> named) throws IOException {
        String family = null;
        for (String name : named) {
            Matcher m = NUMBERED.matcher(name);
            if (!m.matches() || (family != null && !family.equals(m.group(1) + "-of-" + m.group(2) + "." + m.group(3)))) {
                return; // not one numbered family: nothing to infer
            }
            family = m.group(1) + "-of-" + m.group(2) + "." + m.group(3);
        }
        if (family == null) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                String name = f.getFileName().toString();
                Matcher m = NUMBERED.matcher(name);
                if (m.matches() && family.equals(m.group(1) + "-of-" + m.group(2) + "." + m.group(3)) && !named.contains(name)) {
                    throw new SafetensorsFormatException(index, null, "weight_map names no tensor in shard '"
                            + name + "', so its tensors would be lost");
                }
            }
        }
    }

    /** The path the checkpoint was opened from (absolute). */
    public Path path() {
        return path;
    }

    /** Where {@code config.json} and tokenizer files live: the directory, or a lone file's parent. */
    public Path directory() {
        return directory;
    }

    /** All tensors, sorted by name. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** The tensor of this name, or null. */
    public TensorInfo tensor(String name) {
        WeightsFile f = owner.get(name);
        return f == null ? null : f.tensor(name);
    }

    /**
     * The tensor's bytes, a read-only slice of its mapped file (for a strided torch tensor, the copy
     * made at open).
     *
     * @throws IllegalArgumentException for a name the checkpoint lacks (check with {@link #tensor})
     */
    public MemorySegment data(String name) {
        WeightsFile f = fileFor(name);
        return f.data(f.tensor(name));
    }

    /** The tensor's bytes mapped on their own into {@code arena} (see {@link SafetensorsFile#map}). */
    public MemorySegment map(String name, java.lang.foreign.Arena arena) throws IOException {
        WeightsFile f = fileFor(name);
        return f.map(f.tensor(name), arena);
    }

    /** The file holding the tensor; {@link IllegalArgumentException} for an unknown name. */
    public Path fileOf(String name) {
        return fileFor(name).path();
    }

    /** The {@code __metadata__} of the first file (the first shard in name order); empty for torch files. */
    public Map<String, String> metadata() {
        return files.isEmpty() ? Map.of() : files.getFirst().metadata();
    }

    /** Sum of all tensors' byte sizes. */
    public long totalBytes() {
        return totalBytes;
    }

    /** The files this checkpoint maps, in name order. */
    public List<Path> files() {
        List<Path> paths = new ArrayList<>(files.size());
        files.forEach(f -> paths.add(f.path()));
        return paths;
    }

    /**
     * The first of this checkpoint's files that is no longer the file opened (truncated, rewritten,
     * replaced or deleted since; see {@link WeightsFile#change}), as the error to report with
     * {@code cause} (may be null); null when every file looks as it did.
     */
    public InputChangedException firstChangedFile(Throwable cause) {
        for (WeightsFile f : files) {
            String change = f.change();
            if (change != null) {
                return new InputChangedException(f.path(), change, cause);
            }
        }
        return null;
    }

    private WeightsFile fileFor(String name) {
        WeightsFile f = owner.get(name);
        if (f == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + path);
        }
        return f;
    }

    /** Unmaps every file; idempotent. */
    @Override
    public void close() {
        for (WeightsFile f : files) {
            f.close();
        }
    }

    @Override
    public String toString() {
        return "Checkpoint[" + path + ", " + files.size() + " file(s), " + tensors.size() + " tensors]";
    }
}
