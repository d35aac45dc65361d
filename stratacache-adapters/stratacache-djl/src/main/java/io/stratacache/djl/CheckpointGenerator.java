package io.stratacache.djl;

import io.stratacache.core.StrataCacheException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stratacache.core.tensor.SafetensorsShards;
import io.stratacache.core.tensor.SafetensorsWriter;
import io.stratacache.core.tensor.DType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Writes a small, deterministic checkpoint in the Hugging Face layout: {@code config.json} and
 * {@code model.safetensors} with seeded random weights. The same config and seed give the same
 * bytes. Weights are scaled so activations keep a unit scale through the layers (projections
 * drawn with standard deviation {@code 1/sqrt(fan_in)}, norms near 1), which keeps logits of
 * order one and makes numerical differences between code paths visible.
 */
public final class CheckpointGenerator {
  private static final JsonMapper JSON = JsonMapper.builder().build();

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
   * (created if needed; existing files are replaced), as one {@code model.safetensors}.
   *
   * @throws StrataCacheException if the files cannot be written
   */
  public static void write(Path dir, ModelConfig config, long seed) {
    write(dir, config, seed, 1);
  }

  /**
   * Writes {@code config}'s checkpoint into {@code dir}: one {@code model.safetensors} if
   * {@code shards} is 1, else {@code shards} files {@code model-0000i-of-0000n.safetensors} and
   * the index {@code model.safetensors.index.json} mapping each tensor to its shard. The
   * tensors and their values do not depend on {@code shards}.
   *
   * @throws IllegalArgumentException if {@code shards} is not positive
   * @throws StrataCacheException if the files cannot be written
   */
  public static void write(Path dir, ModelConfig config, long seed, int shards) {
    if (shards <= 0) {
      throw new IllegalArgumentException("shards: " + shards + " (expected: > 0)");
    }
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(ModelConfig.FILE_NAME), config.toJson(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StrataCacheException(dir + ": cannot write " + ModelConfig.FILE_NAME + ": " + e.getMessage(), e);
    }
    List<Spec> specs = specs(config);
    try (Arena arena = Arena.ofConfined()) {
      SafetensorsWriter[] writers = new SafetensorsWriter[shards];
      for (int i = 0; i < shards; i++) {
        writers[i] = new SafetensorsWriter().metadata("format", "pt").metadata("generator.seed", Long.toString(seed));
      }
      ObjectNode weightMap = JSON.createObjectNode();
      long totalBytes = 0;
      for (int i = 0; i < specs.size(); i++) {
        Spec sp = specs.get(i);
        int shard = (int) ((long) i * shards / specs.size());
        totalBytes += add(writers[shard], arena, config, sp.name(), sp.shape(), seed, sp.std(), sp.mean());
        weightMap.put(sp.name(), shardName(shard, shards));
      }
      for (int i = 0; i < shards; i++) {
        writers[i].write(dir.resolve(shardName(i, shards)));
      }
      if (shards > 1) {
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", totalBytes);
        index.set("weight_map", weightMap);
        try {
          Files.writeString(dir.resolve(SafetensorsShards.INDEX_FILE), index.toPrettyString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new StrataCacheException(dir + ": cannot write " + SafetensorsShards.INDEX_FILE + ": " + e.getMessage(), e);
        }
      }
    }
  }

  private static String shardName(int shard, int shards) {
    return shards == 1 ? Checkpoint.WEIGHTS_FILE : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", shard + 1, shards);
  }

  private record Spec(String name, long[] shape, double std, double mean) {}

  private static List<Spec> specs(ModelConfig config) {
    int hidden = config.hiddenSize();
    List<Spec> specs = new ArrayList<>();
    specs.add(new Spec(LayerUnit.EMBED_TOKENS, new long[] {config.vocabSize(), hidden}, 1.0, 0.0));
    for (int l = 0; l < config.numLayers(); l++) {
      for (LayerUnit u : LayerUnit.of(config)) {
        long[] shape = u.shape(config);
        switch (u) {
          case INPUT_NORM, POST_NORM -> specs.add(new Spec(u.tensorName(l), shape, 0.1, 1.0));
          default -> specs.add(new Spec(u.tensorName(l), shape, u.isBias() ? 0.1 : 1.0 / Math.sqrt(shape[1]), 0.0));
        }
      }
    }
    specs.add(new Spec(LayerUnit.FINAL_NORM, new long[] {hidden}, 0.1, 1.0));
    if (!config.tieWordEmbeddings()) {
      specs.add(new Spec(LayerUnit.LM_HEAD, new long[] {config.vocabSize(), hidden}, 1.0 / Math.sqrt(hidden), 0.0));
    }
    return specs;
  }

  private static long add(SafetensorsWriter w, Arena arena, ModelConfig config, String name, long[] shape, long seed, double std, double mean) {
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
    return encoded.byteSize();
  }
}
