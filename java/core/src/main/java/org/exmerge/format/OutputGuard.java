package org.exmerge.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.exmerge.error.UsageException;

/**
 * Decides, before any work, whether a run may write its model at an output path. Replacing
 * something the user did not clearly ask to replace is the worst thing this tool could do, so a path
 * that is empty, the root, the working directory or one of its parents, or that equals or holds an
 * input or the recipe, is refused outright; an existing path is replaced only with {@code overwrite},
 * and then only when it is an empty directory or a model directory every file of which is proven
 * exmerge's ({@link #requireReplaceable}); a LoRA adapter directory that exmerge wrote
 * ({@code exmerge synth --lora}) counts as one. A mount point is never replaced: no rename can.
 */
public final class OutputGuard {
    /** Names a model directory written by exmerge may hold: weights, index, config and tokenizer files. */
    private static final Pattern MODEL_FILE = Pattern.compile(
            "model(-\\d{5}-of-\\d{5})?\\.safetensors|model\\.safetensors\\.index\\.json|config\\.json"
                    + "|generation_config\\.json|tokenizer(_config)?\\.json|special_tokens_map\\.json|tokenizer\\.model"
                    + "|vocab\\.json|merges\\.txt|added_tokens\\.json|chat_template\\.(jinja|json)|preprocessor_config\\.json"
                    + "|adapter_model\\.safetensors|adapter_config\\.json");
    private static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";
    private static final String ADAPTER_CONFIG = "adapter_config.json";
    private static final String CONFIG = "config.json";
    private static final JsonFactory JSON = new JsonFactory();
    private static final String MARK = "exmerge.version";

    private OutputGuard() {}

    /**
     * Refuses {@code out} when writing there could destroy something the user did not name as the
     * output.
     *
     * @param inputs paths the run reads (models, the recipe file); none may equal or lie inside {@code out}
     * @throws UsageException             for a path that must never be an output, or that {@code overwrite} may not replace
     * @throws FileAlreadyExistsException when {@code out} exists and {@code overwrite} is false
     */
    public static void check(Path out, boolean overwrite, Collection<Path> inputs) throws IOException {
        if (out.toString().isBlank()) {
            throw new UsageException("output path is empty (an unset shell variable?); name the model directory to write");
        }
        requireSafePlace(out, inputs, "write a model over", "output path");
        // A run that died while replacing this output may have left it aside: back in place before
        // anything below looks at what is there.
        Path abs = out.toAbsolutePath().normalize();
        if (abs.getParent() != null && abs.getFileName() != null) {
            RunLock.sweep(abs);
        }
        if (!Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!overwrite) {
            throw new FileAlreadyExistsException(out.toString(), null, "output exists; choose another path or allow overwriting (--overwrite)");
        }
        requireReplaceable(out);
    }

    /**
     * The refusals that hold whatever is at {@code out}: the root, the working directory or one of
     * its parents, and a path that equals or holds one of {@code inputs}.
     *
     * @param action what the run would do there ("write a model over"), for the message
     * @param name   what the user names the path by ("output path", "--workdir"), for the message
     * @throws UsageException naming the path and why it is refused
     */
    public static void requireSafePlace(Path out, Collection<Path> inputs, String action, String name) throws IOException {
        Path target = real(out);
        if (target.getParent() == null) {
            throw new UsageException(out + ": refusing to " + action + " the root directory");
        }
        Path cwd = real(Path.of(""));
        if (cwd.startsWith(target)) {
            throw new UsageException(out + ": refusing to " + action + " "
                    + (cwd.equals(target) ? "the working directory" : "a parent of the working directory (" + target + ")"));
        }
        for (Path in : inputs) {
            Path p = real(in);
            if (p.equals(target)) {
                throw new UsageException(out + ": is an input of this run (" + in + "); choose another " + name);
            }
            if (p.startsWith(target)) {
                throw new UsageException(out + ": holds an input of this run (" + in + "); choose another " + name);
            }
        }
    }

    /**
     * Refuses to replace {@code out} unless it is an empty directory or a model directory exmerge
     * wrote, every file of which --overwrite would delete is proven exmerge's: each safetensors
     * file carries {@code exmerge.version}, shards are the ones its index lists, and the other
     * files are the config and tokenizer files exmerge writes beside such a model (or
     * {@code adapter_config.json} beside its adapter). The message says what is there instead.
     */
    public static void requireReplaceable(Path out) throws IOException {
        if (Files.isSymbolicLink(out)) {
            throw new UsageException(out + ": is a symbolic link; --overwrite replaces only a model directory exmerge wrote");
        }
        if (!Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
            throw new UsageException(out + ": is a file, not a model directory; --overwrite replaces only a model directory exmerge wrote");
        }
        if (MountPoints.isMountPoint(out)) {
            throw new UsageException(out + ": is a mount point; --overwrite replaces a model by renaming a directory built beside it,"
                    + " which cannot replace a mount point, so write the model into a directory inside it (such as "
                    + out.resolve("model") + ")");
        }
        List<String> foreign = new ArrayList<>();
        List<String> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(out)) {
            for (Path e : entries) {
                String name = e.getFileName().toString();
                boolean file = Files.isRegularFile(e) || Files.isSymbolicLink(e) && !Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS);
                if (file && MODEL_FILE.matcher(name).matches()) {
                    files.add(name);
                } else {
                    foreign.add(Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS) ? name + "/" : name);
                }
            }
        }
        if (!foreign.isEmpty()) {
            throw new UsageException(out + ": holds files that are not part of a model (" + shown(foreign)
                    + "); --overwrite replaces only a model directory exmerge wrote, so remove them or choose another path");
        }
        if (files.isEmpty()) {
            return;
        }
        files.sort(null);
        if (files.stream().noneMatch(f -> f.endsWith(".safetensors"))) {
            throw new UsageException(out + ": holds no model weights (" + shown(files)
                    + "); --overwrite replaces only a model directory exmerge wrote, so remove them or choose another path");
        }
        boolean adapter = files.contains(ADAPTER_WEIGHTS);
        List<String> weights = new ArrayList<>();
        List<String> notPart = new ArrayList<>();
        if (adapter) {
            // exmerge's adapter directory (synth --lora) holds its weights and their config, nothing else
            for (String f : files) {
                if (f.equals(ADAPTER_WEIGHTS)) {
                    weights.add(f);
                } else if (!f.equals(ADAPTER_CONFIG)) {
                    notPart.add(f + " (beside an adapter)");
                }
            }
        } else {
            Set<String> listed = listedShards(out, files);
            for (String f : files) {
                if (f.equals(ADAPTER_CONFIG)) {
                    notPart.add(f + " (beside a model)");
                } else if (!f.endsWith(".safetensors")) {
                    continue; // a config or tokenizer file: exmerge's if the model beside it is
                } else if (listed == null ? f.equals(Checkpoint.SINGLE_FILE) : listed.contains(f)) {
                    weights.add(f);
                } else {
                    notPart.add(f + (listed == null ? " (no index lists it)" : " (its index does not list it)"));
                }
            }
        }
        if (!notPart.isEmpty()) {
            throw new UsageException(out + ": holds files that are not part of the model exmerge wrote there (" + shown(notPart)
                    + "); --overwrite replaces only what exmerge wrote, so move them or choose another path");
        }
        List<String> notOurs = new ArrayList<>();
        for (String w : weights) {
            try (SafetensorsFile f = SafetensorsFile.open(out.resolve(w))) {
                if (!f.metadata().containsKey(MARK)) {
                    notOurs.add(w);
                }
            } catch (IOException notAModel) {
                throw new UsageException(out + ": holds safetensors files that do not open as a model ("
                        + notAModel.getMessage() + "); --overwrite replaces only a model directory exmerge wrote");
            }
        }
        if (!notOurs.isEmpty()) {
            throw new UsageException(out + ": holds a model exmerge did not write (no " + MARK + " in the metadata of "
                    + shown(notOurs) + "); --overwrite replaces only exmerge's own outputs, so move it or choose another path");
        }
        for (String own : List.of(CONFIG, ADAPTER_CONFIG)) {
            if (files.contains(own) && !isJsonObject(out.resolve(own))) {
                throw new UsageException(out + ": holds a " + own + " exmerge did not write (not a JSON object)"
                        + "; --overwrite replaces only what exmerge wrote, so move it or choose another path");
            }
        }
    }

    /** The shard names the directory's index lists; null without an index. */
    private static Set<String> listedShards(Path out, List<String> files) throws IOException {
        if (!files.contains(ShardIndex.FILE_NAME)) {
            return null;
        }
        try {
            return new TreeSet<>(ShardIndex.read(out.resolve(ShardIndex.FILE_NAME)).values());
        } catch (IOException notAnIndex) {
            throw new UsageException(out + ": holds an index that does not open (" + notAnIndex.getMessage()
                    + "); --overwrite replaces only a model directory exmerge wrote");
        }
    }

    /** Whether the file is one JSON object and nothing else: what exmerge writes for the files it makes itself. */
    private static boolean isJsonObject(Path file) throws IOException {
        try (JsonParser p = JSON.createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() == null;
        } catch (JsonProcessingException notJson) {
            return false;
        }
    }

    private static String shown(List<String> names) {
        List<String> sorted = new ArrayList<>(names);
        sorted.sort(null);
        return String.join(", ", sorted.subList(0, Math.min(5, sorted.size())))
                + (sorted.size() > 5 ? " and " + (sorted.size() - 5) + " more" : "");
    }

    /** The absolute path with every existing prefix's links resolved, so two names of one place compare equal. */
    static Path real(Path p) throws IOException {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs;
        }
        return existing.toRealPath().resolve(existing.relativize(abs));
    }
}
