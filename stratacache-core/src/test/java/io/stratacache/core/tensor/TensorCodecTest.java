package io.stratacache.core.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.CodecException;
import io.stratacache.core.codec.TestSeed;
import io.stratacache.core.tensor.TensorCodec.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TensorCodecTest {
  private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  static Stream<Arguments> everyDtypeWithAndWithoutHeader() {
    return Arrays.stream(DType.values()).flatMap(t -> Stream.of(Arguments.of(t, false), Arguments.of(t, true)));
  }

  private static MemorySegment randomData(Arena arena, long bytes, Random random) {
    MemorySegment s = arena.allocate(Math.max(1, bytes), 8).asSlice(0, bytes);
    byte[] b = new byte[(int) bytes];
    random.nextBytes(b);
    MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
    return s;
  }

  @ParameterizedTest
  @MethodSource("everyDtypeWithAndWithoutHeader")
  void roundTrip_everyDtype_decodesToASliceOfThePayload(DType dtype, boolean header) {
    TensorCodec codec = TensorCodec.of(header);
    long[] shape = {3, 2, 5};
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment data = randomData(arena, 30L * dtype.byteSize(), new Random(dtype.ordinal()));
      MemorySegment payload = codec.encode(data, arena, dtype, shape);
      ArtifactMeta meta = ArtifactMeta.fromJson(codec.meta(ArtifactType.KV_BLOCKS, dtype, shape).toJson());

      Tensor t = TensorCodec.decode(meta, payload);

      assertEquals(dtype, t.dtype());
      assertArrayEquals(shape, t.shape());
      assertEquals(30, t.elementCount());
      assertEquals(-1, t.data().mismatch(data));
      assertEquals(codec.encodedSize(dtype, shape), payload.byteSize());
      assertEquals(payload.address() + payload.byteSize() - data.byteSize(), t.data().address(), "a slice, not a copy");
      assertEquals(header, payload.byteSize() > data.byteSize());
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void scalarsAndEmptyTensors_roundTrip(boolean header) {
    TensorCodec codec = TensorCodec.of(header);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment one = randomData(arena, 8, new Random(1));
      Tensor scalar = TensorCodec.decode(codec.meta(ArtifactType.CUSTOM, DType.F64), codec.encode(one, arena, DType.F64));
      assertArrayEquals(new long[0], scalar.shape());
      assertEquals(1, scalar.elementCount());
      assertEquals(-1, scalar.data().mismatch(one));

      MemorySegment none = MemorySegment.ofArray(new byte[0]);
      Tensor empty = TensorCodec.decode(codec.meta(ArtifactType.CUSTOM, DType.I32, 0, 4), codec.encode(none, arena, DType.I32, 0, 4));
      assertArrayEquals(new long[] {0, 4}, empty.shape());
      assertEquals(0, empty.data().byteSize());
    }
  }

  @Test
  void header_isASafetensorsFileOfOneTensor() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment data = randomData(arena, 12, new Random(2));
      MemorySegment payload = TensorCodec.WITH_HEADER.encode(data, arena, DType.BF16, 2, 3);
      long n = payload.get(LONG_LE, 0);
      String json = new String(payload.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
      String expected = "{\"tensor\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]}}";
      assertEquals(expected + " ".repeat((int) n - expected.length()), json);
      assertEquals(0, n % SafetensorsLayout.ALIGNMENT);
      assertTrue(n - expected.length() < SafetensorsLayout.ALIGNMENT);
      assertEquals(8 + n + 12, payload.byteSize());
      assertEquals(-1, payload.asSlice(8 + n).mismatch(data));
    }
  }

  @Test
  void meta_namesCodecDtypeAndShape() {
    ArtifactMeta raw = TensorCodec.RAW.meta(ArtifactType.KV_BLOCKS, DType.BF16, 32, 2, 256, 8, 128);
    assertEquals(Map.of("tensor_codec", "stable", "tensor_dtype", "BF16", "tensor_shape", "[32,2,256,8,128]"), raw.attributes());
    assertEquals(ArtifactType.KV_BLOCKS, raw.type());
    ArtifactMeta withHeader = TensorCodec.WITH_HEADER.meta(ArtifactType.PARAM_CHUNK, DType.F8_E4M3, 7);
    assertEquals(Map.of("tensor_codec", "stable", "tensor_dtype", "F8_E4M3", "tensor_shape", "[7]", "tensor_header_in_payload", "true"),
        withHeader.attributes());

    ArtifactMeta described = TensorCodec.RAW.describe(
        ArtifactMeta.builder(ArtifactType.KV_BLOCKS).hint(ArtifactMeta.HINT_PROMOTE, "false").attribute("layer", "3"),
        DType.F16, 4).build();
    assertEquals("3", described.attribute("layer"));
    assertEquals("[4]", described.attribute(TensorCodec.ATTR_SHAPE));
    assertEquals("false", described.hint(ArtifactMeta.HINT_PROMOTE));
  }

  @Test
  void dtypes_haveTheirSizesAndSafetensorsNames() {
    Map<String, Integer> expected = Map.ofEntries(
        Map.entry("F32", 4), Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("F8_E4M3", 1), Map.entry("F8_E5M2", 1),
        Map.entry("F64", 8), Map.entry("I8", 1), Map.entry("U8", 1), Map.entry("I16", 2), Map.entry("I32", 4),
        Map.entry("I64", 8), Map.entry("BOOL", 1));
    assertEquals(expected.size(), DType.values().length);
    for (DType t : DType.values()) {
      assertEquals(expected.get(t.safetensorsName()), t.byteSize(), t.name());
      assertSame(t, DType.forName(t.safetensorsName().toLowerCase(java.util.Locale.ROOT)));
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DType.forName("F128"));
    assertEquals("dtype \"F128\" (expected: one of [F32, F16, BF16, F8_E4M3, F8_E5M2, F64, I8, U8, I16, I32, I64, BOOL])",
        e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void writeHeader_returnsTheSliceToFillInPlace(boolean header) {
    TensorCodec codec = TensorCodec.of(header);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment reserved = arena.allocate(codec.encodedSize(DType.I16, 4, 4), 64);
      MemorySegment slot = codec.writeHeader(reserved, DType.I16, 4, 4);
      assertEquals(32, slot.byteSize());
      assertEquals(reserved.address() + reserved.byteSize() - 32, slot.address());
      for (int i = 0; i < 16; i++) {
        slot.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (i * 3));
      }
      Tensor t = TensorCodec.decode(codec.meta(ArtifactType.KV_BLOCKS, DType.I16, 4, 4), reserved);
      for (int i = 0; i < 16; i++) {
        assertEquals(i * 3, t.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
      }
      if (!header) {
        assertSame(reserved, slot);
      }
      MemorySegment tooBig = arena.allocate(reserved.byteSize() + 1);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> codec.writeHeader(tooBig, DType.I16, 4, 4));
      assertEquals("destination: " + tooBig.byteSize() + " bytes (expected: " + reserved.byteSize() + " for I16 [4,4]"
          + (header ? " with its header)" : ")"), e.getMessage());
    }
  }

  @Test
  void encodeInto_writesTheSameBytesAsEncode() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment data = randomData(arena, 24, new Random(3));
      MemorySegment dst = arena.allocate(TensorCodec.WITH_HEADER.encodedSize(DType.F32, 2, 3));
      TensorCodec.WITH_HEADER.encodeInto(data, dst, DType.F32, 2, 3);
      assertEquals(-1, dst.mismatch(TensorCodec.WITH_HEADER.encode(data, arena, DType.F32, 2, 3)));
    }
  }

  @Test
  void encode_refusesInconsistentArguments() {
    MemorySegment data = MemorySegment.ofArray(new byte[10]);
    assertEquals("data: 10 bytes (expected: 12 for F32 [3])",
        assertThrows(IllegalArgumentException.class, () -> TensorCodec.RAW.encode(data, Arena.ofAuto(), DType.F32, 3)).getMessage());
    assertEquals("shape [2,-1] (expected: dimensions of 0 or more)",
        assertThrows(IllegalArgumentException.class, () -> TensorCodec.dataSize(DType.U8, 2, -1)).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TensorCodec.RAW.meta(ArtifactType.CUSTOM, DType.I64, 1L << 62, 4))
        .getMessage().startsWith("shape [4611686018427387904,4] of I64 (expected: at most 9223372036854775807 bytes)"));
  }

  @Test
  void shapeText_roundTripsAndRefusesMalformedText() {
    assertEquals("[32,2,256,8,128]", TensorCodec.formatShape(32, 2, 256, 8, 128));
    assertArrayEquals(new long[] {32, 2, 256}, TensorCodec.parseShape(" [32, 2 ,256] "));
    assertArrayEquals(new long[0], TensorCodec.parseShape("[ ]"));
    assertArrayEquals(new long[] {32, 2, 256}, TensorCodec.parseShape("32, 2,256"));
    assertArrayEquals(new long[] {7}, TensorCodec.parseShape("7"));
    for (String bad : new String[] {"", " ", "[", "]", "[32,2", "32,2]", "[1,,2]", "[1,]", "[-1]", "[+1]", "[a]", "[1.5]", "[99999999999999999999]", "[١]"}) {
      CodecException e = assertThrows(CodecException.class, () -> TensorCodec.parseShape(bad), bad);
      assertTrue(e.getMessage().startsWith("tensor: shape \"" + bad + "\""), e.getMessage());
    }
  }

  // ---- decode: meta and sizes

  private static ArtifactMeta meta(Map<String, String> attrs) {
    ArtifactMeta.Builder b = ArtifactMeta.builder(ArtifactType.KV_BLOCKS);
    attrs.forEach(b::attribute);
    return b.build();
  }

  private static void assertDecodeError(ArtifactMeta meta, MemorySegment payload, String message) {
    CodecException e = assertThrows(CodecException.class, () -> TensorCodec.decode(meta, payload));
    assertEquals(message, e.getMessage());
  }

  @Test
  void decode_refusesMetaThatIsNotAStableTensors() {
    MemorySegment p = MemorySegment.ofArray(new byte[4]);
    assertDecodeError(meta(Map.of()), p, "tensor: meta tensor_codec = null (expected: \"stable\")");
    assertDecodeError(meta(Map.of("tensor_codec", "pickle")), p, "tensor: meta tensor_codec = \"pickle\" (expected: \"stable\")");
    assertDecodeError(meta(Map.of("tensor_codec", "stable", "tensor_shape", "[4]")), p,
        "tensor: meta has no tensor_dtype (expected: one of [F32, F16, BF16, F8_E4M3, F8_E5M2, F64, I8, U8, I16, I32, I64, BOOL])");
    assertDecodeError(meta(Map.of("tensor_codec", "stable", "tensor_dtype", "Q4", "tensor_shape", "[4]")), p,
        "tensor: meta tensor_dtype: dtype \"Q4\" (expected: one of [F32, F16, BF16, F8_E4M3, F8_E5M2, F64, I8, U8, I16, I32, I64, BOOL])");
    assertDecodeError(meta(Map.of("tensor_codec", "stable", "tensor_dtype", "U8")), p,
        "tensor: meta has no tensor_shape (expected: e.g. [32,2,256,8,128])");
    assertDecodeError(meta(Map.of("tensor_codec", "stable", "tensor_dtype", "U8", "tensor_shape", "[2;2]")), p,
        "tensor: shape \"[2;2]\" has dimension 0 = \"2;2\" (expected: a whole number, 0 or more)");
    assertDecodeError(meta(Map.of("tensor_codec", "stable", "tensor_dtype", "I64", "tensor_shape", "[9223372036854775807,2]")), p,
        "tensor: shape [9223372036854775807,2] of I64 (expected: at most 9223372036854775807 bytes)");
    assertDecodeError(meta(Map.of("tensor_codec", "stable", "tensor_dtype", "U8", "tensor_shape", "[4]", "tensor_header_in_payload", "yes")),
        p, "tensor: meta tensor_header_in_payload = \"yes\" (expected: true or false)");
  }

  @Test
  void decode_readsTheMetaTheAdaptersWrite() {
    // labels and bare shapes, as earlier versions of the adapters wrote them
    ArtifactMeta kv = meta(Map.of("tensor_codec", "stable", "tensor_dtype", "bf16", "tensor_shape", "2,3", "kv_tokens", "3"));
    Tensor t = TensorCodec.decode(kv, MemorySegment.ofArray(new byte[12]));
    assertEquals(DType.BF16, t.dtype());
    assertArrayEquals(new long[] {2, 3}, t.shape());
    for (String label : new String[] {"fp16", "FP32", "fp8_e4m3", "fp8_e5m2", "fp64"}) {
      assertEquals("F" + label.toUpperCase(java.util.Locale.ROOT).substring(2), DType.forName(label).name());
    }
    assertThrows(IllegalArgumentException.class, () -> DType.forName("fp8"));
    assertThrows(IllegalArgumentException.class, () -> DType.forName("fpbool"));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 11, 13, 24})
  void decode_rawPayloadOfTheWrongSize_isRefused(int size) {
    assertDecodeError(TensorCodec.RAW.meta(ArtifactType.KV_BLOCKS, DType.F16, 2, 3), MemorySegment.ofArray(new byte[size]),
        "tensor: payload of " + size + " bytes (expected: 12 for F16 [2,3])");
  }

  // ---- decode: in-payload headers

  private static final ArtifactMeta BF16_2x3 = TensorCodec.WITH_HEADER.meta(ArtifactType.KV_BLOCKS, DType.BF16, 2, 3);

  /** A payload with header length {@code n}, header text {@code json} and {@code dataBytes} zero bytes. */
  private static MemorySegment payload(long n, String json, int dataBytes) {
    byte[] j = json.getBytes(StandardCharsets.UTF_8);
    MemorySegment s = MemorySegment.ofArray(new byte[8 + j.length + dataBytes]);
    s.set(LONG_LE, 0, n);
    MemorySegment.copy(j, 0, s, ValueLayout.JAVA_BYTE, 8, j.length);
    return s;
  }

  private static MemorySegment payload(String json, int dataBytes) {
    return payload(json.getBytes(StandardCharsets.UTF_8).length, json, dataBytes);
  }

  private static String tensorJson(String dtype, String shape, String offsets) {
    return "{\"tensor\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}";
  }

  private static final String GOOD = tensorJson("\"BF16\"", "[2,3]", "[0,12]");

  @Test
  void decode_acceptsForeignButValidHeaders() {
    // unpadded, with __metadata__, keys in another order, spaces
    Tensor t = TensorCodec.decode(BF16_2x3, payload(GOOD, 12));
    assertEquals(12, t.data().byteSize());
    String other = "{ \"__metadata__\": {\"format\": \"pt\"}, \"tensor\": {\"data_offsets\": [0, 12], \"shape\": [2, 3], \"dtype\": \"BF16\"} }\n";
    assertEquals(8 + other.length(), TensorCodec.decode(BF16_2x3, payload(other, 12)).data().address(), "heap segments count addresses from the array start");
  }

  @Test
  void decode_refusesBadHeaderLengths() {
    assertDecodeError(BF16_2x3, MemorySegment.ofArray(new byte[7]), "tensor: 7 bytes (expected: at least 8 for the header length)");
    assertDecodeError(BF16_2x3, payload(0, GOOD, 12), "tensor: header length 0 (expected: 2 to 100000000, the header size limit)");
    assertDecodeError(BF16_2x3, payload(-1, GOOD, 12),
        "tensor: header length 18446744073709551615 (expected: 2 to 100000000, the header size limit)");
    assertDecodeError(BF16_2x3, payload(GOOD.length() + 13, GOOD, 12),
        "tensor: header length " + (GOOD.length() + 13) + " runs past the end (expected: at most " + (GOOD.length() + 12)
            + ", the bytes after the length)");
    // a length that takes in data bytes, or leaves header bytes out
    assertThrows(CodecException.class, () -> TensorCodec.decode(BF16_2x3, payload(GOOD.length() + 1, GOOD, 12)));
    assertThrows(CodecException.class, () -> TensorCodec.decode(BF16_2x3, payload(GOOD.length() - 1, GOOD, 12)));
  }

  @Test
  void decode_headerSizeLimit_isTheSafetensorsOne() {
    long limit = SafetensorsLayout.MAX_HEADER_BYTES;
    assertEquals(100_000_000L, limit);
    // one past the limit is refused as over the limit, whatever the payload's size ...
    assertDecodeError(BF16_2x3, payload(limit + 1, GOOD, 12),
        "tensor: header length 100000001 (expected: 2 to 100000000, the header size limit)");
    // ... while the limit itself passes that check and is refused only for running past the end
    assertDecodeError(BF16_2x3, payload(limit, GOOD, 12),
        "tensor: header length 100000000 runs past the end (expected: at most " + (GOOD.length() + 12) + ", the bytes after the length)");
  }

  @Test
  void decode_duplicateKeys_areRefusedNamingTheKey() {
    assertDecodeError(BF16_2x3, payload("{\"tensor\":{},\"tensor\":" + GOOD.substring(10), 12),
        "tensor: header key \"tensor\" appears twice (expected: each key once)");
    assertDecodeError(BF16_2x3, payload(GOOD.replace("\"shape\"", "\"dtype\":\"BF16\",\"shape\""), 12),
        "tensor: header key \"tensor.dtype\" appears twice (expected: each key once)");
    assertDecodeError(BF16_2x3, payload("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}," + GOOD.substring(1), 12),
        "tensor: header key \"__metadata__.a\" appears twice (expected: each key once)");
  }

  @Test
  void decode_refusesHeadersThatAreNotTheTensorsJson() {
    assertTrue(assertThrows(CodecException.class, () -> TensorCodec.decode(BF16_2x3, payload("hello!!!", 12)))
        .getMessage().startsWith("tensor: header is not valid JSON: "));
    assertTrue(assertThrows(CodecException.class, () -> TensorCodec.decode(BF16_2x3, payload(GOOD + " x", 12)))
        .getMessage().startsWith("tensor: header is not valid JSON: "));
    assertDecodeError(BF16_2x3, payload(GOOD + " {}", 12), "tensor: header has { after its object (expected: one JSON object)");
    assertDecodeError(BF16_2x3, payload("[1,2]   ", 12), "tensor: header is [ (expected: a JSON object)");
    assertDecodeError(BF16_2x3, payload("{\"__metadata__\":{}}", 12),
        "tensor: header tensors [] (expected: exactly one, \"tensor\")");
    assertDecodeError(BF16_2x3, payload("{\"tensor\":5}", 12),
        "tensor: tensor tensor is NUMBER (expected: {dtype, shape, data_offsets})");
    assertDecodeError(BF16_2x3, payload(GOOD.substring(0, GOOD.length() - 1) + ",\"weights\":" + GOOD.substring(10), 12),
        "tensor: tensor weights BF16[2, 3] @[0, 12) overlaps tensor BF16[2, 3] @[0, 12) (expected: disjoint byte ranges)");
    assertDecodeError(BF16_2x3, payload(GOOD.replace("}}", ",\"scale\":1}}"), 12),
        "tensor: tensor tensor: key \"scale\" (expected: only dtype, shape and data_offsets)");
  }

  @Test
  void decode_refusesHeadersThatDisagreeWithTheMeta() {
    assertDecodeError(BF16_2x3, payload(tensorJson("\"F16\"", "[2,3]", "[0,12]"), 12),
        "tensor: header dtype \"F16\" (expected: \"BF16\" as in the meta)");
    assertDecodeError(BF16_2x3, payload(tensorJson("\"bf16\"", "[2,3]", "[0,12]"), 12),
        "tensor: tensor tensor: dtype \"bf16\" (expected: one of [F32, F16, BF16, F8_E4M3, F8_E5M2, F64, I8, U8, I16, I32, I64, BOOL])");
    assertDecodeError(BF16_2x3, payload(tensorJson("16", "[2,3]", "[0,12]"), 12),
        "tensor: tensor tensor: dtype 16 (expected: a string)");
    assertDecodeError(BF16_2x3, payload(tensorJson("\"BF16\"", "[3,2]", "[0,12]"), 12),
        "tensor: header shape [3,2] (expected: [2,3] as in the meta)");
    assertDecodeError(BF16_2x3, payload(tensorJson("\"BF16\"", "\"2x3\"", "[0,12]"), 12),
        "tensor: tensor tensor: shape \"2x3\" (expected: an array of whole numbers, 0 or more)");
    assertDecodeError(BF16_2x3, payload(tensorJson("\"BF16\"", "[2,-3]", "[0,12]"), 12),
        "tensor: tensor tensor: shape [2,-3] (expected: whole numbers, 0 or more)");
    assertDecodeError(BF16_2x3, payload(tensorJson("\"BF16\"", "[2,3.0]", "[0,12]"), 12),
        "tensor: tensor tensor: shape [2,3.0] (expected: whole numbers, 0 or more)");
    assertDecodeError(BF16_2x3, payload(tensorJson("\"BF16\"", "[2,3]", "[1,12]"), 12),
        "tensor: tensor tensor: data_offsets [1, 12] for BF16 [2, 3] (expected: 12 bytes from an offset >= 0)");
    assertDecodeError(BF16_2x3, payload(tensorJson("\"BF16\"", "[2,3]", "[0,11]"), 12),
        "tensor: tensor tensor: data_offsets [0, 11] for BF16 [2, 3] (expected: 12 bytes from an offset >= 0)");
    assertDecodeError(BF16_2x3, payload(tensorJson("\"BF16\"", "[2,3]", "[0]"), 12),
        "tensor: tensor tensor: data_offsets [0] (expected: [begin, end])");
    assertDecodeError(BF16_2x3, payload(GOOD, 13),
        "tensor: header data_offsets [0,12] with 13 bytes after the header (expected: [0,12] and 12 bytes for BF16 [2,3])");
    assertDecodeError(BF16_2x3, payload(GOOD, 11),
        "tensor: tensor tensor: data_offsets [0, 12] (expected: within the 11 data bytes)");
    assertDecodeError(BF16_2x3, payload(tensorJson("\"BF16\"", "[2,3]", "[0,99999999999999999999]"), 12),
        "tensor: tensor tensor: data_offsets [0,99999999999999999999] (expected: whole numbers, 0 or more)");
  }

  @Test
  void fuzz_everyBitFlipInTheHeader_andEveryTruncationOrExtension_isRefused() {
    TestSeed.run(random -> {
      try (Arena arena = Arena.ofConfined()) {
        for (DType dtype : DType.values()) {
          long[] shape = new long[random.nextInt(5)];
          for (int i = 0; i < shape.length; i++) {
            shape[i] = 1 + random.nextInt(6);
          }
          MemorySegment data = randomData(arena, TensorCodec.dataSize(dtype, shape), random);
          for (TensorCodec codec : new TensorCodec[] {TensorCodec.RAW, TensorCodec.WITH_HEADER}) {
            ArtifactMeta meta = codec.meta(ArtifactType.KV_BLOCKS, dtype, shape);
            MemorySegment valid = codec.encode(data, arena, dtype, shape);
            long headerEnd = valid.byteSize() - data.byteSize();
            byte[] bytes = valid.toArray(ValueLayout.JAVA_BYTE);
            for (int pos = 0; pos < headerEnd; pos++) {
              for (int bit = 0; bit < 8; bit++) {
                byte[] flipped = bytes.clone();
                flipped[pos] ^= (byte) (1 << bit);
                expectRefused(meta, MemorySegment.ofArray(flipped), "bit " + bit + " of byte " + pos + " of " + dtype);
              }
            }
            for (int i = 0; i < 8; i++) {
              int cut = random.nextInt(bytes.length + 1);
              if (cut < bytes.length) {
                expectRefused(meta, MemorySegment.ofArray(Arrays.copyOf(bytes, cut)), "truncated to " + cut);
              }
              byte[] longer = Arrays.copyOf(bytes, bytes.length + 1 + random.nextInt(16));
              expectRefused(meta, MemorySegment.ofArray(longer), "extended to " + longer.length);
            }
          }
        }
      }
    });
  }

  @Test
  void fuzz_randomGarbage_isRefusedWithACodecException() {
    TestSeed.run(random -> {
      for (int i = 0; i < 2000; i++) {
        byte[] garbage = new byte[random.nextInt(200)];
        random.nextBytes(garbage);
        if (garbage.length >= 8 && random.nextBoolean()) {
          // a plausible header length, so that the JSON reader sees the garbage
          MemorySegment.ofArray(garbage).set(LONG_LE, 0, random.nextInt(garbage.length - 7));
        }
        expectRefused(BF16_2x3, MemorySegment.ofArray(garbage), "garbage " + Arrays.toString(garbage));
      }
    });
  }

  private static void expectRefused(ArtifactMeta meta, MemorySegment payload, String what) {
    try {
      Tensor t = TensorCodec.decode(meta, payload);
      fail(what + " decoded to " + t);
    } catch (CodecException expected) {
      // the one allowed outcome
    } catch (RuntimeException e) {
      throw new AssertionError(what + " threw " + e + " (expected: CodecException)", e);
    }
  }
}
