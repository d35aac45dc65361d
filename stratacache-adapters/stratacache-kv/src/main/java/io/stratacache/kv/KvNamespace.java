package io.stratacache.kv;

import io.stratacache.core.tensor.DType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What makes two KV caches interchangeable: the model, the tensor-parallel size and rank, the KV
 * dtype, the paged layout and an optional tenant salt. Its {@link #seed()} starts every chunk hash
 * chain, so caches that differ in any field never share a chunk, and a tenant that does not know
 * another's salt cannot compute (or probe for) that tenant's keys.
 *
 * <p>The seed is SHA-256 of this UTF-8 text, each line ending in {@code '\n'} (see KEYS.md):
 *
 * <pre>
 * stratacache-kv/1
 * model=&lt;model&gt;
 * tp_size=&lt;tpSize&gt;
 * tp_rank=&lt;tpRank&gt;
 * dtype=&lt;{@link #dtypeLabel dtype label}&gt;
 * layout=&lt;layout label&gt;
 * salt=&lt;salt, empty when none&gt;
 * </pre>
 *
 * @param model model name (non-empty, no control characters)
 * @param tpSize tensor-parallel size (at least 1)
 * @param tpRank this worker's tensor-parallel rank (0 to {@code tpSize - 1})
 * @param dtype KV dtype
 * @param layout paged layout kind
 * @param salt tenant salt (no control characters); {@code ""} for none
 */
public record KvNamespace(String model, int tpSize, int tpRank, DType dtype, KvLayoutKind layout, String salt) {
  /** First line of the seed text; changes only if the key scheme changes. */
  public static final String SCHEME = "stratacache-kv/1";

  /** Hex digits of the seed that name the namespace inside artifact ids. */
  public static final int ID_PREFIX_HEX = 16;

  public KvNamespace {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(layout, "layout");
    salt = salt == null ? "" : salt;
    if (model.isEmpty()) {
      throw new IllegalArgumentException("model: \"\" (expected: a non-empty model name)");
    }
    noControl("model", model);
    noControl("salt", salt);
    if (tpSize < 1) {
      throw new IllegalArgumentException("tpSize: " + tpSize + " (expected: >= 1)");
    }
    if (tpRank < 0 || tpRank >= tpSize) {
      throw new IllegalArgumentException("tpRank: " + tpRank + " (expected: 0 to " + (tpSize - 1) + ")");
    }
  }

  /** The namespace without its salt, which is a tenant's secret: only whether one is set. */
  @Override
  public String toString() {
    return "KvNamespace[model=" + model + ", tpSize=" + tpSize + ", tpRank=" + tpRank + ", dtype=" + dtype + ", layout="
        + layout + ", salt=" + (salt.isEmpty() ? "none" : "(set)") + "]";
  }

  /** The canonical text hashed into the {@link #seed()}. */
  public String canonicalText() {
    return SCHEME + '\n'
        + "model=" + model + '\n'
        + "tp_size=" + tpSize + '\n'
        + "tp_rank=" + tpRank + '\n'
        + "dtype=" + dtypeLabel(dtype) + '\n'
        + "layout=" + layout.label() + '\n'
        + "salt=" + salt + '\n';
  }

  /**
   * The dtype's name in the seed text: its safetensors name in lower case, with a leading {@code
   * f} written {@code fp}: {@code bf16}, {@code fp16}, {@code fp32}, {@code fp8_e4m3}, {@code
   * fp8_e5m2} ({@link DType#forName} reads these labels back).
   */
  public static String dtypeLabel(DType dtype) {
    String name = dtype.safetensorsName().toLowerCase(Locale.ROOT);
    return name.startsWith("f") ? "fp" + name.substring(1) : name;
  }

  /** SHA-256 of {@link #canonicalText()}: the parent hash of chunk 0. A fresh copy. */
  public byte[] seed() {
    return sha256().digest(canonicalText().getBytes(StandardCharsets.UTF_8));
  }

  /** The first {@value #ID_PREFIX_HEX} hex digits of the seed, naming this namespace in artifact ids. */
  public String idPrefix() {
    return HexFormat.of().formatHex(seed()).substring(0, ID_PREFIX_HEX);
  }

  /**
   * The hex chunk hashes of {@code tokens}: one per full chunk of {@code chunkSize} tokens and, if
   * {@code includePartial} and the length is not a multiple of {@code chunkSize}, one for the
   * trailing partial chunk.
   */
  public List<String> chunkHashes(int[] tokens, int chunkSize, boolean includePartial) {
    if (chunkSize <= 0) {
      throw new IllegalArgumentException("chunkSize: " + chunkSize + " (expected: > 0)");
    }
    KvChunkHasher hasher = new KvChunkHasher(chunkSize);
    byte[] parent = seed();
    byte[] hash = new byte[KvChunkHasher.HASH_BYTES];
    int end = includePartial ? tokens.length : tokens.length - tokens.length % chunkSize;
    List<String> out = new ArrayList<>();
    for (int from = 0; from < end; from += chunkSize) {
      hasher.hash(parent, tokens, from, Math.min(from + chunkSize, end), hash);
      out.add(HexFormat.of().formatHex(hash));
      System.arraycopy(hash, 0, parent, 0, hash.length);
    }
    return out;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform but is missing", e);
    }
  }

  private static void noControl(String what, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            what + ": has control character U+" + String.format("%04X", (int) c) + " at index " + i
                + " (expected: no control characters)");
      }
    }
  }
}
