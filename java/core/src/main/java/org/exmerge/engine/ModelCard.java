package org.exmerge.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.exmerge.format.OutputGuard;
import org.exmerge.format.Version;
import org.exmerge.recipe.ModelName;
import org.exmerge.recipe.Recipe;
import org.exmerge.recipe.YamlText;

/**
 * The files a merged model carries for the people and the hub that read it, as mergekit writes them:
 * {@code README.md}, a model card whose front matter lists the hub models merged ({@code base_model},
 * with {@code base_model_relation: merge}, so the hub draws the model tree) and whose text names the
 * method, the models and the recipe; and {@code mergekit_config.yml}, the recipe as it was given.
 * Each holds {@link OutputGuard#CARD_MARK}, so that {@code --overwrite} can tell them from a
 * user's own files of those names.
 *
 * @param name the model's name (the output directory's)
 * @param recipe the recipe
 * @param recipeText the recipe as the user wrote it
 * @param hubModels the models the recipe named that came from the Hugging Face cache (hub ids, no revision)
 */
public record ModelCard(String name, Recipe recipe, String recipeText, Set<String> hubModels) {
    public static final String README = "README.md";
    public static final String CONFIG = "mergekit_config.yml";

    /** Writes both files into {@code dir}. */
    public void write(Path dir) throws IOException {
        Files.writeString(dir.resolve(README), readme(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(CONFIG), config(), StandardCharsets.UTF_8);
    }

    /** The recipe file: the mark as a YAML comment, then the recipe as given. */
    String config() {
        return "# " + OutputGuard.CARD_MARK + " " + Version.VERSION + "\n" + recipeText + (recipeText.endsWith("\n") ? "" : "\n");
    }

    String readme() {
        StringBuilder b = new StringBuilder("---\n");
        List<String> hub = hubIds();
        if (!hub.isEmpty()) {
            b.append("base_model:\n");
            hub.forEach(h -> b.append("- ").append(YamlText.quoted(h)).append('\n'));
            b.append("base_model_relation: merge\n");
        }
        b.append("library_name: transformers\ntags:\n- merge\n- exmerge\n---\n");
        b.append("# ").append(name).append("\n\n");
        b.append("A merge of pre-trained language models made with exmerge.\n\n");
        b.append("## Merge details\n\n### Method\n\nMerged with `").append(recipe.mergeMethod()).append('`');
        if (recipe.baseModel() != null) {
            b.append(", with ").append(shown(recipe.baseModel())).append(" as the base");
        }
        b.append(".\n\n### Models merged\n\n");
        for (String m : recipe.modelNames()) {
            if (!m.equals(recipe.baseModel())) {
                b.append("- ").append(shown(m)).append('\n');
            }
        }
        String fence = recipeText.contains("```") ? "~~~~" : "```";
        b.append("\n### Configuration\n\nThe recipe that made this model (also in `").append(CONFIG).append("`):\n\n")
                .append(fence).append("yaml\n").append(recipeText).append(recipeText.endsWith("\n") ? "" : "\n").append(fence).append("\n\n");
        b.append("<!-- ").append(OutputGuard.CARD_MARK).append(' ').append(Version.VERSION).append(" -->\n");
        return b.toString();
    }

    /** The hub ids among the models, base first, each once. */
    private List<String> hubIds() {
        Set<String> ids = new LinkedHashSet<>();
        for (String m : recipe.modelNames()) {
            ModelName n = ModelName.parse(m);
            for (String part : n.lora() == null ? List.of(n.model()) : List.of(n.model(), n.lora())) {
                if (hubModels.contains(part)) {
                    ids.add(ModelLocator.repoId(part));
                }
            }
        }
        return new ArrayList<>(ids);
    }

    /** A model as the card names it: a hub model linked to its page, a local one as the recipe wrote it. */
    private String shown(String model) {
        ModelName n = ModelName.parse(model);
        String s = link(n.model());
        return n.lora() == null ? s : s + " + " + link(n.lora());
    }

    private String link(String part) {
        return hubModels.contains(part) ? "[" + ModelLocator.repoId(part) + "](https://huggingface.co/" + ModelLocator.repoId(part) + ")"
                : "`" + part + "`";
    }
}
