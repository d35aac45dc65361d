package io.stratacache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class ArtifactMetaTest {
  @Test
  void json_roundTripsTypeHintsAndAttributes_inOrder() {
    ArtifactMeta meta = ArtifactMeta.builder(ArtifactType.KV_BLOCKS)
        .hint("promote", "false").hint("a", "1")
        .attribute("z", "last?").attribute("tensor_shape", "[1,2]").attribute("quote", "say \"hi\"\n\\ ü " + "\uD83D\uDE00")
        .build();
    String json = meta.toJson();
    assertEquals("{\"type\":\"KV_BLOCKS\",\"hints\":{\"promote\":\"false\",\"a\":\"1\"},\"attrs\":{\"z\":\"last?\","
        + "\"tensor_shape\":\"[1,2]\",\"quote\":\"say \\\"hi\\\"\\n\\\\ ü \uD83D\uDE00\"}}", json);
    ArtifactMeta back = ArtifactMeta.fromJson(json);
    assertEquals(meta, back);
    assertEquals(List.of("z", "tensor_shape", "quote"), List.copyOf(back.attributes().keySet()));
    assertEquals(List.of("promote", "a"), List.copyOf(back.hints().keySet()));
  }

  @ParameterizedTest
  @EnumSource(ArtifactType.class)
  void json_ofABareMeta_leavesEmptyMapsOut(ArtifactType type) {
    ArtifactMeta meta = ArtifactMeta.of(type);
    assertEquals("{\"type\":\"" + type.name() + "\"}", meta.toJson());
    assertEquals(meta, ArtifactMeta.fromJson(meta.toJson()));
  }

  @Test
  void fromJson_acceptsTypeNamesInAnyCase_andKeysInAnyOrder() {
    assertEquals(ArtifactMeta.builder(ArtifactType.PARAM_CHUNK).attribute("k", "v").build(),
        ArtifactMeta.fromJson("{\"attrs\":{\"k\":\"v\"},\"type\":\"param_chunk\"}"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "not json                                            | artifact meta: not valid JSON: ",
    "{\"type\":\"KV_BLOCKS\"                             | artifact meta: not valid JSON: ",
    "[1,2]                                               | artifact meta: [1,2] (expected: a JSON object)",
    "{}                                                  | artifact meta: \"type\" is null (expected: a type name)",
    "{\"type\":7}                                        | artifact meta: \"type\" is 7 (expected: a type name)",
    "{\"type\":\"BLOB\"}                                 | artifact meta: artifact type: \"BLOB\" (expected one of [",
    "{\"type\":\"CUSTOM\",\"hints\":[]}                  | artifact meta: \"hints\" is [] (expected: an object of strings)",
    "{\"type\":\"CUSTOM\",\"attrs\":{\"n\":1}}           | artifact meta: \"attrs.n\" is 1 (expected: a string)",
    "{\"type\":\"CUSTOM\",\"attrs\":{\"n\":null}}        | artifact meta: \"attrs.n\" is null (expected: a string)",
    "{\"type\":\"CUSTOM\",\"attrs\":{\"n\":{\"x\":\"y\"}}} | artifact meta: \"attrs.n\" is {\"x\":\"y\"} (expected: a string)",
  })
  void fromJson_malformed_isACodecError(String json, String messageStart) {
    CodecException e = assertThrows(CodecException.class, () -> ArtifactMeta.fromJson(json));
    assertTrue(e.getMessage().startsWith(messageStart.strip()), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"hints", "attrs"})
  void fromJson_emptyKey_isACodecError(String field) {
    CodecException e = assertThrows(
        CodecException.class, () -> ArtifactMeta.fromJson("{\"type\":\"CUSTOM\",\"" + field + "\":{\"\":\"x\"}}"));
    assertTrue(e.getMessage().contains("\"" + field + "\" has an empty key"), e.getMessage());
  }

  @Test
  void constructor_refusesEmptyKeysAndNullValues_andCopies() {
    Map<String, String> withNull = new LinkedHashMap<>();
    withNull.put("k", null);
    assertEquals("attribute k=null (expected: non-empty key and non-null value)",
        assertThrows(IllegalArgumentException.class, () -> new ArtifactMeta(ArtifactType.CUSTOM, Map.of(), withNull)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ArtifactMeta(ArtifactType.CUSTOM, Map.of("", "v"), Map.of()));
    assertThrows(NullPointerException.class, () -> new ArtifactMeta(null, Map.of(), Map.of()));
    Map<String, String> attrs = new LinkedHashMap<>(Map.of("a", "1"));
    ArtifactMeta meta = new ArtifactMeta(ArtifactType.CUSTOM, null, attrs);
    attrs.put("b", "2");
    assertEquals(Map.of("a", "1"), meta.attributes());
    assertEquals(Map.of(), meta.hints());
    assertThrows(UnsupportedOperationException.class, () -> meta.attributes().put("c", "3"));
  }

  @Test
  void promotable_followsThePromoteHint() {
    assertTrue(ArtifactMeta.custom().promotable());
    assertFalse(ArtifactMeta.builder(ArtifactType.CUSTOM).hint(ArtifactMeta.HINT_PROMOTE, "FALSE").build().promotable());
    assertTrue(ArtifactMeta.builder(ArtifactType.CUSTOM).hint(ArtifactMeta.HINT_PROMOTE, "true").build().promotable());
  }

  @Test
  void toBuilder_startsFromTheMeta() {
    ArtifactMeta a = ArtifactMeta.builder(ArtifactType.TENSOR_SHARD).hint("h", "1").attribute("x", "y").build();
    ArtifactMeta b = a.toBuilder().attribute("x", "z").build();
    assertEquals("z", b.attribute("x"));
    assertEquals("1", b.hint("h"));
    assertEquals("y", a.attribute("x"));
    assertSame(ArtifactMeta.custom(), ArtifactMeta.of(ArtifactType.CUSTOM));
  }
}
