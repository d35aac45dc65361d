package io.stratacache.params;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.stratacache.core.ArtifactId;
import org.junit.jupiter.api.Test;

class ParamKeyTest {
  @Test
  void id_carriesEveryPartAndParsesBack() {
    ParamKey k = new ParamKey("tiny-llama", "r1", 3, "self_attn.q_proj.weight", "F32", 2);
    assertEquals("param/tiny-llama/r1/3/self_attn.q_proj.weight/F32/2", k.id().value());
    assertEquals(k, ParamKey.of(k.id()));
    assertEquals(5, k.withChunk(5).chunk());
  }

  @Test
  void badPartsAreRefusedWithTheirName() {
    assertEquals("unit: \"a/b\" (expected: non-empty, without '/')",
        assertThrows(IllegalArgumentException.class, () -> new ParamKey("m", "r", 0, "a/b", "F32", 0)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ParamKey("", "r", 0, "u", "F32", 0));
    assertThrows(IllegalArgumentException.class, () -> new ParamKey("m", "r", -1, "u", "F32", 0));
    assertThrows(IllegalArgumentException.class, () -> new ParamKey("m", "r", 0, "u", "F32", -1));
    assertThrows(IllegalArgumentException.class, () -> ParamKey.of(ArtifactId.of("kv", "x")));
    assertThrows(IllegalArgumentException.class, () -> ParamKey.of(ArtifactId.of("param", "m", "r", "x", "u", "F32", "0")));
  }
}
