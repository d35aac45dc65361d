package io.stratacache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {
  @ParameterizedTest
  @CsvSource({
    "0, 0",
    "4096, 4096",
    "9007199254740993, 9007199254740993",
    "12B, 12",
    "1K, 1024",
    "1KB, 1024",
    "1KiB, 1024",
    "1kib, 1024",
    "512MiB, 536870912",
    "512 MiB, 536870912",
    "'  2G  ', 2147483648",
    "1GiB, 1073741824",
    "1.5GiB, 1610612736",
    "0.5KiB, 512",
    "3TiB, 3298534883328",
    "3tb, 3298534883328",
  })
  void parse_acceptsBytesAndBinaryUnits(String text, long bytes) {
    assertEquals(bytes, ByteSize.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "-1", "-1GiB", "1 GB extra", "1PiB", "GiB", "1iB", "1i", "1.5", "1.5B", "1,5GiB", "0x10", "1e3", "١٢"})
  void parse_rejectsMalformed_namingTheTextAndTheForm(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
    assertTrue(e.getMessage().contains("\"" + text + "\""), e.getMessage());
    assertTrue(e.getMessage().contains("expected: whole bytes, or a number with KiB, MiB, GiB or TiB"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"4194304TiB", "4611686018427387904", "99999999999999999999999", "5000000TiB"})
  void parse_rejectsSizesFrom4EiB(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
    assertTrue(e.getMessage().contains("less than 4 EiB"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0 B",
    "1023, 1023 B",
    "1024, 1 KiB",
    "1536, 1.5 KiB",
    "1048575, 1.0 MiB",
    "1048576, 1 MiB",
    "1073741824, 1 GiB",
    "1649267441664, 1.5 TiB",
    "4503599627370496, 4 PiB",
  })
  void format_usesTheLargestReadableUnit(long bytes, String text) {
    assertEquals(text, ByteSize.format(bytes));
  }

  @ParameterizedTest
  @ValueSource(longs = {0, 1, 1023, 1024, 65536, 1L << 20, 1L << 30, 3L << 40})
  void format_ofWholeUnits_parsesBack(long bytes) {
    assertEquals(bytes, ByteSize.parse(ByteSize.format(bytes)));
  }
}
