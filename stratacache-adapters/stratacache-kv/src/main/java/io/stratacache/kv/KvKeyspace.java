package io.stratacache.kv;

import io.stratacache.core.ArtifactId;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * The names of a cache's chunks: how a prompt is cut into chunks, their chained hashes (KEYS.md)
 * and the artifact ids they are stored under. A chunk is one artifact {@code
 * kv/<namespace>/<hash>} when layers are bundled, else one per layer, {@code
 * kv/<namespace>/<hash>/L<layer>}. Immutable and thread-safe; each {@link Keys} walk is not.
 */
final class KvKeyspace {
  private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private final KvNamespace namespace;
  private final byte[] seed;
  private final String idPrefix;
  private final byte[] idPrefixAscii;
  /** {@code /L<layer>} in ASCII, by layer; empty when layers are bundled. */
  private final byte[][] layerSuffix;
  private final int maxLayerSuffix;
  private final int chunkSize;
  private final boolean savePartial;
  private final boolean bundled;
  private final int layers;

  KvKeyspace(KvNamespace namespace, int chunkSize, boolean savePartial, boolean bundled, int layers) {
    this.namespace = namespace;
    this.seed = namespace.seed();
    this.idPrefix = "kv" + ArtifactId.SEPARATOR + namespace.idPrefix() + ArtifactId.SEPARATOR;
    this.chunkSize = chunkSize;
    this.savePartial = savePartial;
    this.bundled = bundled;
    this.layers = layers;
    this.idPrefixAscii = idPrefix.getBytes(StandardCharsets.US_ASCII);
    this.layerSuffix = new byte[bundled ? 0 : layers][];
    int longest = 0;
    for (int a = 0; a < layerSuffix.length; a++) {
      layerSuffix[a] = (ArtifactId.SEPARATOR + "L" + a).getBytes(StandardCharsets.US_ASCII);
      longest = Math.max(longest, layerSuffix[a].length);
    }
    this.maxLayerSuffix = longest;
  }

  KvNamespace namespace() {
    return namespace;
  }

  int chunkSize() {
    return chunkSize;
  }

  boolean bundled() {
    return bundled;
  }

  int layers() {
    return layers;
  }

  /** Artifacts per chunk: 1 when layers are bundled, else one per layer. */
  int artifactsPerChunk() {
    return bundled ? 1 : layers;
  }

  /** The keys of {@code tokens}' chunks, hashed one at a time as they are asked for. */
  Keys keys(int[] tokens) {
    return new Keys(tokens);
  }

  /** The id of artifact {@code a} of {@code chunk} (the chunk's id when layers are bundled). */
  ArtifactId artifactId(KvChunkKey chunk, int a) {
    return bundled ? chunk.id() : ArtifactId.of(chunk.id().value() + ArtifactId.SEPARATOR + "L" + a);
  }

  /** The chunk hash inside {@code id}, or {@code null} if {@code id} is not one of this keyspace's. */
  String hashOf(ArtifactId id) {
    String value = id.value();
    if (!value.startsWith(idPrefix)) {
      return null;
    }
    int end = value.indexOf(ArtifactId.SEPARATOR, idPrefix.length());
    return value.substring(idPrefix.length(), end < 0 ? value.length() : end);
  }

  /** An event about {@code key}, stamped now. */
  KvEvent event(KvEvent.Type type, KvChunkKey key, String tier) {
    return new KvEvent(type, namespace.idPrefix(), key.hash(), key.tokens(), tier, System.currentTimeMillis());
  }

  /**
   * The chunks of a prompt, hashed one at a time as they are asked for. Not thread-safe.
   *
   * <p>Two ways through: {@link #next()} makes each chunk's {@link KvChunkKey} (its hex hash and
   * id as strings), while {@link #advance()} only hashes the next chunk into this walk's binary
   * state and {@link #artifactId(int)} formats an id from it, into one reused ASCII buffer, only
   * when one is asked for. A lookup walks the second way: per chunk one SHA-256, one id text
   * and no other object.
   */
  final class Keys implements Iterator<KvChunkKey> {
    private final int[] tokens;
    private final int count;
    private final KvChunkHasher hasher = new KvChunkHasher(chunkSize);
    /** The current chunk's hash, which is the parent of the next; the seed before the first. */
    private final byte[] hash = seed.clone();
    /** {@code kv/<ns>/<hash hex>} and room for a layer suffix, in ASCII. */
    private final byte[] idText = new byte[idPrefixAscii.length + 2 * KvChunkHasher.HASH_BYTES + maxLayerSuffix];
    /** Index of the next chunk to hash; the current chunk is {@code next - 1}. */
    private int next;
    /** Whether {@link #idText} holds the current chunk's hex. */
    private boolean formatted;

    private Keys(int[] tokens) {
      this.tokens = Objects.requireNonNull(tokens, "tokens");
      int full = tokens.length / chunkSize;
      this.count = full + (savePartial && tokens.length % chunkSize != 0 ? 1 : 0);
      System.arraycopy(idPrefixAscii, 0, idText, 0, idPrefixAscii.length);
    }

    /** Chunks in the prompt. */
    int count() {
      return count;
    }

    /** Keys from the chunk holding {@code token} on: the chunks before it are hashed (the chain needs them) and skipped. */
    Keys fromToken(int token) {
      int first = token / chunkSize;
      while (next < first && hasNext()) {
        advance();
      }
      return this;
    }

    @Override
    public boolean hasNext() {
      return next < count;
    }

    /**
     * Hashes the next chunk and makes it the current one, without making its key.
     *
     * @throws NoSuchElementException if every chunk was walked
     */
    void advance() {
      if (!hasNext()) {
        throw new NoSuchElementException("chunk " + next + " of " + count);
      }
      int start = next * chunkSize;
      hasher.hash(hash, tokens, start, Math.min(start + chunkSize, tokens.length), hash);
      next++;
      formatted = false;
    }

    /** First token of the current chunk. */
    int startToken() {
      return (next - 1) * chunkSize;
    }

    /** One past the last token of the current chunk. */
    int endToken() {
      return Math.min(next * chunkSize, tokens.length);
    }

    /** The id of artifact {@code a} of the current chunk (the chunk's id when layers are bundled). */
    ArtifactId artifactId(int a) {
      int hexEnd = hexEnd();
      if (bundled) {
        return ArtifactId.ofAscii(idText, 0, hexEnd);
      }
      byte[] suffix = layerSuffix[a];
      System.arraycopy(suffix, 0, idText, hexEnd, suffix.length);
      return ArtifactId.ofAscii(idText, 0, hexEnd + suffix.length);
    }

    @Override
    public KvChunkKey next() {
      advance();
      int hexEnd = hexEnd();
      ArtifactId chunkId = ArtifactId.ofAscii(idText, 0, hexEnd);
      int start = startToken();
      int end = endToken();
      return new KvChunkKey(
          next - 1, start, end, end - start < chunkSize, chunkId.value().substring(idPrefixAscii.length), chunkId);
    }

    /** Formats the current chunk's hex into {@link #idText} once; returns where it ends. */
    private int hexEnd() {
      int p = idPrefixAscii.length;
      if (!formatted) {
        for (int i = 0; i < KvChunkHasher.HASH_BYTES; i++) {
          int b = hash[i] & 0xff;
          idText[p + 2 * i] = HEX_DIGITS[b >>> 4];
          idText[p + 2 * i + 1] = HEX_DIGITS[b & 0xf];
        }
        formatted = true;
      }
      return p + 2 * KvChunkHasher.HASH_BYTES;
    }
  }
}
