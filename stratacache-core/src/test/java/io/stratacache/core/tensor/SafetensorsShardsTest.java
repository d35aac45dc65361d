package io.stratacache.core.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.CodecException;
import io.stratacache.core.StrataCacheException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsShardsTest {
  @TempDir Path dir;

  private void shard(String file, String... names) {
    try (Arena arena = Arena.ofConfined()) {
      SafetensorsWriter w = new SafetensorsWriter();
      for (int i = 0; i < names.length; i++) {
        MemorySegment s = arena.allocate(8, 8);
        s.setAtIndex(ValueLayout.JAVA_FLOAT, 0, i + 1f);
        s.setAtIndex(ValueLayout.JAVA_FLOAT, 1, -(i + 1f));
        w.add(names[i], DType.F32, new long[] {2}, s);
      }
      w.write(dir.resolve(file));
    }
  }

  private void index(String weightMap) throws IOException {
    Files.writeString(dir.resolve(SafetensorsShards.INDEX_FILE), "{\"metadata\":{\"total_size\":24},\"weight_map\":{" + weightMap + "}}");
  }

  @Test
  void index_joinsTheShardsIntoOneSetOfTensors() throws IOException {
    shard("a.safetensors", "x", "y");
    shard("b.safetensors", "z");
    index("\"x\":\"a.safetensors\",\"y\":\"a.safetensors\",\"z\":\"b.safetensors\"");
    try (SafetensorsShards s = SafetensorsShards.open(dir)) {
      assertEquals(List.of("x", "y", "z"), List.copyOf(s.names()));
      assertEquals(2, s.files().size());
      assertEquals(dir.resolve("b.safetensors"), s.file("z").path());
      assertEquals(1f, s.bytes("z").getAtIndex(ValueLayout.JAVA_FLOAT, 0));
      assertEquals(-2f, s.bytes("y").getAtIndex(ValueLayout.JAVA_FLOAT, 1));
      CodecException e = assertThrows(CodecException.class, () -> s.entry("w"));
      assertTrue(e.getMessage().contains("no tensor w (the weights have 3 tensors in 2 shards)"), e.getMessage());
    }
  }

  @Test
  void singleFile_isReadWithoutAnIndex() {
    shard(SafetensorsShards.SINGLE_FILE, "x");
    try (SafetensorsShards s = SafetensorsShards.open(dir)) {
      assertEquals(List.of("x"), List.copyOf(s.names()));
    }
  }

  @Test
  void neitherFile_namesWhatWasLookedFor() {
    StrataCacheException e = assertThrows(StrataCacheException.class, () -> SafetensorsShards.open(dir));
    assertTrue(e.getMessage().contains("looked for model.safetensors and, for a sharded checkpoint, model.safetensors.index.json"),
        e.getMessage());
  }

  @Test
  void inconsistentIndexes_areRefusedNamingTheProblem() throws IOException {
    shard("a.safetensors", "x", "y");
    index("\"x\":\"a.safetensors\"");
    assertMessage("shard a.safetensors holds tensor y, which weight_map does not list");
    index("\"x\":\"a.safetensors\",\"y\":\"a.safetensors\",\"z\":\"a.safetensors\"");
    assertMessage("tensor z is mapped to a.safetensors, which does not hold it");
    index("\"x\":\"../a.safetensors\"");
    assertMessage("weight_map names shard \"../a.safetensors\"");
    index("\"x\":\"a.safetensors\",\"y\":\"c.safetensors\"");
    assertMessage("shard c.safetensors is missing");
    Files.writeString(dir.resolve(SafetensorsShards.INDEX_FILE), "{\"metadata\":{}}");
    assertMessage("weight_map: null (expected: an object mapping tensor names to shard files)");
  }

  private void assertMessage(String fragment) {
    CodecException e = assertThrows(CodecException.class, () -> SafetensorsShards.open(dir).close());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }
}
