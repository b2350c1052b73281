package org.exmerge.format;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import org.exmerge.error.UsageException;

/**
 * Decides, before any work, whether a run may write its model at an output path. Replacing
 * something the user did not clearly ask to replace is the worst thing this tool could do, so a path
 * that is empty, the root, the working directory or one of its parents, or that equals or holds an
 * input or the recipe, is refused outright; an existing path is replaced only with {@code overwrite},
 * and then only when it is an empty directory or a model directory that exmerge wrote (its
 * safetensors metadata carries {@code exmerge.version}) holding nothing but the files a model
 * directory holds; a LoRA adapter directory that exmerge wrote ({@code exmerge synth --lora}) counts
 * as one.
 */
public final class OutputGuard {
    /** Names a model directory written by exmerge may hold: weights, index, config and tokenizer files. */
    private static final Pattern MODEL_FILE = Pattern.compile(
            "model(-\\d{5}-of-\\d{5})?\\.safetensors|model\\.safetensors\\.index\\.json|config\\.json"
                    + "|generation_config\\.json|tokenizer(_config)?\\.json|special_tokens_map\\.json|tokenizer\\.model"
                    + "|vocab\\.json|merges\\.txt|added_tokens\\.json|chat_template\\.(jinja|json)|preprocessor_config\\.json"
                    + "|adapter_model\\.safetensors|adapter_config\\.json");
    private static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";
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
     * wrote; the message says what is there instead.
     */
    public static void requireReplaceable(Path out) throws IOException {
        if (Files.isSymbolicLink(out)) {
            throw new UsageException(out + ": is a symbolic link; --overwrite replaces only a model directory exmerge wrote");
        }
        if (!Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
            throw new UsageException(out + ": is a file, not a model directory; --overwrite replaces only a model directory exmerge wrote");
        }
        List<String> foreign = new ArrayList<>();
        boolean weights = false;
        boolean adapter = false;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(out)) {
            for (Path e : entries) {
                String name = e.getFileName().toString();
                boolean file = Files.isRegularFile(e) || Files.isSymbolicLink(e) && !Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS);
                if (file && MODEL_FILE.matcher(name).matches()) {
                    adapter |= name.equals(ADAPTER_WEIGHTS);
                    weights |= name.endsWith(".safetensors") && !name.equals(ADAPTER_WEIGHTS);
                } else {
                    foreign.add(Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS) ? name + "/" : name);
                }
            }
        }
        if (!foreign.isEmpty()) {
            foreign.sort(null);
            String shown = String.join(", ", foreign.subList(0, Math.min(5, foreign.size())))
                    + (foreign.size() > 5 ? " and " + (foreign.size() - 5) + " more" : "");
            throw new UsageException(out + ": holds files that are not part of a model (" + shown
                    + "); --overwrite replaces only a model directory exmerge wrote, so remove them or choose another path");
        }
        // Empty, or config/tokenizer files only, is nothing a user could lose by replacing it.
        if (weights) {
            requireOurs(out, out);
        }
        if (adapter) {
            requireOurs(out, out.resolve(ADAPTER_WEIGHTS));
        }
    }

    private static void requireOurs(Path out, Path weights) throws IOException {
        boolean ours;
        try (Checkpoint c = Checkpoint.open(weights)) {
            ours = c.metadata().containsKey(MARK);
        } catch (IOException notAModel) {
            throw new UsageException(out + ": holds safetensors files that do not open as a model ("
                    + notAModel.getMessage() + "); --overwrite replaces only a model directory exmerge wrote");
        }
        if (!ours) {
            throw new UsageException(out + ": holds a model exmerge did not write (no " + MARK
                    + " in its metadata); --overwrite replaces only exmerge's own outputs, so move it or choose another path");
        }
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
