package org.exmerge.extract;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.exmerge.engine.ModelLocator;
import org.exmerge.format.OutputGuard;
import org.exmerge.format.Version;
import org.exmerge.recipe.YamlText;

/**
 * The {@code README.md} of an extracted adapter, as mergekit-extract-lora writes one: front matter
 * for the hub ({@code base_model}: the hub models among the base and the fine-tune, {@code
 * library_name: peft}), what it was extracted from, a warning when the vocabulary size differs from
 * the base's (peft then needs {@code resize_token_embeddings}), and the command that makes it again.
 * It carries {@link OutputGuard#CARD_MARK}, so {@code --overwrite} can tell it from a user's README.
 *
 * @param name       the adapter's name (its directory's)
 * @param out        the adapter's path as given, for the command that makes it again
 * @param base       the base model as given (a path or a hub name)
 * @param model      the fine-tune as given
 * @param hubModels  which of the names given came from the Hugging Face cache
 * @param baseVocab  the base's vocabulary size (rows of its input embedding); 0 when unknown
 * @param finalVocab the fine-tune's; 0 when unknown
 */
record AdapterCard(String name, String out, String base, String model, Set<String> hubModels, long baseVocab, long finalVocab) {
    String text(ExtractOptions opts) {
        StringBuilder b = new StringBuilder("---\n");
        List<String> hub = new ArrayList<>();
        for (String m : new LinkedHashSet<>(List.of(base, model))) {
            if (hubModels.contains(m)) {
                hub.add(ModelLocator.repoId(m));
            }
        }
        if (!hub.isEmpty()) {
            b.append("base_model:\n");
            hub.forEach(h -> b.append("- ").append(YamlText.quoted(h)).append('\n'));
        }
        b.append("library_name: peft\ntags:\n- exmerge\n- peft\n---\n");
        b.append("# ").append(name).append("\n\n");
        b.append("A LoRA adapter extracted from a fine-tuned language model with exmerge.\n\n## LoRA details\n\n");
        b.append("This adapter was extracted from ").append(shown(model)).append(" and uses ").append(shown(base)).append(" as a base.\n");
        if (baseVocab > 0 && finalVocab > 0 && baseVocab != finalVocab) {
            b.append("\n> [!WARNING]\n> The vocabulary size has been ").append(finalVocab > baseVocab ? "extended" : "reduced")
                    .append(" from the base model's ").append(baseVocab).append(" to ").append(finalVocab)
                    .append(". To load this adapter, first call `model.resize_token_embeddings(").append(finalVocab).append(")`.\n");
        }
        b.append("\n### Parameters\n\nThe command that extracted it:\n\n```sh\n").append(command(opts)).append("\n```\n\n");
        b.append("<!-- ").append(OutputGuard.CARD_MARK).append(' ').append(Version.VERSION).append(" -->\n");
        return b.toString();
    }

    /** The extract-lora command line that makes this adapter again: every option that changes its bytes. */
    String command(ExtractOptions opts) {
        List<String> words = new ArrayList<>(List.of("exmerge", "extract-lora", "--base", sh(base), "--model", sh(model), sh(out)));
        words.add("--max-rank " + opts.maxRank());
        if (opts.svEpsilon() > 0) {
            words.add("--sv-epsilon " + String.format(Locale.ROOT, "%s", opts.svEpsilon()));
        }
        if (!opts.distributeScale()) {
            words.add("--no-distribute-scale");
        }
        if (opts.embedLora()) {
            words.add("--embed-lora");
        }
        opts.include().forEach(p -> words.add("--include-regex " + sh(p.pattern())));
        opts.exclude().forEach(p -> words.add("--exclude-regex " + sh(p.pattern())));
        opts.saveModules().forEach(m -> words.add("--save-module " + sh(m)));
        if (opts.outType() != null) {
            words.add("--out-dtype " + opts.outType().configName());
        }
        return String.join(" ", words);
    }

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./@:=+,-]+");

    /** A word as a POSIX shell reads it back: single-quoted unless plain. */
    private static String sh(String word) {
        return PLAIN.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    private String shown(String m) {
        if (hubModels.contains(m)) {
            String id = ModelLocator.repoId(m);
            return "[" + id + "](https://huggingface.co/" + id + ")";
        }
        return "`" + m + "`";
    }
}
