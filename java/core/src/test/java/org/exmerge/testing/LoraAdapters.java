package org.exmerge.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.exmerge.testing.TestModels.T;

/** PEFT LoRA adapter directories for tests: adapter_config.json and adapter_model.safetensors, as peft saves them. */
public final class LoraAdapters {
    private LoraAdapters() {}

    /**
     * Writes {@code dir/adapter_config.json} ({@code {"peft_type": "LORA", <fields>}}) and
     * {@code dir/adapter_model.safetensors} with {@code tensors} named {@code base_model.model.<name>}.
     */
    public static void write(Path dir, String fields, T... tensors) throws IOException {
        T[] named = new T[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            T t = tensors[i];
            named[i] = new T("base_model.model." + t.name(), t.type(), t.shape(), t.values());
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempDirectory(dir.getParent(), ".adapter");
        TestModels.write(tmp, named);
        Files.move(tmp.resolve("model.safetensors"), dir.resolve("adapter_model.safetensors"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.delete(tmp);
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"task_type\": \"CAUSAL_LM\""
                + (fields.isBlank() ? "" : ", " + fields) + "}");
    }
}
