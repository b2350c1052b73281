package org.exmerge.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Java's I/O messages are the bare path (or the bare reason); the translation gives both. */
class IoErrorsTest {
    private static final Path F = Path.of("/m/model.safetensors");

    @Test
    void reasonsInWords() {
        assertThat(IoErrors.reason(new AccessDeniedException(F.toString()))).isEqualTo("permission denied");
        assertThat(IoErrors.reason(new NoSuchFileException(F.toString()))).isEqualTo("no such file or directory");
        assertThat(IoErrors.reason(new NotDirectoryException(F.toString()))).isEqualTo("not a directory");
        assertThat(IoErrors.reason(new FileSystemException(F.toString(), null, "Read-only file system")))
                .isEqualTo("read-only file system");
        // Files.readString(directory): no path in the message, only the reason.
        assertThat(IoErrors.reason(new IOException("Is a directory"))).isEqualTo("is a directory");
        assertThat(IoErrors.reason(new IOException())).isEqualTo("IOException");
    }

    @Test
    void inputNamesTheFileAndTheReasonAsOneLine() {
        InputException e = IoErrors.input(Path.of("/m"), new AccessDeniedException(F.toString()));
        assertThat(e.getMessage()).isEqualTo("/m/model.safetensors: permission denied");
        assertThat(e.kind()).isEqualTo(ExmergeException.Kind.INPUT);
        assertThat(IoErrors.input(F, new IOException("Is a directory")).getMessage())
                .isEqualTo("/m/model.safetensors: is a directory");
    }

    @Test
    void describeAddsTheOtherFileTheSystemNamed() {
        assertThat(IoErrors.describe(Path.of("/out/m"), new AccessDeniedException("/out")))
                .isEqualTo("/out/m: permission denied (/out)");
        assertThat(IoErrors.describe(Path.of("/out/m"), new AccessDeniedException("/out/m")))
                .isEqualTo("/out/m: permission denied");
    }
}
