package org.exmerge.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The lock that marks a temporary output directory as owned by a live run: a file
 * {@code .<name>.tmp-<id>.lock} beside the directory, held with an exclusive file lock for the
 * run's life. The operating system drops the lock when the process dies however it dies (SIGKILL,
 * power loss), so a later run that can take the lock knows the owner is gone; a lock another
 * process or this JVM holds is never taken.
 *
 * <p>The lock file is also the run's record of what it owns: the target it writes, and the file
 * identity (device and inode) of its temporary directory and of the model it is replacing. A later
 * run touches a dead run's leftover only when that record proves it is the dead run's: a user's own
 * {@code .<name>.old-backup} or {@code .<name>.tmp-x} directory, however it is named, never is.
 */
final class RunLock {
    private static final String SUFFIX = ".lock";
    private static final String FRESH = ".new";
    private static final String HEADER = "exmerge run lock";
    private static final String TARGET = "target ";
    private static final String TMP = "tmp ";
    private static final String OLD = "old ";
    /** The ids this class draws: an unsigned long in base 36. */
    private static final Pattern ID = Pattern.compile("[0-9a-z]{1,13}");
    /** A record is a few lines; anything larger is not one of ours. */
    private static final int MAX_RECORD = 1 << 16;
    /**
     * Longest target name (UTF-8 bytes) used as it is in sibling names: the longest sibling,
     * {@code .<name>.tmp-<13 chars>.lock}, adds 24 bytes, and file names end at 255 bytes.
     */
    private static final int MAX_PLAIN_NAME = 255 - 24;
    /** A longer name keeps this many bytes of itself, then a hash of all of it. */
    private static final int KEPT_BYTES = 160;

    private final Path target;
    private final String id;
    private final Path file;
    private final FileChannel channel;

    private RunLock(Path target, String id, Path file, FileChannel channel) {
        this.target = target;
        this.id = id;
        this.file = file;
        this.channel = channel;
    }

    /** The temporary directory this lock guards (created by the caller, then {@link #own recorded}). */
    Path temp() {
        return sibling(target, "tmp", id);
    }

    /** Where the model being replaced is moved while the new one is renamed in, where it cannot be swapped in one step. */
    Path old() {
        return sibling(target, "old", id);
    }

    /**
     * Takes a fresh lock for a new temporary directory of {@code target}. The lock file is created,
     * locked and given its header under a name the sweep does not clean up, then renamed to its real
     * name, so no sweep can ever see it unlocked or without its record.
     */
    static RunLock acquire(Path target) throws IOException {
        while (true) {
            String id = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
            Path temp = sibling(target, "tmp", id);
            Path file = temp.resolveSibling(temp.getFileName() + SUFFIX);
            Path fresh = temp.resolveSibling(temp.getFileName() + FRESH);
            if (Files.exists(temp, LinkOption.NOFOLLOW_LINKS)) {
                continue; // a name someone else uses; draw again
            }
            FileChannel ch;
            try {
                ch = FileChannel.open(fresh, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException taken) {
                continue;
            }
            try {
                ch.lock();
                String header = HEADER + ", pid " + ProcessHandle.current().pid() + "\n"
                        + TARGET + Base64.getUrlEncoder().encodeToString(name(target).getBytes(StandardCharsets.UTF_8)) + "\n";
                ch.write(ByteBuffer.wrap(header.getBytes(StandardCharsets.UTF_8)), 0);
                Files.move(fresh, file, StandardCopyOption.ATOMIC_MOVE);
                return new RunLock(target, id, file, ch);
            } catch (IOException | RuntimeException e) {
                ch.close();
                Files.deleteIfExists(fresh);
                throw e;
            }
        }
    }

    /** Records {@link #temp()}, just created, as this run's. */
    void ownTemp() throws IOException {
        record(TMP, temp(), false);
    }

    /**
     * Records the model at the target, about to be replaced, as this run's to remove: forced to disk
     * before the model is moved, so that after a crash the next run knows it (and puts it back if the
     * target's name was left empty).
     */
    void ownReplaced() throws IOException {
        record(OLD, target, true);
    }

    private void record(String kind, Path dir, boolean force) throws IOException {
        String key = key(dir);
        if (key == null) {
            return; // no file identity on this file system: the leftover will not be removed
        }
        ByteBuffer line = ByteBuffer.wrap((kind + key + "\n").getBytes(StandardCharsets.UTF_8));
        channel.write(line, channel.size());
        if (force) {
            channel.force(false);
        }
    }

    /** Deletes the lock file, then lets the lock go. Idempotent. */
    void release() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // an unlocked leftover lock file is removed by the next sweep
        }
        unlock();
    }

    /** Lets the lock go but keeps the file, so the next run on this target removes (or restores) what is left. */
    void unlock() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing drops the lock either way
        }
    }

    /**
     * Cleans up after dead runs on {@code target}, touching only what their lock files prove theirs:
     * a temporary directory is removed; a model a run was replacing when it died is removed when the
     * target holds a model again, and otherwise put back at the target's name (when no live run on
     * this target could be in the middle of replacing it). A leftover whose identity does not match
     * its record is left alone, as is every directory no lock file names.
     */
    static void sweep(Path target) throws IOException {
        String prefix = "." + stem(target) + ".tmp-";
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(target.getParent())) {
            for (Path e : entries) {
                String n = e.getFileName().toString();
                if (n.startsWith(prefix) && (n.endsWith(SUFFIX) || n.endsWith(FRESH))) {
                    candidates.add(e);
                }
            }
        } catch (NoSuchFileException | NotDirectoryException nothingHere) {
            return;
        }
        List<Orphan> orphans = new ArrayList<>();
        boolean live = false;
        try {
            for (Path c : candidates) {
                String n = c.getFileName().toString();
                String id = n.substring(prefix.length(), n.lastIndexOf('.'));
                if (!ID.matcher(id).matches()) {
                    continue;
                }
                FileChannel ch;
                try {
                    ch = FileChannel.open(c, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException goneMeanwhile) {
                    continue;
                } catch (FileSystemException link) { // a symbolic link (ELOOP) is no run's lock file
                    continue;
                }
                if (FileLocks.tryLock(ch) == null) {
                    live = true;
                    ch.close();
                    continue;
                }
                Record r = Record.read(ch);
                if (r == null || !r.target().equals(name(target))) {
                    ch.close(); // not a record of ours for this target
                    continue;
                }
                orphans.add(new Orphan(c, ch, id, r, n.endsWith(FRESH)));
            }
            for (Orphan o : orphans) {
                o.clean(target, !live);
            }
        } finally {
            for (Orphan o : orphans) {
                o.channel().close();
            }
        }
    }

    /** A dead run's lock file, locked by this sweep while it cleans up after it. */
    private record Orphan(Path file, FileChannel channel, String id, Record record, boolean fresh) {
        void clean(Path target, boolean mayRestore) throws IOException {
            if (fresh) {
                Files.deleteIfExists(file); // died before its temporary directory was created
                return;
            }
            Path temp = sibling(target, "tmp", id);
            Path old = sibling(target, "old", id);
            // After a swap the temporary's name holds the replaced model: either is this run's to remove.
            if (record.owns(temp, record.tmp()) || record.owns(temp, record.old())) {
                FileTrees.deleteTree(temp);
            }
            if (record.owns(old, record.old())) {
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    FileTrees.deleteTree(old);
                } else if (mayRestore) {
                    Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                    FileTrees.syncDirectory(target.getParent());
                } else {
                    return; // a live run on this target may be mid-replacement: keep the record for later
                }
            }
            Files.deleteIfExists(file);
        }
    }

    /** What a lock file says: the target's name and the identities of the directories its run owns. */
    private record Record(String target, String tmp, String old) {
        /** The record, or null when the file is not one of ours. */
        static Record read(FileChannel ch) throws IOException {
            long size = ch.size();
            if (size > MAX_RECORD) {
                return null;
            }
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
                // read it all
            }
            String text = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
            // A line counts only once complete: a run that died mid-write left the rest unsaid.
            String[] lines = text.substring(0, text.lastIndexOf('\n') + 1).split("\n");
            if (lines.length < 2 || !lines[0].startsWith(HEADER + ",") || !lines[1].startsWith(TARGET)) {
                return null;
            }
            String target;
            try {
                target = new String(Base64.getUrlDecoder().decode(lines[1].substring(TARGET.length())), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException notOurs) {
                return null;
            }
            String tmp = null;
            String old = null;
            for (int i = 2; i < lines.length; i++) {
                if (lines[i].startsWith(TMP)) {
                    tmp = lines[i].substring(TMP.length());
                } else if (lines[i].startsWith(OLD)) {
                    old = lines[i].substring(OLD.length());
                }
            }
            return new Record(target, tmp, old);
        }

        /** Whether {@code dir} is a directory (not a link) whose identity is {@code key}. */
        boolean owns(Path dir, String key) throws IOException {
            return key != null && key.equals(key(dir));
        }
    }

    /** The directory's identity (device and inode on POSIX), or null when it is not a directory or has none. */
    private static String key(Path dir) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
            return null;
        }
        return a.isDirectory() && a.fileKey() != null ? a.fileKey().toString() : null;
    }

    /** {@code .<stem>.<kind>-<id>} next to the target. */
    static Path sibling(Path target, String kind, String id) {
        return target.resolveSibling("." + stem(target) + "." + kind + "-" + id);
    }

    private static String name(Path target) {
        return target.getFileName().toString();
    }

    /**
     * The target's name as sibling names carry it: itself, or for a name too long to take the
     * suffixes within a file name's 255 bytes, its first bytes and a hash of the whole, so that any
     * name the file system accepts for the output can be written.
     */
    static String stem(Path target) {
        String name = name(target);
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= MAX_PLAIN_NAME) {
            return name;
        }
        int end = 0;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (name.substring(0, next).getBytes(StandardCharsets.UTF_8).length > KEPT_BYTES) {
                break;
            }
            end = next;
            i = next;
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(utf8);
            return name.substring(0, end) + "~" + HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }
}
