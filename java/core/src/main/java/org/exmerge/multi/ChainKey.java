package org.exmerge.multi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.exmerge.MergeOptions;
import org.exmerge.format.Version;
import org.exmerge.recipe.RecipeDocuments.Document;
import org.exmerge.search.InputStamp;

/**
 * What an intermediate is made from, as one hash: the document's text, the options that change output bytes (output type, seed, shard size; threads, memory
 * and backend never do), exmerge's version, and the inputs' {@link InputStamp#withTimes} (their paths, sizes,
 * modification times and a sample of their bytes; an intermediate it reads included, whose header holds that one's own
 * key; their paths say what each name stood for). An intermediate whose recorded key equals this is the very result this run would write.
 */
final class ChainKey {
    private ChainKey() {}

    /**
     * @param inputs what the document's plan reads ({@code MergePlan.inputs()})
     * @param seed   the seed the plan uses
     */
    static String of(Document doc, List<Path> inputs, long seed, MergeOptions opts) throws IOException {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        StringBuilder b = new StringBuilder("exmerge multi 1\0").append(Version.VERSION).append('\0').append(doc.text()).append('\0')
                .append(opts.outType()).append('\0').append(seed).append('\0').append(opts.run().shardBytes()).append('\0');
        b.append(InputStamp.withTimes(inputs));
        return HexFormat.of().formatHex(d.digest(b.toString().getBytes(StandardCharsets.UTF_8)), 0, 16);
    }
}
