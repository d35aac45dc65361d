package io.stratacache.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.CodecException;
import io.stratacache.core.codec.RecordCodec.Header;
import io.stratacache.core.codec.RecordCodec.Record;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class RecordCodecTest {
  private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final int[] ALIGNMENTS = {1, 64, 4096};

  private static final ArtifactId ID = ArtifactId.of("kv", "llama3", "c0ffee");
  private static final ArtifactMeta META = ArtifactMeta.builder(ArtifactType.KV_BLOCKS)
      .hint(ArtifactMeta.HINT_PROMOTE, "false").attribute("tensor_shape", "[2,3]").build();

  static Stream<Arguments> alignmentsAndSizes() {
    return Arrays.stream(ALIGNMENTS).boxed()
        .flatMap(a -> Stream.of(0, 1, 63, 4096, 100_003).map(n -> Arguments.of(a, n)));
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @ParameterizedTest
  @MethodSource("alignmentsAndSizes")
  void roundTrip_atEachAlignment(int alignment, int size) {
    byte[] bytes = randomBytes(size, size);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment payload = arena.allocate(Math.max(1, size)).asSlice(0, size);
      MemorySegment.copy(bytes, 0, payload, ValueLayout.JAVA_BYTE, 0, size);

      MemorySegment record = RecordCodec.encode(ID, META, payload, alignment);
      Record r = RecordCodec.decode(record, alignment);

      assertEquals(ID, r.header().id());
      assertEquals(META, r.header().meta());
      assertEquals(size, r.header().payloadLength());
      assertEquals(-1, r.payload().mismatch(payload));
      long offset = r.header().payloadOffset(alignment);
      assertEquals(0, offset % alignment);
      assertTrue(offset >= RecordLayout.PREFIX_BYTES + r.header().headerLength() && offset - alignment
          < RecordLayout.PREFIX_BYTES + r.header().headerLength(), "padding is less than one alignment");
      assertEquals(record.byteSize(), r.header().recordSize(alignment));
      assertEquals(record.address() + offset, r.payload().address(), "the payload is a slice of the record");
      assertEquals(Crc32c.of(payload), r.header().payloadCrc());
    }
  }

  @Test
  void layout_matchesTheDiagram() {
    byte[] payload = {9, 8, 7};
    MemorySegment record = RecordCodec.encode(ID, META, MemorySegment.ofArray(payload), 64);
    byte[] header = RecordCodec.headerJson(ID, META);
    assertEquals(RecordLayout.MAGIC, record.get(INT_LE, 0));
    assertEquals("SCR1", new String(record.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
    assertEquals(header.length, record.get(INT_LE, RecordLayout.HEADER_LENGTH_OFFSET));
    assertEquals(3, record.get(LONG_LE, RecordLayout.PAYLOAD_LENGTH_OFFSET));
    assertEquals(Crc32c.of(MemorySegment.ofArray(payload)), record.get(INT_LE, RecordLayout.PAYLOAD_CRC_OFFSET));
    assertEquals(Crc32c.of(MemorySegment.ofArray(header)), record.get(INT_LE, RecordLayout.HEADER_CRC_OFFSET));
    assertEquals("{\"id\":\"kv/llama3/c0ffee\",\"meta\":" + META.toJson() + "}", new String(header, StandardCharsets.UTF_8));
    assertEquals(-1, record.asSlice(RecordLayout.PREFIX_BYTES, header.length).mismatch(MemorySegment.ofArray(header)));
    long offset = RecordLayout.payloadOffset(header.length, 64);
    for (long i = RecordLayout.PREFIX_BYTES + header.length; i < offset; i++) {
      assertEquals(0, record.get(ValueLayout.JAVA_BYTE, i), "zero padding");
    }
    assertEquals(offset + 3, record.byteSize());
  }

  @Test
  void readHeader_needsOnlyThePrefixAndHeader() {
    MemorySegment record = RecordCodec.encode(ID, META, MemorySegment.ofArray(randomBytes(5000, 1)), 4096);
    int hdrLen = RecordCodec.headerLength(record.asSlice(0, RecordLayout.PREFIX_BYTES));
    Header h = RecordCodec.readHeader(record.asSlice(0, RecordLayout.PREFIX_BYTES + hdrLen));
    assertEquals(ID, h.id());
    assertEquals(5000, h.payloadLength());
    assertEquals(4096 + 5000, h.recordSize(4096));
    CodecException e = assertThrows(CodecException.class,
        () -> RecordCodec.readHeader(record.asSlice(0, RecordLayout.PREFIX_BYTES + hdrLen - 1)));
    assertEquals("record: " + (RecordLayout.PREFIX_BYTES + hdrLen - 1) + " bytes (expected: at least "
        + (RecordLayout.PREFIX_BYTES + hdrLen) + " for the header)", e.getMessage());
    assertEquals("record: 23 bytes (expected: at least 24)",
        assertThrows(CodecException.class, () -> RecordCodec.headerLength(record.asSlice(0, 23))).getMessage());
  }

  @Test
  void verifyPayload_refusesAnotherLengthOrChecksum() {
    MemorySegment record = RecordCodec.encode(ID, META, MemorySegment.ofArray(new byte[] {1, 2, 3}), 8);
    Header h = RecordCodec.readHeader(record);
    assertEquals("record kv/llama3/c0ffee: payload of 2 bytes (expected: 3)",
        assertThrows(CodecException.class, () -> RecordCodec.verifyPayload(h, MemorySegment.ofArray(new byte[] {1, 2})))
            .getMessage());
    assertTrue(assertThrows(CodecException.class, () -> RecordCodec.verifyPayload(h, MemorySegment.ofArray(new byte[] {1, 2, 4})))
        .getMessage().startsWith("record kv/llama3/c0ffee: payload checksum 0x"));
    RecordCodec.verifyPayload(h, MemorySegment.ofArray(new byte[] {1, 2, 3}));
  }

  @Test
  void decode_namesWhatIsWrong() {
    MemorySegment good = RecordCodec.encode(ID, META, MemorySegment.ofArray(new byte[] {1, 2, 3}), 8);
    byte[] b = good.toArray(ValueLayout.JAVA_BYTE);
    byte[] badMagic = b.clone();
    badMagic[3] = '2';
    assertEquals("record: magic 0x32524353 (expected: 0x31524353, \"SCR1\")", decodeError(badMagic, 8));
    byte[] badHdrLen = b.clone();
    MemorySegment.ofArray(badHdrLen).set(INT_LE, RecordLayout.HEADER_LENGTH_OFFSET, 0);
    assertEquals("record: header length 0 (expected: 1 to 1048576)", decodeError(badHdrLen, 8));
    byte[] negative = b.clone();
    MemorySegment.ofArray(negative).set(LONG_LE, RecordLayout.PAYLOAD_LENGTH_OFFSET, -3);
    assertEquals("record: payload length -3 (expected: 0 or more)", decodeError(negative, 8));
    assertTrue(decodeError(Arrays.copyOf(b, b.length + 1), 8).startsWith("record kv/llama3/c0ffee: " + (b.length + 1) + " bytes (expected: "));
    assertTrue(decodeError(b, 64).contains("(expected: "), "decoding at another alignment is refused");
  }

  private static String decodeError(byte[] record, int alignment) {
    return assertThrows(CodecException.class, () -> RecordCodec.decode(MemorySegment.ofArray(record), alignment)).getMessage();
  }

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

  // ---- fuzzing: a malformed record is always a CodecException, never another payload

  /** A record whose header JSON is {@code json}, with both checksums right. */
  private static byte[] recordWithHeader(String json, byte[] payload, int alignment) {
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    byte[] prefix = RecordCodec.encodePrefix(header, payload.length, Crc32c.of(MemorySegment.ofArray(payload)), alignment);
    byte[] out = Arrays.copyOf(prefix, prefix.length + payload.length);
    System.arraycopy(payload, 0, out, prefix.length, payload.length);
    return out;
  }

  @Test
  void headersWithValidChecksumsButInvalidContent_areCodecErrors() {
    byte[] p = {1};
    String[] bad = {
      "{\"id\":\"a\",\"meta\":{\"type\":\"CUSTOM\",\"attrs\":{\"\":\"x\"}}}",
      "{\"id\":\"a\",\"meta\":{\"type\":\"CUSTOM\",\"hints\":{\"\":\"x\"}}}",
      "{\"id\":\"\",\"meta\":{\"type\":\"CUSTOM\"}}",
      "{\"id\":\"a\\u0000b\",\"meta\":{\"type\":\"CUSTOM\"}}",
      "{\"id\":\"\\ud800\",\"meta\":{\"type\":\"CUSTOM\"}}",
      "{\"id\":7,\"meta\":{\"type\":\"CUSTOM\"}}",
      "{\"id\":\"a\"}",
      "{\"id\":\"a\",\"meta\":[]}",
      "[\"a\"]",
      " ",
      "{\"id\":\"a\",\"meta\":{\"type\":\"CUSTOM\"}",
      "[".repeat(5000),
    };
    for (String json : bad) {
      assertThrows(CodecException.class, () -> RecordCodec.decode(MemorySegment.ofArray(recordWithHeader(json, p, 8)), 8), json);
    }
  }

  @Test
  void fuzz_everyByteFlipInPrefixAndHeader_isRefused_andPaddingFlipsChangeNothing() {
    TestSeed.run(random -> {
      for (int alignment : ALIGNMENTS) {
        byte[] payload = new byte[random.nextInt(300)];
        random.nextBytes(payload);
        ArtifactId id = ArtifactId.of("fuzz", Integer.toString(random.nextInt(1_000_000)), "é" + alignment);
        ArtifactMeta meta = ArtifactMeta.builder(ArtifactType.values()[random.nextInt(ArtifactType.values().length)])
            .attribute("n", Long.toString(random.nextLong())).build();
        byte[] valid = RecordCodec.encode(id, meta, MemorySegment.ofArray(payload), alignment).toArray(ValueLayout.JAVA_BYTE);
        Header h = RecordCodec.readHeader(MemorySegment.ofArray(valid));
        int headerEnd = RecordLayout.PREFIX_BYTES + h.headerLength();
        long payloadOffset = h.payloadOffset(alignment);
        for (int pos = 0; pos < valid.length; pos++) {
          if (pos >= payloadOffset && random.nextInt(8) != 0) {
            continue; // a sample of the payload suffices: its checksum covers it
          }
          for (int mask : new int[] {0x01, 0x80, 0xFF, 1 + random.nextInt(255)}) {
            byte[] mutated = valid.clone();
            mutated[pos] ^= (byte) mask;
            String what = "byte " + pos + " ^ 0x" + Integer.toHexString(mask) + " at alignment " + alignment;
            if (pos < headerEnd || pos >= payloadOffset) {
              expectRefused(mutated, alignment, what);
            } else {
              expectSame(mutated, alignment, id, meta, payload, what);
            }
          }
        }
      }
    });
  }

  @Test
  void fuzz_truncationsExtensionsAndGarbage_areRefused() {
    TestSeed.run(random -> {
      for (int round = 0; round < 300; round++) {
        int alignment = ALIGNMENTS[random.nextInt(ALIGNMENTS.length)];
        byte[] payload = new byte[random.nextInt(200)];
        random.nextBytes(payload);
        byte[] valid = RecordCodec.encode(ArtifactId.of("r" + round), ArtifactMeta.custom(), MemorySegment.ofArray(payload), alignment)
            .toArray(ValueLayout.JAVA_BYTE);
        expectRefused(Arrays.copyOf(valid, random.nextInt(valid.length)), alignment, "truncated");
        byte[] longer = Arrays.copyOf(valid, valid.length + 1 + random.nextInt(alignment + 8));
        for (int i = valid.length; i < longer.length; i++) {
          longer[i] = (byte) random.nextInt(256);
        }
        expectRefused(longer, alignment, "extended by " + (longer.length - valid.length));

        byte[] garbage = new byte[random.nextInt(600)];
        random.nextBytes(garbage);
        MemorySegment g = MemorySegment.ofArray(garbage);
        if (garbage.length >= RecordLayout.PREFIX_BYTES && random.nextBoolean()) {
          // plausible magic and lengths, so that decoding gets past the prefix
          g.set(INT_LE, RecordLayout.MAGIC_OFFSET, RecordLayout.MAGIC);
          g.set(INT_LE, RecordLayout.HEADER_LENGTH_OFFSET, 1 + random.nextInt(garbage.length));
          g.set(LONG_LE, RecordLayout.PAYLOAD_LENGTH_OFFSET, random.nextBoolean() ? random.nextInt(600) : random.nextLong());
        }
        expectRefused(garbage, alignment, "garbage of " + garbage.length + " bytes");
      }
    });
  }

  @Test
  void fuzz_headersWithValidChecksums_decodeOrFailWithCodecException() {
    String valid = new String(RecordCodec.headerJson(ID, META), StandardCharsets.UTF_8);
    String alphabet = "{}[]\":,\\u0000 aZ9-.eé\uD83D\uDE00";
    TestSeed.run(random -> {
      for (int i = 0; i < 3000; i++) {
        StringBuilder json = new StringBuilder(valid);
        for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
          int at = random.nextInt(json.length());
          switch (random.nextInt(3)) {
            case 0 -> json.deleteCharAt(at);
            case 1 -> json.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
            default -> json.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
          }
        }
        byte[] payload = {(byte) i, 2, 3};
        byte[] record = recordWithHeader(json.toString(), payload, 8);
        try {
          Record r = RecordCodec.decode(MemorySegment.ofArray(record), 8);
          assertEquals(-1, r.payload().mismatch(MemorySegment.ofArray(payload)), json::toString);
        } catch (CodecException expected) {
          // a header that is not an id and a meta
        } catch (RuntimeException e) {
          throw new AssertionError("header " + json + " threw " + e + " (expected: CodecException)", e);
        }
      }
    });
  }

  private static void expectRefused(byte[] record, int alignment, String what) {
    try {
      Record r = RecordCodec.decode(MemorySegment.ofArray(record), alignment);
      fail(what + " decoded to " + r.header());
    } catch (CodecException expected) {
      // the one allowed outcome
    } catch (RuntimeException e) {
      throw new AssertionError(what + " threw " + e + " (expected: CodecException)", e);
    }
  }

  private static void expectSame(byte[] record, int alignment, ArtifactId id, ArtifactMeta meta, byte[] payload, String what) {
    Record r = RecordCodec.decode(MemorySegment.ofArray(record), alignment);
    assertEquals(id, r.header().id(), what);
    assertEquals(meta, r.header().meta(), what);
    assertEquals(-1, r.payload().mismatch(MemorySegment.ofArray(payload)), what);
  }
}
