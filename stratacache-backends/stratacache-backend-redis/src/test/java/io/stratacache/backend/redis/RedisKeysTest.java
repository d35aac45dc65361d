package io.stratacache.backend.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.CodecException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RedisKeysTest {
  private final RedisKeys keys = new RedisKeys("plane:");

  private static String s(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  @Test
  void everyShapeOfId_roundTrips_andTheHashTagIsTheEncodedId() {
    List<ArtifactId> ids = List.of(
        ArtifactId.of("x"),
        ArtifactId.of("kv", "llama3-8b", "c0ffee"),
        ArtifactId.of("braces {a} and } {"),
        ArtifactId.of("percent %41 hash # star * ? [x] \\"),
        ArtifactId.of("unicode", "Grüße", "世界", "\uD83D\uDE80"),
        ArtifactId.of("x".repeat(ArtifactId.MAX_UTF8_BYTES)));
    for (ArtifactId id : ids) {
      byte[] head = keys.head(id);
      assertEquals(id, keys.decodeHead(head), s(head));
      String k = s(head);
      assertTrue(k.startsWith("plane:{") && k.endsWith("}"), k);
      String tag = k.substring("plane:{".length(), k.length() - 1);
      assertTrue(tag.indexOf('{') < 0 && tag.indexOf('}') < 0 && !tag.isEmpty(), "hash tag " + tag);
      byte[] part = RedisKeys.part(head, 0xabcL, 3);
      assertEquals(k + "#0000000000000abc.3", s(part));
    }
  }

  @Test
  void randomIds_roundTrip_andDistinctIdsGetDistinctKeys() {
    SplittableRandom r = new SplittableRandom(7);
    for (int n = 0; n < 2000; n++) {
      StringBuilder sb = new StringBuilder();
      int len = 1 + r.nextInt(20);
      for (int i = 0; i < len; i++) {
        int cp = r.nextInt(4) == 0 ? 0x20 + r.nextInt(0x5f) : 0xa0 + r.nextInt(0x3000);
        sb.appendCodePoint(cp);
      }
      ArtifactId id = ArtifactId.of(sb.toString());
      assertEquals(id, keys.decodeHead(keys.head(id)));
    }
    assertTrue(!java.util.Arrays.equals(keys.head(ArtifactId.of("Case")), keys.head(ArtifactId.of("case"))));
  }

  @Test
  void otherSpellings_andForeignKeys_decodeToNoId() {
    for (String foreign : List.of(
        "plane:{a%7b}", // lower-case hex
        "plane:{%61}", // an escape of a byte that is kept
        "plane:{a b}", // a raw space
        "plane:{}", // empty id
        "plane:{abc", // no closing brace
        "other:{abc}", // another prefix
        "plane:{abc}#0000000000000001.1", // a part
        "plane:{%C3}")) { // not UTF-8
      assertThrows(CodecException.class, () -> keys.decodeHead(foreign.getBytes(StandardCharsets.ISO_8859_1)), foreign);
    }
  }

  @Test
  void prefixesThatWouldBreakTheHashTagOrTheScanPattern_areRefused() {
    for (String bad : List.of("", "a{b", "a}b", "a b", "a*", "a?", "a[", "a#", "a%", "ä")) {
      assertThrows(IllegalArgumentException.class, () -> new RedisKeys(bad), bad);
    }
    assertArrayEquals("plane:{*}".getBytes(StandardCharsets.US_ASCII), keys.headPattern());
  }
}
