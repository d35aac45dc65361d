package io.stratacache.kv;

import io.stratacache.core.tensor.DType;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The published key test vectors (KEYS.md), computed independently with Python's hashlib, and
 * the properties of the hash chain.
 */
class KvChunkHashTest {
  static final KvNamespace A =
      new KvNamespace("meta-llama/Llama-3.1-8B-Instruct", 1, 0, DType.BF16, KvLayoutKind.FLASH_ATTN, "");
  static final KvNamespace A_SALTED =
      new KvNamespace("meta-llama/Llama-3.1-8B-Instruct", 1, 0, DType.BF16, KvLayoutKind.FLASH_ATTN, "tenant-a");
  static final KvNamespace B = new KvNamespace("deepseek-ai/DeepSeek-V3", 8, 3, DType.F8_E4M3, KvLayoutKind.MLA, null);
  static final KvNamespace C =
      new KvNamespace("meta-llama/Llama-3.1-8B-Instruct", 1, 0, DType.BF16, KvLayoutKind.FLASH_INFER, "");

  static int[] range(int n) {
    return IntStream.range(0, n).toArray();
  }

  static int[] vectorB() {
    return IntStream.range(0, 600).map(i -> (i * 7919 + 13) % 128256).toArray();
  }

  @Test
  void theTenantSaltNeverAppearsInToString() {
    String shown = A_SALTED.toString();
    assertTrue(!shown.contains("tenant-a") && shown.contains("salt=(set)"), shown);
    assertTrue(A.toString().contains("salt=none"), A.toString());
  }

  @Test
  void vectorA_llamaFlashAttn_chunk16_twoFullAndOnePartial() {
    assertEquals("940c29c60c10e37ab9236a4187758952c482ac11def9e84e7e674cb2f21a76e5", HexFormat.of().formatHex(A.seed()));
    assertEquals(
        List.of(
            "ae53d528a2f326d7f7967b6c81b1a8c0e067ab1fe9cad2f3e02a7b0b9eceb694",
            "8a687f2e42cfe131e7ed7f37009e66a5dada8468cf68ea168c39d984f419b665",
            "a644bbf7f773806f355acd65051696e064c009e40cbeaa86cff7fd146e01fbc7"),
        A.chunkHashes(range(40), 16, true));
  }

  @Test
  void vectorASalted_sameTokensOtherTenant_sharesNoHash() {
    assertEquals("a18eaf883b625cc664f82e9b547a8a0275e3bbb6c1efcfd307f5c1e09b07a160", HexFormat.of().formatHex(A_SALTED.seed()));
    List<String> salted = A_SALTED.chunkHashes(range(40), 16, true);
    assertEquals(
        List.of(
            "44f8a6b6ac95a9ff09afac9d41928ddbb7c68c380fe27273224eb698f204ead2",
            "58920de1a1dc89edb2327e9332b003001bb4ff0c372ecd4698af410f4c050510",
            "3316839b49d5bcd64545e6360017c1939402ccde40f30b17d5931155f0e18b35"),
        salted);
    Set<String> all = new HashSet<>(salted);
    all.addAll(A.chunkHashes(range(40), 16, true));
    assertEquals(6, all.size());
  }

  @Test
  void vectorB_deepseekMla_chunk256_tp8rank3() {
    assertEquals("1496defb5c6ea22c13a0fce0730ad47ec69abf27e7ce462f891f6e658045feab", HexFormat.of().formatHex(B.seed()));
    assertEquals(
        List.of(
            "30158437725594f07ccbd00928987ce4799d4d9cc5f468aac90b824ea9616466",
            "c4d68cc4345810c9362f6635afa90f898840168bd5a6540eff47cfc9fae5bff1",
            "bb14392cbbf9deb1bc9e97b236a3f1c8f047e9fca3e0c823e7566f0c3e510882"),
        B.chunkHashes(vectorB(), 256, true));
  }

  @Test
  void vectorC_tokensAreHashedAsUnsigned32Bits() {
    assertEquals("1b0570396c8af4f23a6444e771a9058f95025526b18ce5955fc774ab6da8615a", HexFormat.of().formatHex(C.seed()));
    assertEquals(
        List.of(
            "509e9030b436e7bd3dea6d30ce5f1e65f6518387ab83b17d1b346143d7c8660a",
            "d3b894178ba68bac062021df06996323e073c720b516716fca8cc69cac3438c2"),
        C.chunkHashes(new int[] {128000, -1, Integer.MIN_VALUE, 1, 2}, 4, true));
  }

  @Test
  void chunkBoundaries_fullChunksOnlyUnlessPartialRequested() {
    assertEquals(2, A.chunkHashes(range(32), 16, true).size());
    assertEquals(2, A.chunkHashes(range(32), 16, false).size());
    assertEquals(3, A.chunkHashes(range(33), 16, true).size());
    assertEquals(2, A.chunkHashes(range(33), 16, false).size());
    assertEquals(0, A.chunkHashes(range(15), 16, false).size());
    assertEquals(1, A.chunkHashes(range(15), 16, true).size());
    assertEquals(0, A.chunkHashes(new int[0], 16, true).size());
  }

  @Test
  void hashesOfAPrefix_areAPrefixOfTheHashes() {
    List<String> full = A.chunkHashes(range(64), 16, false);
    assertEquals(full.subList(0, 2), A.chunkHashes(range(32), 16, false));
    assertEquals(full.subList(0, 3), A.chunkHashes(range(50), 16, false));
  }

  @Test
  void partialChunkHash_coversOnlyItsTokens_andDiffersFromTheFullChunk() {
    List<String> partial = A.chunkHashes(range(40), 16, true);
    List<String> longer = A.chunkHashes(range(48), 16, true);
    assertEquals(partial.subList(0, 2), longer.subList(0, 2));
    assertNotEquals(partial.get(2), longer.get(2));
    // The partial hash is exactly the chain step over its 8 tokens.
    KvChunkHasher hasher = new KvChunkHasher(16);
    byte[] parent = HexFormat.of().parseHex(partial.get(1));
    byte[] out = new byte[32];
    hasher.hash(parent, range(40), 32, 40, out);
    assertEquals(partial.get(2), HexFormat.of().formatHex(out));
  }

  @Test
  void aChangedTokenChangesItsChunkAndEveryLaterOne() {
    int[] tokens = range(64);
    int[] changed = tokens.clone();
    changed[20] = 9999;
    List<String> a = A.chunkHashes(tokens, 16, false);
    List<String> b = A.chunkHashes(changed, 16, false);
    assertEquals(a.get(0), b.get(0));
    for (int i = 1; i < 4; i++) {
      assertNotEquals(a.get(i), b.get(i), "chunk " + i);
    }
  }

  @Test
  void everyNamespaceFieldChangesTheSeed() {
    KvNamespace base = new KvNamespace("m", 2, 1, DType.BF16, KvLayoutKind.FLASH_ATTN, "");
    List<KvNamespace> variants = List.of(
        base,
        new KvNamespace("m2", 2, 1, DType.BF16, KvLayoutKind.FLASH_ATTN, ""),
        new KvNamespace("m", 4, 1, DType.BF16, KvLayoutKind.FLASH_ATTN, ""),
        new KvNamespace("m", 2, 0, DType.BF16, KvLayoutKind.FLASH_ATTN, ""),
        new KvNamespace("m", 2, 1, DType.F16, KvLayoutKind.FLASH_ATTN, ""),
        new KvNamespace("m", 2, 1, DType.BF16, KvLayoutKind.FLASH_INFER, ""),
        new KvNamespace("m", 2, 1, DType.BF16, KvLayoutKind.FLASH_ATTN, "s"));
    Set<String> seeds = new HashSet<>();
    Set<String> prefixes = new HashSet<>();
    for (KvNamespace ns : variants) {
      seeds.add(HexFormat.of().formatHex(ns.seed()));
      prefixes.add(ns.idPrefix());
    }
    assertEquals(variants.size(), seeds.size());
    assertEquals(variants.size(), prefixes.size());
    assertEquals(KvNamespace.ID_PREFIX_HEX, base.idPrefix().length());
    assertTrue(HexFormat.of().formatHex(base.seed()).startsWith(base.idPrefix()));
  }

  @Test
  void canonicalText_isTheDocumentedForm() {
    assertEquals(
        "stratacache-kv/1\nmodel=m\ntp_size=2\ntp_rank=1\ndtype=fp8_e5m2\nlayout=flashinfer\nsalt=x y\n",
        new KvNamespace("m", 2, 1, DType.F8_E5M2, KvLayoutKind.FLASH_INFER, "x y").canonicalText());
  }

  @Test
  void namespace_rejectsBadFields_namingTheValue() {
    var e = assertThrows(IllegalArgumentException.class, () -> new KvNamespace("", 1, 0, DType.BF16, KvLayoutKind.MLA, ""));
    assertTrue(e.getMessage().startsWith("model: \"\""), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new KvNamespace("a\nb", 1, 0, DType.BF16, KvLayoutKind.MLA, ""));
    assertTrue(e.getMessage().contains("U+000A"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new KvNamespace("m", 1, 0, DType.BF16, KvLayoutKind.MLA, "x\ny"));
    assertTrue(e.getMessage().startsWith("salt:"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new KvNamespace("m", 0, 0, DType.BF16, KvLayoutKind.MLA, ""));
    assertEquals("tpSize: 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new KvNamespace("m", 2, 2, DType.BF16, KvLayoutKind.MLA, ""));
    assertEquals("tpRank: 2 (expected: 0 to 1)", e.getMessage());
  }

  @Test
  void hasher_rejectsBadRanges_andReusesItsBuffers() {
    KvChunkHasher h = new KvChunkHasher(4);
    byte[] parent = new byte[32];
    byte[] out = new byte[32];
    assertThrows(IllegalArgumentException.class, () -> h.hash(parent, range(8), 0, 5, out));
    assertThrows(IllegalArgumentException.class, () -> h.hash(parent, range(8), 3, 3, out));
    assertThrows(IllegalArgumentException.class, () -> h.hash(parent, range(8), 6, 9, out));
    assertThrows(IllegalArgumentException.class, () -> h.hash(new byte[31], range(8), 0, 4, out));
    assertThrows(IllegalArgumentException.class, () -> new KvChunkHasher(0));
    byte[] first = new byte[32];
    h.hash(parent, range(8), 0, 4, first);
    h.hash(parent, range(8), 4, 8, out);
    byte[] again = new byte[32];
    h.hash(parent, range(8), 0, 4, again);
    assertArrayEquals(first, again);
  }

  @Test
  void dtypeAndLayoutLabels_areTheDocumentedOnes_andParseBack() {
    assertEquals(List.of("bf16", "fp16", "fp32", "fp8_e4m3", "fp8_e5m2"),
        KV_DTYPES.stream().map(KvNamespace::dtypeLabel).toList());
    for (DType d : KV_DTYPES) {
      assertEquals(d, DType.forName(KvNamespace.dtypeLabel(d)));
    }
    for (KvLayoutKind k : KvLayoutKind.values()) {
      assertEquals(k, KvLayoutKind.parse(" " + k.label() + " "));
    }
    var e = assertThrows(IllegalArgumentException.class, () -> KvLayoutKind.parse("paged"));
    assertEquals("kv layout: \"paged\" (expected one of [flash_attn, flashinfer, mla])", e.getMessage());
  }

  static final List<DType> KV_DTYPES = List.of(DType.BF16, DType.F16, DType.F32, DType.F8_E4M3, DType.F8_E5M2);
}
