package io.stratacache.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArtifactMetaTest {
  @ParameterizedTest
  @ValueSource(strings = {"hints", "attrs"})
  void fromJson_emptyKey_isACodecError(String field) {
    CodecException e = assertThrows(
        CodecException.class, () -> ArtifactMeta.fromJson("{\"type\":\"CUSTOM\",\"" + field + "\":{\"\":\"x\"}}"));
    assertTrue(e.getMessage().contains("\"" + field + "\" has an empty key"), e.getMessage());
  }
}
