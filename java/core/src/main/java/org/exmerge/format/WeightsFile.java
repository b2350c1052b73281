package org.exmerge.format;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One validated, mapped file of a {@link Checkpoint}, whatever its format: {@link Checkpoint} needs
 * only the tensors, their bytes and whether the file changed since it was opened.
 */
sealed interface WeightsFile extends AutoCloseable permits SafetensorsFile, TorchFile {
    Path path();

    /** Every tensor of the file. */
    List<TensorInfo> tensors();

    /** The tensor of this name, or null. */
    TensorInfo tensor(String name);

    /**
     * The tensor's bytes (little-endian, contiguous, row-major), read-only.
     *
     * @throws IllegalArgumentException when {@code t} is not a tensor of this file
     */
    MemorySegment data(TensorInfo t);

    /** The tensor's bytes mapped on their own into {@code into}, so closing it releases their pages. */
    MemorySegment map(TensorInfo t, Arena into) throws IOException;

    /** String metadata the file carries (safetensors' {@code __metadata__}); empty when it has none. */
    Map<String, String> metadata();

    /** How the file on disk differs from the one opened, or null (see {@link FileIdentity#changeAt}). */
    String change();

    /** Releases the mapping and any copies; slices handed out before become inaccessible. Idempotent. */
    @Override
    void close();
}
