package io.stratacache.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.tensor.DType;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KvKeyspaceTest {
  private static final KvNamespace NS = new KvNamespace("m", 1, 0, DType.BF16, KvLayoutKind.FLASH_ATTN, "");

  private static int[] tokens(int n) {
    SplittableRandom r = new SplittableRandom(3);
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = r.nextInt(128_256);
    }
    return t;
  }

  @Test
  void keys_haveTheDocumentedIds_builtFromTheChainedHashes() {
    int[] tokens = tokens(40);
    KvKeyspace space = new KvKeyspace(NS, 16, true, true, 4);
    List<String> hashes = NS.chunkHashes(tokens, 16, true);
    KvKeyspace.Keys walk = space.keys(tokens);
    for (int c = 0; c < 3; c++) {
      KvChunkKey key = walk.next();
      assertEquals(hashes.get(c), key.hash());
      assertEquals(ArtifactId.of("kv/" + NS.idPrefix() + "/" + hashes.get(c)), key.id());
      assertEquals(c * 16, key.startToken());
      assertEquals(Math.min(c * 16 + 16, 40), key.endToken());
      assertEquals(c == 2, key.partial());
    }
    assertFalse(walk.hasNext());
    assertThrows(NoSuchElementException.class, walk::next);
  }

  @Test
  void advanceAndArtifactId_nameWhatNextNames_bundledAndPerLayer() {
    int[] tokens = tokens(100);
    for (boolean bundled : new boolean[] {true, false}) {
      KvKeyspace space = new KvKeyspace(NS, 16, false, bundled, 12);
      KvKeyspace.Keys byKey = space.keys(tokens);
      KvKeyspace.Keys lean = space.keys(tokens);
      assertEquals(6, lean.count());
      while (byKey.hasNext()) {
        KvChunkKey key = byKey.next();
        lean.advance();
        assertEquals(key.startToken(), lean.startToken());
        assertEquals(key.endToken(), lean.endToken());
        for (int a = 0; a < space.artifactsPerChunk(); a++) {
          assertEquals(space.artifactId(key, a), lean.artifactId(a), "bundled " + bundled + ", artifact " + a);
        }
        if (!bundled) {
          assertEquals(ArtifactId.of(key.id() + "/L11"), lean.artifactId(11));
        }
      }
      assertFalse(lean.hasNext());
      assertThrows(NoSuchElementException.class, lean::advance);
    }
  }

  @Test
  void fromToken_skipsTheChunksBeforeIt_keepingTheChain() {
    int[] tokens = tokens(64);
    KvKeyspace space = new KvKeyspace(NS, 16, false, true, 1);
    List<String> hashes = NS.chunkHashes(tokens, 16, false);
    KvChunkKey key = space.keys(tokens).fromToken(40).next();
    assertEquals(2, key.index());
    assertEquals(hashes.get(2), key.hash());
  }
}
