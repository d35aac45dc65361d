package io.stratacache.params;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactNotFoundException;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.CodecException;
import io.stratacache.core.tensor.TensorCodec;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ParamClientTest {
  static final long SEED = Long.getLong("tests.seed", 7L);
  static final String REPRO = " (reproduce with -Dtests.seed=" + SEED + ")";

  private final Arena arena = Arena.ofShared();
  private StorageEngine engine;
  private ParamClient client;

  @BeforeEach
  void open() {
    engine = StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", "1MiB"))
        .tier("warm", "cpu", Map.of("capacity", "16MiB"))
        .link("hot", "warm", LinkMode.WRITE_THROUGH)
        .build();
    client = new ParamClient(engine);
  }

  @AfterEach
  void close() {
    engine.close();
    arena.close();
  }

  static MemorySegment random(Arena arena, long bytes, long salt) {
    MemorySegment s = arena.allocate(bytes, 64);
    SplittableRandom r = new SplittableRandom(SEED + salt);
    for (long i = 0; i < bytes; i++) {
      s.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
    }
    return s;
  }

  /**
   * Puts {@code layers} layers of tensors of {@code tensorBytes} each (random bytes, chunks of
   * 16 KiB), adding each layer's tensors to {@code order} and their bytes to {@code originals}.
   */
  static void putLayers(ParamClient client, Arena arena, int layers, long[] tensorBytes,
      List<List<ParamTensor>> order, List<List<MemorySegment>> originals) {
    for (int l = 0; l < layers; l++) {
      List<ParamTensor> group = new ArrayList<>();
      List<MemorySegment> bytes = new ArrayList<>();
      for (int t = 0; t < tensorBytes.length; t++) {
        MemorySegment b = random(arena, tensorBytes[t], l * 10L + t);
        group.add(client.putTensor(new ParamKey("m", "r", l, "u" + t, "F32", 0), new long[] {tensorBytes[t] / 4}, b, 16384));
        bytes.add(b);
      }
      order.add(group);
      originals.add(bytes);
    }
  }

  private static final ParamKey KEY = new ParamKey("m", "r1", 0, "mlp.up_proj.weight", "F32", 0);

  @Test
  void putChunk_getChunk_hasChunk_roundTrip() {
    MemorySegment bytes = random(arena, 4096, 1);
    assertFalse(client.hasChunk(KEY));
    client.putChunk(KEY, new long[] {32, 32}, bytes);
    assertTrue(client.hasChunk(KEY));
    assertEquals("hot", client.tierOf(KEY));
    try (Lease l = client.getChunk(KEY)) {
      assertEquals(-1, l.segment().mismatch(bytes), REPRO);
      assertEquals(ArtifactType.PARAM_CHUNK, l.meta().type());
      assertEquals("[32,32]", l.meta().attribute(TensorCodec.ATTR_SHAPE));
      assertEquals("F32", l.meta().attribute(TensorCodec.ATTR_DTYPE));
      assertEquals("stable", l.meta().attribute(TensorCodec.ATTR_CODEC));
      assertEquals("m/r1/0/mlp.up_proj.weight", l.meta().attribute(ParamClient.NAME));
    }
    MemorySegment dst = arena.allocate(4096);
    assertEquals(4096, client.getChunkInto(KEY, dst));
    assertEquals(-1, dst.mismatch(bytes));
    assertThrows(IllegalArgumentException.class, () -> client.getChunkInto(KEY, arena.allocate(100)));
    assertTrue(client.deleteChunk(KEY));
    assertFalse(client.hasChunk(KEY));
    assertNull(client.tierOf(KEY));
  }

  @Test
  void getChunk_missing_throwsNamingTheId() {
    ArtifactNotFoundException e = assertThrows(ArtifactNotFoundException.class, () -> client.getChunk(KEY));
    assertEquals(KEY.id(), e.id());
  }

  @Test
  void getChunk_refusesAnArtifactThatIsNotThatParameter() {
    engine.store(KEY.id(), ArtifactMeta.of(ArtifactType.KV_BLOCKS), random(arena, 64, 2));
    assertTrue(assertThrows(CodecException.class, () -> client.getChunk(KEY)).getMessage().contains("type KV_BLOCKS"));
    ParamKey bf16 = new ParamKey("m", "r1", 0, "u", "BF16", 0);
    client.putChunk(bf16, new long[] {32}, random(arena, 64, 3));
    // Another tensor's bytes stored under this key claim another dtype: refused.
    ArtifactMeta bf16Meta;
    try (Lease l = engine.load(bf16.id())) {
      bf16Meta = l.meta();
    }
    engine.store(KEY.id(), bf16Meta, random(arena, 64, 4));
    assertTrue(assertThrows(CodecException.class, () -> client.getChunkInto(KEY, arena.allocate(64))).getMessage().contains("tensor_dtype BF16 in tier hot (expected: F32)"));
    assertEquals(0, engine.stats().tier("hot").openLeases(), "refused leases are closed");
  }

  @Test
  void putTensor_splitsIntoChunksThatSpillToTheLowerTier() {
    long size = 3 * 1024 * 1024 + 100;   // larger than the hot tier: chunks spill to warm
    MemorySegment bytes = random(arena, size, 5);
    ParamTensor t = client.putTensor(KEY, new long[] {size / 4}, bytes, 256 * 1024);
    assertEquals(13, t.chunks().size());
    assertEquals(ParamTensor.of(KEY, size, 256 * 1024), t);
    for (ParamKey k : t.chunks()) {
      assertTrue(client.hasChunk(k), k.id().value());
    }
    assertEquals("warm", client.tierOf(t.chunks().getFirst()), "the head tier could not keep every chunk");
    MemorySegment back = arena.allocate(size);
    client.getTensorInto(t, back);
    assertEquals(-1, back.mismatch(bytes), REPRO);

    client.deleteChunk(t.chunks().get(7));
    assertThrows(ArtifactNotFoundException.class, () -> client.getTensorInto(t, back));
    assertThrows(IllegalArgumentException.class, () -> client.putTensor(KEY, new long[] {1}, bytes, 100));
  }

  @Test
  void chunks_carryTheOneTensorMetaForm_andDecodeAsTensors() {
    long size = 64 * 1024 + 64;
    MemorySegment bytes = random(arena, size, 6);
    ParamTensor t = client.putTensor(KEY, new long[] {size / 4 / 16, 16}, bytes, 32 * 1024);
    long[] chunkBytes = {32 * 1024, 32 * 1024, 64};
    for (int i = 0; i < t.chunks().size(); i++) {
      try (Lease l = client.getChunk(t.chunks().get(i))) {
        assertEquals("[" + chunkBytes[i] / 4 + "]", l.meta().attribute(TensorCodec.ATTR_SHAPE), "chunk " + i);
        assertEquals("[" + size / 4 / 16 + ",16]", l.meta().attribute(ParamClient.TENSOR_SHAPE), "chunk " + i);
        assertEquals(i * 32 * 1024 + ":" + size, l.meta().attribute(ParamClient.RANGE));
        TensorCodec.Tensor tensor = TensorCodec.decode(l.meta(), l.segment());
        assertEquals(io.stratacache.core.tensor.DType.F32, tensor.dtype());
        assertEquals(chunkBytes[i], tensor.data().byteSize());
      }
    }
  }

  @Test
  void put_refusesBytesThatDisagreeWithShapeAndDtype_andStoresNothing() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> client.putChunk(KEY, new long[] {32, 31}, random(arena, 4096, 7)));
    assertEquals("bytes: 4096 for " + KEY.id() + " (expected: 3968 for F32 [32,31])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> client.putTensor(KEY, new long[] {10}, random(arena, 64, 8), 64));
    assertEquals("bytes: 64 for " + KEY.id() + " (expected: 40 for F32 [10])", e.getMessage());
    assertFalse(client.hasChunk(KEY));
    assertEquals("key", assertThrows(NullPointerException.class, () -> client.putChunk(null, new long[] {1}, random(arena, 4, 9))).getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new ParamKey("m", "r", 0, "u", "Q4", 0));
    assertTrue(e.getMessage().startsWith("dtype: dtype \"Q4\" (expected: one of [F32,"), e.getMessage());
  }
}
