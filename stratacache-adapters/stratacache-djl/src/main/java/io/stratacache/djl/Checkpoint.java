package io.stratacache.djl;

import io.stratacache.core.CodecException;
import io.stratacache.core.tensor.SafetensorsFile;
import io.stratacache.core.tensor.TensorEntry;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A Hugging Face checkpoint directory: {@code config.json} and {@code model.safetensors}. Reads
 * tensors as float32 whatever dtype they are stored in, checking each shape against the config.
 */
public final class Checkpoint implements AutoCloseable {
  /** Name of the weights file in a checkpoint directory. */
  public static final String WEIGHTS_FILE = "model.safetensors";

  private final Path dir;
  private final ModelConfig config;
  private final SafetensorsFile file;

  private Checkpoint(Path dir, ModelConfig config, SafetensorsFile file) {
    this.dir = dir;
    this.config = config;
    this.file = file;
  }

  /**
   * Opens {@code dir}.
   *
   * @throws io.stratacache.core.ConfigException if {@code config.json} is missing or invalid
   * @throws CodecException if {@code model.safetensors} is not a valid safetensors file
   */
  public static Checkpoint open(Path dir) {
    ModelConfig config = ModelConfig.read(dir);
    return new Checkpoint(dir, config, SafetensorsFile.open(dir.resolve(WEIGHTS_FILE)));
  }

  /** The directory. */
  public Path dir() {
    return dir;
  }

  /** The model's shape. */
  public ModelConfig config() {
    return config;
  }

  /** The weights file. */
  public SafetensorsFile file() {
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
      throw new CodecException(file.path() + ": tensor " + name + " has shape " + Arrays.toString(e.shape())
          + " (expected: " + Arrays.toString(shape) + " from " + ModelConfig.FILE_NAME + ")");
    }
    if (dst.byteSize() != e.elementCount() * Float.BYTES) {
      throw new IllegalArgumentException("dst: " + dst.byteSize() + " bytes (expected: " + e.elementCount() * Float.BYTES + ")");
    }
    e.dtype().decodeToF32(file.bytes(name), dst, e.elementCount());
  }

  /** Unmaps the weights file. */
  @Override
  public void close() {
    file.close();
  }
}
