package io.stratacache.djl;

import io.stratacache.core.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Text to token ids and back, for a model's prompts: the checkpoint's own Hugging Face
 * {@code tokenizer.json} ({@link HuggingFaceTextTokenizer}) or the {@link ByteTokenizer}.
 * {@link #encode} adds the special tokens the tokenizer's own post-processing adds (a
 * beginning-of-sequence token for Llama, none for Qwen2); {@link #decode} leaves special tokens
 * out.
 */
public interface PromptTokenizer extends AutoCloseable {
  /** Name of a Hugging Face tokenizer file in a checkpoint directory. */
  String FILE_NAME = "tokenizer.json";

  /** The ids of {@code text}, with the special tokens the tokenizer adds. */
  int[] encode(String text);

  /**
   * The text of {@code ids}, special tokens left out.
   *
   * @throws IllegalArgumentException if an id is outside the vocabulary
   */
  String decode(int[] ids);

  /** A short description for messages, e.g. {@code byte tokenizer (258 ids)}. */
  String describe();

  /** Frees native resources, if any. */
  @Override
  void close();

  /** The {@link ByteTokenizer}, with {@link ByteTokenizer#BOS} before each prompt. */
  static PromptTokenizer bytes() {
    return new PromptTokenizer() {
      @Override
      public int[] encode(String text) {
        return ByteTokenizer.encode(Objects.requireNonNull(text, "text"), true);
      }

      @Override
      public String decode(int[] ids) {
        return ByteTokenizer.decode(ids);
      }

      @Override
      public String describe() {
        return "byte tokenizer (" + ByteTokenizer.VOCAB_SIZE + " ids)";
      }

      @Override
      public void close() {}
    };
  }

  /**
   * The tokenizer of the checkpoint in {@code dir}: its {@value #FILE_NAME} if it has one, else
   * the byte tokenizer, which needs {@code vocab_size >=} {@value ByteTokenizer#VOCAB_SIZE}.
   *
   * @throws ConfigException if there is no {@value #FILE_NAME} and the vocabulary is too small
   *     for the byte tokenizer, or the file is not a valid tokenizer
   */
  static PromptTokenizer forCheckpoint(Path dir, ModelConfig config) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(config, "config");
    Path file = dir.resolve(FILE_NAME);
    if (Files.isRegularFile(file)) {
      return HuggingFaceTextTokenizer.open(file, config.vocabSize());
    }
    if (config.vocabSize() < ByteTokenizer.VOCAB_SIZE) {
      throw new ConfigException(dir + ": no " + FILE_NAME + ", and vocab_size " + config.vocabSize()
          + " is too small for the byte tokenizer (expected: a " + FILE_NAME + ", or vocab_size >= " + ByteTokenizer.VOCAB_SIZE + ")");
    }
    return bytes();
  }
}
