package org.exmerge.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Where a model name of a recipe is on disk. mergekit reads {@code path@revision} (the revision is
 * optional) as a local path when {@code path} exists, where the revision has no effect, and
 * otherwise as a Hugging Face hub repository, which it downloads at that revision. exmerge never
 * downloads: a hub name resolves to the snapshot the Hugging Face cache already holds for the
 * revision ({@code main} when none is given), as {@code huggingface-cli download} or an earlier
 * mergekit or transformers run left it ({@code models--org--name/refs/<revision>} names the commit
 * whose {@code snapshots/<commit>} directory is the model; a full commit hash names its snapshot
 * directly).
 */
public final class ModelLocator {
    // huggingface_hub's repo id: "name" or "namespace/name" of these characters, no "--" or "..".
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?");
    private static final String DEFAULT_REVISION = "main";

    private final Path root;
    private final Path hubCache;
    private final Set<String> fromHub = ConcurrentHashMap.newKeySet();
    private final Map<String, Path> names;

    /**
     * @param root the directory relative local paths resolve against
     * @param hubCache the Hugging Face hub cache ({@link #defaultHubCache()}), or null for none
     */
    public ModelLocator(Path root, Path hubCache) {
        this(root, hubCache, Map.of());
    }

    /**
     * @param names models known by name (the results of {@code exmerge multi}'s named documents):
     *              {@link #resolve} reads a model named so as that directory, whatever a path of that
     *              name holds, as mergekit-multimerge does
     */
    public ModelLocator(Path root, Path hubCache, Map<String, Path> names) {
        this.root = root;
        this.hubCache = hubCache;
        this.names = Map.copyOf(names);
    }

    /**
     * The model {@code name} ({@code path} or {@code path@revision}) names: the directory a known
     * name stands for ({@code path} is one; a revision then means nothing, as for any local path),
     * else {@link #locate}.
     */
    public Path resolve(String what, String name) throws PlanException {
        Path named = named(name);
        return named != null ? named.toAbsolutePath().normalize() : locate(what, name);
    }

    /** The directory a known name stands for when {@code name}'s path (before any '@') is one, else null. */
    public Path named(String name) {
        int at = name.indexOf('@');
        return names.get(at < 0 ? name : name.substring(0, at));
    }

    /**
     * The hub cache huggingface_hub uses: {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else
     * {@code $XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub}.
     */
    public static Path defaultHubCache() {
        return hubCache(System.getenv(), System.getProperty("user.home"));
    }

    static Path hubCache(Map<String, String> env, String home) {
        String dir = env.get("HF_HUB_CACHE");
        if (set(dir)) {
            return Path.of(dir);
        }
        String hfHome = env.get("HF_HOME");
        if (set(hfHome)) {
            return Path.of(hfHome, "hub");
        }
        String xdg = env.get("XDG_CACHE_HOME");
        return set(xdg) ? Path.of(xdg, "huggingface", "hub") : Path.of(home, ".cache", "huggingface", "hub");
    }

    private static boolean set(String s) {
        return s != null && !s.isEmpty();
    }

    /**
     * The file or directory {@code name} ({@code path} or {@code path@revision}) names: the local path
     * when it exists, else the hub cache's snapshot of that revision.
     *
     * @param what what the name is, for the error ("model", "LoRA adapter")
     * @throws PlanException when neither holds it, saying where it looked
     */
    public Path locate(String what, String name) throws PlanException {
        int at = name.indexOf('@');
        String path = at < 0 ? name : name.substring(0, at);
        String revision = at < 0 ? null : name.substring(at + 1);
        Path local = root.resolve(path).toAbsolutePath().normalize();
        if (!Files.notExists(local)) { // a path that cannot be looked up is the caller's to report
            return local;
        }
        String why = "no such file or directory: " + local;
        if (revision != null && Files.exists(root.resolve(name))) {
            why += " (a recipe's '@' starts a revision, as in mergekit: rename " + root.resolve(name).toAbsolutePath().normalize() + ")";
        }
        if (hubCache != null && REPO_ID.matcher(path).matches() && !path.contains("--") && !path.contains("..")) {
            Path repo = hubCache.resolve("models--" + path.replace("/", "--"));
            if (Files.isDirectory(repo)) {
                Path snapshot = snapshot(what, name, repo, revision == null || revision.isEmpty() ? DEFAULT_REVISION : revision);
                fromHub.add(name);
                return snapshot;
            }
            why += ", and the Hugging Face cache " + hubCache + " has no " + repo.getFileName();
        }
        throw new PlanException(what + " '" + name + "': " + why
                + " (exmerge reads local models and the Hugging Face cache, and downloads nothing: run"
                + " huggingface-cli download first)");
    }

    /** The names {@link #locate} has found in the hub cache rather than on a local path, as they were given. */
    public Set<String> hubNames() {
        return Set.copyOf(fromHub);
    }

    /** The hub repository id of a name {@code org/name[@revision]}: the name without its revision. */
    public static String repoId(String name) {
        int at = name.indexOf('@');
        return at < 0 ? name : name.substring(0, at);
    }

    /** Whether {@code name}, taken whole as a local path, exists (a '+' or '@' in it read literally). */
    public boolean existsLocally(String name) {
        return Files.exists(root.resolve(name));
    }

    private static Path snapshot(String what, String name, Path repo, String revision) throws PlanException {
        if (revision.contains("..") || revision.startsWith("/") || revision.contains("\\")) {
            throw new PlanException(what + " '" + name + "': revision '" + revision + "' is not a branch, tag or commit name");
        }
        Path snapshots = repo.resolve("snapshots");
        Path ref = repo.resolve("refs").resolve(revision);
        String commit = revision;
        if (Files.isRegularFile(ref)) {
            try {
                commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new PlanException(what + " '" + name + "': cannot read " + ref + ": " + e.getMessage(), e);
            }
            if (commit.isEmpty() || commit.contains("/") || commit.contains("..")) {
                throw new PlanException(what + " '" + name + "': " + ref + " does not hold a commit hash");
            }
        }
        Path dir = snapshots.resolve(commit);
        if (Files.isDirectory(dir)) {
            return dir;
        }
        throw new PlanException(what + " '" + name + "': the Hugging Face cache " + repo + " has no snapshot of revision '"
                + revision + "'" + (commit.equals(revision) ? "" : " (commit " + commit + ")") + "; it has " + held(repo)
                + " (exmerge downloads nothing: run huggingface-cli download with --revision first)");
    }

    /** The revisions and snapshots a cached repository holds, for the error that names none of them. */
    private static String held(Path repo) {
        List<String> parts = new ArrayList<>();
        TreeSet<String> refs = new TreeSet<>();
        Path refsDir = repo.resolve("refs");
        try (var files = Files.isDirectory(refsDir) ? Files.walk(refsDir) : java.util.stream.Stream.<Path>empty()) {
            files.filter(Files::isRegularFile).forEach(f -> refs.add(refsDir.relativize(f).toString()));
        } catch (IOException | java.io.UncheckedIOException e) {
            // only the message's detail is lost
        }
        if (!refs.isEmpty()) {
            parts.add("refs " + String.join(", ", refs));
        }
        TreeSet<String> snaps = new TreeSet<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(repo.resolve("snapshots"))) {
            s.forEach(p -> snaps.add(p.getFileName().toString()));
        } catch (IOException e) {
            // as above
        }
        parts.add(snaps.isEmpty() ? "no snapshots" : "snapshots " + String.join(", ", snaps));
        return String.join("; ", parts);
    }
}
