package io.stratacache.djl;

import io.stratacache.core.StrataCacheException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
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

  /**
   * Writes {@code tokenizer.json} into {@code dir}: a byte-level BPE tokenizer in the Llama 3 /
   * GPT-2 style whose byte tokens have the ids of the bytes (0-255), with {@code <s>} (256)
   * added before each sequence, {@code </s>} (257), and {@code merges} (pairs of tokens in the
   * byte-level alphabet, e.g. {@code "t h"}; {@code \u0120} stands for a space) whose results
   * take ids 258 onwards in order. Without merges it encodes exactly as the {@link ByteTokenizer}.
   *
   * @throws IllegalArgumentException if a merge is not two tokens separated by one space
   * @throws StrataCacheException if the file cannot be written
   */
  public static void writeByteLevelTokenizer(Path dir, List<String> merges) {
    List<Integer> printable = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) {
        printable.add(b);
      }
    }
    String[] charOf = new String[256];
    for (int b : printable) {
      charOf[b] = Character.toString(b);
    }
    int next = 256;
    for (int b = 0; b < 256; b++) {
      if (charOf[b] == null) {
        charOf[b] = Character.toString(next++);
      }
    }
    ObjectNode vocab = JSON.createObjectNode();
    for (int b = 0; b < 256; b++) {
      vocab.put(charOf[b], b);
    }
    vocab.put("<s>", ByteTokenizer.BOS).put("</s>", ByteTokenizer.EOS);
    int id = ByteTokenizer.VOCAB_SIZE;
    for (String m : merges) {
      String[] pair = m.split(" ", -1);
      if (pair.length != 2 || pair[0].isEmpty() || pair[1].isEmpty()) {
        throw new IllegalArgumentException("merge: \"" + m + "\" (expected: two tokens separated by one space)");
      }
      vocab.put(pair[0] + pair[1], id++);
    }
    ObjectNode t = JSON.createObjectNode();
    t.put("version", "1.0");
    t.putNull("truncation");
    t.putNull("padding");
    ArrayNode added = t.putArray("added_tokens");
    for (String special : new String[] {"<s>", "</s>"}) {
      added.addObject().put("id", vocab.get(special).asInt()).put("content", special).put("single_word", false).put("lstrip", false)
          .put("rstrip", false).put("normalized", false).put("special", true);
    }
    t.putNull("normalizer");
    t.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
    ObjectNode post = t.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
    single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    ArrayNode pair = post.putArray("pair");
    pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
    ObjectNode bos = post.putObject("special_tokens").putObject("<s>");
    bos.put("id", "<s>");
    bos.putArray("ids").add(ByteTokenizer.BOS);
    bos.putArray("tokens").add("<s>");
    t.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
    ObjectNode model = t.putObject("model");
    model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix").putNull("end_of_word_suffix")
        .put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
    model.set("vocab", vocab);
    ArrayNode m = model.putArray("merges");
    merges.forEach(m::add);
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(PromptTokenizer.FILE_NAME), t.toPrettyString(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StrataCacheException(dir + ": cannot write " + PromptTokenizer.FILE_NAME + ": " + e.getMessage(), e);
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
