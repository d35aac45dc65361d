package io.stratacache.djl;

import io.stratacache.core.StrataCacheException;
import io.stratacache.core.tensor.SafetensorsWriter;
import io.stratacache.core.tensor.DType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a small, deterministic checkpoint in the Hugging Face layout: {@code config.json} and
 * {@code model.safetensors} with seeded random weights. The same config and seed give the same
 * bytes. Weights are scaled so activations keep a unit scale through the layers (projections
 * drawn with standard deviation {@code 1/sqrt(fan_in)}, norms near 1), which keeps logits of
 * order one and makes numerical differences between code paths visible.
 */
public final class CheckpointGenerator {
  private CheckpointGenerator() {}

  /**
   * A small Llama-shaped config for the {@link ByteTokenizer}: 4 layers, hidden size 256, 8 query
   * heads over 2 KV heads of 32, intermediate size 688, float32.
   */
  public static ModelConfig tinyLlama() {
    return new ModelConfig("llama", 256, 688, 4, 8, 2, 32, 1e-5, 10000.0, ByteTokenizer.VOCAB_SIZE, false, false, DType.F32);
  }

  /**
   * Writes {@code config}'s checkpoint with weights drawn from {@code seed} into {@code dir}
   * (created if needed; existing files are replaced).
   *
   * @throws StrataCacheException if the files cannot be written
   */
  public static void write(Path dir, ModelConfig config, long seed) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(ModelConfig.FILE_NAME), config.toJson(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StrataCacheException(dir + ": cannot write " + ModelConfig.FILE_NAME + ": " + e.getMessage(), e);
    }
    try (Arena arena = Arena.ofConfined()) {
      SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("generator.seed", Long.toString(seed));
      int hidden = config.hiddenSize();
      add(w, arena, config, LayerUnit.EMBED_TOKENS, new long[] {config.vocabSize(), hidden}, seed, 1.0, 0.0);
      for (int l = 0; l < config.numLayers(); l++) {
        for (LayerUnit u : LayerUnit.of(config)) {
          long[] shape = u.shape(config);
          double std;
          double mean = 0.0;
          switch (u) {
            case INPUT_NORM, POST_NORM -> {
              std = 0.1;
              mean = 1.0;
            }
            case Q_BIAS, K_BIAS, V_BIAS -> std = 0.1;
            default -> std = 1.0 / Math.sqrt(shape[1]);
          }
          add(w, arena, config, u.tensorName(l), shape, seed, std, mean);
        }
      }
      add(w, arena, config, LayerUnit.FINAL_NORM, new long[] {hidden}, seed, 0.1, 1.0);
      if (!config.tieWordEmbeddings()) {
        add(w, arena, config, LayerUnit.LM_HEAD, new long[] {config.vocabSize(), hidden}, seed, 1.0 / Math.sqrt(hidden), 0.0);
      }
      w.write(dir.resolve(Checkpoint.WEIGHTS_FILE));
    }
  }

  private static void add(SafetensorsWriter w, Arena arena, ModelConfig config, String name, long[] shape, long seed, double std, double mean) {
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    SplittableRandom random = new SplittableRandom(seed ^ ((long) name.hashCode() * 0x9E3779B97F4A7C15L));
    MemorySegment f32 = arena.allocate(count * Float.BYTES, 64);
    for (long i = 0; i < count; i++) {
      f32.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (mean + std * random.nextGaussian()));
    }
    DType dtype = config.torchDtype();
    MemorySegment encoded = arena.allocate(count * dtype.byteSize(), 64);
    dtype.encodeFromF32(f32, encoded, count);
    w.add(name, dtype, shape, encoded);
  }
}
