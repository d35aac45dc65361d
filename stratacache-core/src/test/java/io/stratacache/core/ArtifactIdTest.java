package io.stratacache.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArtifactIdTest {
  private static final String GRIN = "\uD83D\uDE00"; // U+1F600, 4 UTF-8 bytes

  @ParameterizedTest
  @ValueSource(strings = {"a", "kv/llama3/c0ffee", "模型/ü/" + GRIN, " spaced out ", "\uFFFF", "a/", "/a", "a//b"})
  void validIds_keepTheirValueAndUtf8(String value) {
    ArtifactId id = ArtifactId.of(value);
    assertEquals(value, id.value());
    assertEquals(value, id.toString());
    assertArrayEquals(value.getBytes(StandardCharsets.UTF_8), id.toUtf8());
    assertEquals(value.getBytes(StandardCharsets.UTF_8).length, id.utf8Length());
    assertEquals(id, ArtifactId.fromUtf8(id.toUtf8()));
  }

  @Test
  void length_isCountedInUtf8Bytes_upTo1024() {
    assertEquals(1024, ArtifactId.of("x".repeat(1024)).utf8Length());
    assertEquals(1024, ArtifactId.of("é".repeat(512)).utf8Length());
    assertEquals(1024, ArtifactId.of(GRIN.repeat(256)).utf8Length());
    assertEquals(1024, ArtifactId.of("中".repeat(341) + "x").utf8Length());
    for (String tooLong : List.of("x".repeat(1025), "é".repeat(512) + "x", GRIN.repeat(256) + "x", "中".repeat(342))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArtifactId.of(tooLong));
      assertTrue(e.getMessage().startsWith("artifact id: " + tooLong.getBytes(StandardCharsets.UTF_8).length + " UTF-8 bytes starting \""),
          e.getMessage());
      assertTrue(e.getMessage().endsWith("(expected: at most 1024)"), e.getMessage());
    }
  }

  @Test
  void empty_isRefused() {
    assertEquals("artifact id: \"\" (expected: 1 to 1024 UTF-8 bytes)",
        assertThrows(IllegalArgumentException.class, () -> ArtifactId.of("")).getMessage());
    assertThrows(NullPointerException.class, () -> ArtifactId.of((String) null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\u0000b", "line\n", "\ttab", "del\u007f", "c1\u0085", "esc\u001b[0m"})
  void controlCharacters_areRefused_namingTheCharacterAndIndex(String value) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArtifactId.of(value));
    int index = 0;
    while (!Character.isISOControl(value.charAt(index))) {
      index++;
    }
    assertTrue(e.getMessage().contains(String.format("control character U+%04X at index %d", (int) value.charAt(index), index)),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("(expected: no control characters)"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "the message escapes the control character");
  }

  @ParameterizedTest
  @ValueSource(strings = {"\uD83D", "a\uD83D", "\uD83Db", "\uDE00", "a\uDE00b", "\uDE00\uD83D", "\uD83D\uD83D\uDE00"})
  void unpairedSurrogates_areRefused(String value) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArtifactId.of(value));
    assertTrue(e.getMessage().contains("has an unpaired surrogate at index"), e.getMessage());
    assertTrue(e.getMessage().endsWith("(expected: valid Unicode)"), e.getMessage());
  }

  @Test
  void namespacedIds_joinPartsWithSlash_andSplitBack() {
    ArtifactId id = ArtifactId.of("kv", "llama3", "c0ffee");
    assertEquals("kv/llama3/c0ffee", id.value());
    assertArrayEquals(new String[] {"kv", "llama3", "c0ffee"}, id.parts());
    assertArrayEquals(new String[] {"plain"}, ArtifactId.of("plain").parts());
    assertArrayEquals(new String[] {"a", "", "b"}, ArtifactId.of("a//b").parts());
    assertEquals(ArtifactId.of("kv/x"), ArtifactId.of("kv", "x"));
    assertEquals(ArtifactId.of("solo"), ArtifactId.of("solo", new String[0]));
    assertTrue(id.isIn("kv"));
    assertTrue(id.isIn("kv/llama3"));
    assertFalse(id.isIn("k"));
    assertFalse(id.isIn("kv/llama3/c0ffee"));
    assertFalse(ArtifactId.of("kvx/a").isIn("kv"));
  }

  @Test
  void namespacedIds_refuseEmptyPartsAndSlashes_namingThePart() {
    assertEquals("artifact id part 0: \"\" (expected: non-empty, without '/')",
        assertThrows(IllegalArgumentException.class, () -> ArtifactId.of("", "a")).getMessage());
    assertEquals("artifact id part 2: \"x/y\" (expected: non-empty, without '/')",
        assertThrows(IllegalArgumentException.class, () -> ArtifactId.of("kv", "a", "x/y")).getMessage());
    assertEquals("artifact id part 1: \"\" (expected: non-empty, without '/')",
        assertThrows(IllegalArgumentException.class, () -> ArtifactId.of("kv", "")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> ArtifactId.of("kv", "bad\u0000"));
    assertThrows(IllegalArgumentException.class, () -> ArtifactId.of("kv", "x".repeat(1022)));
  }

  @Test
  void ordering_isByUnsignedUtf8Bytes_consistentWithEquals() {
    List<ArtifactId> sorted = new ArrayList<>();
    for (String s : List.of("b", "a", "aa", "Z", "é", "z", GRIN, "\uFFFF", "a/b", "a0")) {
      sorted.add(ArtifactId.of(s));
    }
    Collections.sort(sorted);
    // '/' (0x2F) < '0' (0x30); U+FFFF (EF BF BF) < U+1F600 (F0 ...) in UTF-8, unlike UTF-16
    assertEquals(List.of("Z", "a", "a/b", "a0", "aa", "b", "z", "é", "\uFFFF", GRIN),
        sorted.stream().map(ArtifactId::value).toList());
    assertEquals(0, ArtifactId.of("same").compareTo(ArtifactId.of("same")));
    assertTrue(ArtifactId.of("\uFFFF").compareTo(ArtifactId.of(GRIN)) < 0);
    assertTrue("\uFFFF".compareTo(GRIN) > 0, "UTF-16 order differs, which is why ids compare bytes");
  }

  @Test
  void equalityAndHash_areByValue_andUtf8IsACopy() {
    ArtifactId a = ArtifactId.of("kv/1");
    assertEquals(a, ArtifactId.of("kv/1"));
    assertEquals(a.hashCode(), ArtifactId.of("kv/1").hashCode());
    assertNotEquals(a, ArtifactId.of("kv/2"));
    assertNotEquals(a, (Object) "kv/1");
    byte[] utf8 = a.toUtf8();
    utf8[0] = 'X';
    assertEquals("kv/1", new String(a.toUtf8(), StandardCharsets.UTF_8));
  }

  @Test
  void fromUtf8_refusesInvalidUtf8AndInvalidIds_withCodecException() {
    CodecException e = assertThrows(CodecException.class, () -> ArtifactId.fromUtf8(new byte[] {'a', (byte) 0xC3}));
    assertEquals("artifact id: 2 bytes are not valid UTF-8", e.getMessage());
    assertThrows(CodecException.class, () -> ArtifactId.fromUtf8(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}));
    assertEquals("artifact id: \"\" (expected: 1 to 1024 UTF-8 bytes)",
        assertThrows(CodecException.class, () -> ArtifactId.fromUtf8(new byte[0])).getMessage());
    assertThrows(CodecException.class, () -> ArtifactId.fromUtf8(new byte[] {'a', '\n'}));
    assertThrows(CodecException.class, () -> ArtifactId.fromUtf8("x".repeat(1025).getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void ofAscii_equalsTheSameTextGivenAsAString() {
    byte[] text = "..kv/0123456789abcdef/c0ffee~ !..".getBytes(StandardCharsets.US_ASCII);
    ArtifactId id = ArtifactId.ofAscii(text, 2, text.length - 2);
    assertEquals(ArtifactId.of("kv/0123456789abcdef/c0ffee~ !"), id);
    assertEquals("kv/0123456789abcdef/c0ffee~ !", id.value());
    assertArrayEquals("kv/0123456789abcdef/c0ffee~ !".getBytes(StandardCharsets.UTF_8), id.toUtf8());
    assertEquals(ArtifactId.of("x".repeat(1024)), ArtifactId.ofAscii("x".repeat(1024).getBytes(StandardCharsets.US_ASCII), 0, 1024));
  }

  @Test
  void ofAscii_refusesBytesOutsidePrintableAsciiAndBadRanges_namingThem() {
    byte[] ok = "abc".getBytes(StandardCharsets.US_ASCII);
    for (byte bad : new byte[] {0x1f, 0x7f, (byte) 0x80, (byte) 0xc3, 0x00, '\n'}) {
      byte[] text = {'a', bad, 'c'};
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArtifactId.ofAscii(text, 0, 3));
      assertEquals("ascii: byte 0x" + String.format("%02x", bad & 0xff) + " at index 1 (expected: printable ASCII, 0x20 to 0x7e)",
          e.getMessage());
    }
    assertEquals("ascii range: [1, 1) of 3 bytes (expected: 1 to 1024 bytes in bounds)",
        assertThrows(IllegalArgumentException.class, () -> ArtifactId.ofAscii(ok, 1, 1)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> ArtifactId.ofAscii(ok, -1, 2));
    assertThrows(IllegalArgumentException.class, () -> ArtifactId.ofAscii(ok, 0, 4));
    assertThrows(IllegalArgumentException.class, () -> ArtifactId.ofAscii(new byte[1025], 0, 1025));
    assertThrows(NullPointerException.class, () -> ArtifactId.ofAscii(null, 0, 1));
  }
}
