package io.stratacache.djl;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A byte-level tokenizer: each UTF-8 byte of the text is one token (ids 0 to 255), preceded by
 * {@link #BOS} when asked. Needs no vocabulary file; any model with {@code vocab_size >=}
 * {@value #VOCAB_SIZE} can use it. Decoding skips special ids.
 */
public final class ByteTokenizer {
  /** Beginning-of-sequence id. */
  public static final int BOS = 256;

  /** End-of-sequence id. */
  public static final int EOS = 257;

  /** Smallest vocabulary this tokenizer needs. */
  public static final int VOCAB_SIZE = 258;

  private ByteTokenizer() {}

  /** The ids of {@code text}'s UTF-8 bytes, with {@link #BOS} first if {@code bos}. */
  public static int[] encode(String text, boolean bos) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    int off = bos ? 1 : 0;
    int[] ids = new int[utf8.length + off];
    if (bos) {
      ids[0] = BOS;
    }
    for (int i = 0; i < utf8.length; i++) {
      ids[i + off] = utf8[i] & 0xFF;
    }
    return ids;
  }

  /**
   * The text of {@code ids}; special ids are skipped, invalid UTF-8 becomes U+FFFD.
   *
   * @throws IllegalArgumentException if an id is negative or not below {@link #VOCAB_SIZE}
   */
  public static String decode(int[] ids) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length);
    for (int i = 0; i < ids.length; i++) {
      int id = ids[i];
      if (id < 0 || id >= VOCAB_SIZE) {
        throw new IllegalArgumentException("token id at " + i + ": " + id + " (expected: 0 to " + (VOCAB_SIZE - 1) + ")");
      }
      if (id < 256) {
        out.write(id);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
