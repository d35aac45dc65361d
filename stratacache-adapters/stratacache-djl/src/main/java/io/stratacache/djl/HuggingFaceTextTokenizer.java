package io.stratacache.djl;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.stratacache.core.ConfigException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's binding of the Rust tokenizers library.
 *
 * <p>The library's natives ship inside the {@code ai.djl.huggingface:tokenizers} jar; DJL
 * extracts them once into its engine cache directory ({@code ~/.djl.ai/tokenizers} unless
 * {@code ENGINE_CACHE_DIR} or {@code DJL_CACHE_DIR} names another) and loads them from there,
 * with no download. Prompts are encoded whole: no
 * truncation, no padding, whatever length the tokenizer's config suggests.
 */
public final class HuggingFaceTextTokenizer implements PromptTokenizer {
  private final HuggingFaceTokenizer tokenizer;
  private final Path file;
  private final int vocabSize;

  private HuggingFaceTextTokenizer(HuggingFaceTokenizer tokenizer, Path file, int vocabSize) {
    this.tokenizer = tokenizer;
    this.file = file;
    this.vocabSize = vocabSize;
  }

  /**
   * Loads {@code file}, a {@code tokenizer.json}, for a model of {@code vocabSize} ids.
   *
   * @throws ConfigException if the file cannot be read or is not a valid tokenizer
   * @throws IllegalArgumentException if {@code vocabSize} is not positive
   */
  public static HuggingFaceTextTokenizer open(Path file, int vocabSize) {
    Objects.requireNonNull(file, "file");
    if (vocabSize <= 0) {
      throw new IllegalArgumentException("vocabSize: " + vocabSize + " (expected: > 0)");
    }
    DjlRuntime.offline();
    try {
      HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false", "padding", "false",
          "addSpecialTokens", "true"));
      return new HuggingFaceTextTokenizer(t, file, vocabSize);
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(file + ": cannot load the tokenizer: " + e.getMessage(), e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException if the tokenizer gives an id outside the model's vocabulary
   *     (a tokenizer that does not belong to the model)
   */
  @Override
  public int[] encode(String text) {
    Objects.requireNonNull(text, "text");
    long[] ids = tokenizer.encode(text, true, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocabSize) {
        throw new IllegalArgumentException(file + ": token id " + ids[i] + " at " + i + " (expected: 0 to " + (vocabSize - 1)
            + ", the model's vocab_size)");
      }
      out[i] = (int) ids[i];
    }
    return out;
  }

  @Override
  public String decode(int[] ids) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocabSize) {
        throw new IllegalArgumentException("token id at " + i + ": " + ids[i] + " (expected: 0 to " + (vocabSize - 1) + ")");
      }
      l[i] = ids[i];
    }
    return tokenizer.decode(l, true);
  }

  @Override
  public String describe() {
    return "Hugging Face tokenizer " + file.getFileName();
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
