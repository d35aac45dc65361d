package io.stratacache.kv;

import io.stratacache.core.ArtifactId;
import java.util.HexFormat;
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
  private static final HexFormat HEX = HexFormat.of();

  private final KvNamespace namespace;
  private final byte[] seed;
  private final String idPrefix;
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

  /** The chunks of a prompt, hashed one at a time as they are asked for. Not thread-safe. */
  final class Keys implements Iterator<KvChunkKey> {
    private final int[] tokens;
    private final int count;
    private final KvChunkHasher hasher = new KvChunkHasher(chunkSize);
    private final byte[] parent = seed.clone();
    private final byte[] hash = new byte[KvChunkHasher.HASH_BYTES];
    private int next;

    private Keys(int[] tokens) {
      this.tokens = Objects.requireNonNull(tokens, "tokens");
      int full = tokens.length / chunkSize;
      this.count = full + (savePartial && tokens.length % chunkSize != 0 ? 1 : 0);
    }

    /** Chunks in the prompt. */
    int count() {
      return count;
    }

    /** Keys from the chunk holding {@code token} on: the chunks before it are hashed (the chain needs them) and skipped. */
    Keys fromToken(int token) {
      int first = token / chunkSize;
      while (next < first && hasNext()) {
        next();
      }
      return this;
    }

    @Override
    public boolean hasNext() {
      return next < count;
    }

    @Override
    public KvChunkKey next() {
      if (!hasNext()) {
        throw new NoSuchElementException("chunk " + next + " of " + count);
      }
      int start = next * chunkSize;
      int end = Math.min(start + chunkSize, tokens.length);
      hasher.hash(parent, tokens, start, end, hash);
      System.arraycopy(hash, 0, parent, 0, hash.length);
      String hex = HEX.formatHex(hash);
      return new KvChunkKey(next++, start, end, end - start < chunkSize, hex, ArtifactId.of(idPrefix + hex));
    }
  }
}
