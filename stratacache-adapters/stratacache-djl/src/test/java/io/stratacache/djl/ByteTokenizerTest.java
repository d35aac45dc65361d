package io.stratacache.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ByteTokenizerTest {
  @Test
  void encode_isUtf8BytesAfterBos() {
    assertArrayEquals(new int[] {ByteTokenizer.BOS, 'h', 'i', 0xC3, 0xA9}, ByteTokenizer.encode("hié", true));
    assertArrayEquals(new int[] {'h', 'i'}, ByteTokenizer.encode("hi", false));
  }

  @Test
  void decode_skipsSpecialsAndRoundTrips() {
    String text = "Grüße, 世界 🌍";
    int[] ids = ByteTokenizer.encode(text, true);
    assertEquals(text, ByteTokenizer.decode(ids));
    assertEquals("a", ByteTokenizer.decode(new int[] {ByteTokenizer.BOS, 'a', ByteTokenizer.EOS}));
    assertThrows(IllegalArgumentException.class, () -> ByteTokenizer.decode(new int[] {258}));
    assertThrows(IllegalArgumentException.class, () -> ByteTokenizer.decode(new int[] {-1}));
  }
}
