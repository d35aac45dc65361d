package io.stratacache.djl;

import io.stratacache.core.CodecException;
import io.stratacache.core.tensor.SafetensorsShards;
import io.stratacache.core.tensor.TensorEntry;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A Hugging Face checkpoint directory: {@code config.json} and the weights, in
 * {@code model.safetensors} or in shards named by {@code model.safetensors.index.json}
 * ({@link SafetensorsShards}). Reads tensors as float32 whatever dtype they are stored in,
 * checking each shape against the config.
 *
 * <p>Opening checks that the weights hold exactly the tensors the config's model uses: a missing
 * tensor, or one the model would not use (a bias the config does not ask for, an output head with
 * tied embeddings, a layer beyond {@code num_hidden_layers}), is refused by name rather than
 * silently skipped. Only rotary {@code inv_freq} buffers, which the model recomputes from the
 * config, are allowed beside them.
 */
public final class Checkpoint implements AutoCloseable {
  /** Name of the weights file in a checkpoint directory. */
  public static final String WEIGHTS_FILE = "model.safetensors";

  private final Path dir;
  private final ModelConfig config;
  private final SafetensorsShards file;

  private Checkpoint(Path dir, ModelConfig config, SafetensorsShards file) {
    this.dir = dir;
    this.config = config;
    this.file = file;
  }

  /**
   * Opens {@code dir}.
   *
   * @throws io.stratacache.core.ConfigException if {@code config.json} is missing or invalid
   * @throws CodecException if the weights are not valid safetensors, or a tensor the model uses
   *     is missing, or a tensor it would not use is present (each named)
   * @throws io.stratacache.core.StrataCacheException if there are no weights (naming the files
   *     looked for) or they cannot be read
   */
  public static Checkpoint open(Path dir) {
    java.util.Objects.requireNonNull(dir, "dir");
    ModelConfig config = ModelConfig.read(dir);
    SafetensorsShards weights = SafetensorsShards.open(dir);
    boolean success = false;
    try {
      checkNames(config, weights);
      success = true;
      return new Checkpoint(dir, config, weights);
    } finally {
      if (!success) {
        weights.close();
      }
    }
  }

  /** Every tensor name a model of {@code config} reads, globals first. */
  public static Set<String> expectedNames(ModelConfig config) {
    Set<String> names = new LinkedHashSet<>();
    names.add(LayerUnit.EMBED_TOKENS);
    names.add(LayerUnit.FINAL_NORM);
    if (!config.tieWordEmbeddings()) {
      names.add(LayerUnit.LM_HEAD);
    }
    for (int l = 0; l < config.numLayers(); l++) {
      for (LayerUnit u : LayerUnit.of(config)) {
        names.add(u.tensorName(l));
      }
    }
    return names;
  }

  private static void checkNames(ModelConfig config, SafetensorsShards weights) {
    Set<String> expected = expectedNames(config);
    List<String> missing = new ArrayList<>();
    for (String name : expected) {
      if (!weights.contains(name)) {
        missing.add(name);
      }
    }
    List<String> unused = new ArrayList<>();
    for (String name : weights.names()) {
      if (!expected.contains(name) && !name.endsWith(".rotary_emb.inv_freq")) {
        unused.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new CodecException(weights.dir() + ": " + missing.size() + " tensor(s) the model of " + ModelConfig.FILE_NAME
          + " needs are missing: " + list(missing));
    }
    if (!unused.isEmpty()) {
      throw new CodecException(weights.dir() + ": " + unused.size() + " tensor(s) the model of " + ModelConfig.FILE_NAME
          + " would not use: " + list(unused) + " (check attention_bias, mlp_bias, tie_word_embeddings and num_hidden_layers)");
    }
  }

  private static String list(List<String> names) {
    return names.size() <= 8 ? String.join(", ", names) : String.join(", ", names.subList(0, 8)) + ", ... (" + (names.size() - 8) + " more)";
  }

  /** The directory. */
  public Path dir() {
    return dir;
  }

  /** The model's shape. */
  public ModelConfig config() {
    return config;
  }

  /** The weights: one file or shards. */
  public SafetensorsShards weights() {
    return file;
  }

  /** The shape the global tensor {@code name} must have ({@link LayerUnit#EMBED_TOKENS}, ...). */
  public long[] globalShape(String name) {
    return switch (name) {
      case LayerUnit.EMBED_TOKENS, LayerUnit.LM_HEAD -> new long[] {config.vocabSize(), config.hiddenSize()};
      case LayerUnit.FINAL_NORM -> new long[] {config.hiddenSize()};
      default -> throw new IllegalArgumentException("global tensor: " + name + " (expected: " + LayerUnit.EMBED_TOKENS + ", "
          + LayerUnit.FINAL_NORM + " or " + LayerUnit.LM_HEAD + ")");
    };
  }

  /**
   * Decodes tensor {@code name} into {@code dst} as native-order float32.
   *
   * @throws CodecException if the tensor is missing or its shape is not {@code shape}
   * @throws IllegalArgumentException if {@code dst} is not exactly the float32 size of {@code shape}
   */
  public void readF32(String name, long[] shape, MemorySegment dst) {
    TensorEntry e = file.entry(name);
    if (!Arrays.equals(e.shape(), shape)) {
      throw new CodecException(file.file(name).path() + ": tensor " + name + " has shape " + Arrays.toString(e.shape())
          + " (expected: " + Arrays.toString(shape) + " from " + ModelConfig.FILE_NAME + ")");
    }
    if (dst.byteSize() != e.elementCount() * Float.BYTES) {
      throw new IllegalArgumentException("dst: " + dst.byteSize() + " bytes (expected: " + e.elementCount() * Float.BYTES + ")");
    }
    e.dtype().decodeToF32(file.bytes(name), dst, e.elementCount());
  }

  /** Unmaps the weights. */
  @Override
  public void close() {
    file.close();
  }
}
