package io.stratacache.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecordCodecTest {
  @ParameterizedTest
  @ValueSource(ints = {0, -8, 3, 12, 4095})
  void alignmentThatIsNotAPowerOfTwo_isRefusedOnEncodeAndDecode(int alignment) {
    ArtifactId id = ArtifactId.of("a");
    MemorySegment payload = MemorySegment.ofArray(new byte[] {1, 2, 3});
    MemorySegment record = RecordCodec.encode(id, ArtifactMeta.custom(), payload, 8);
    IllegalArgumentException onEncode = assertThrows(
        IllegalArgumentException.class, () -> RecordCodec.encode(id, ArtifactMeta.custom(), payload, alignment));
    IllegalArgumentException onDecode =
        assertThrows(IllegalArgumentException.class, () -> RecordCodec.decode(record, alignment));
    assertEquals("alignment: " + alignment + " (expected: a power of two)", onEncode.getMessage());
    assertTrue(onDecode.getMessage().contains("alignment: " + alignment), onDecode.getMessage());
  }
}
