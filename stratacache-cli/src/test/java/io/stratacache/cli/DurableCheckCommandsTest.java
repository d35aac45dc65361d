package io.stratacache.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code fsck} and {@code repair} through the command line on real SSD and CXL tiers whose stored
 * bytes were damaged on disk: fsck reports the damage and changes nothing, repair quarantines it,
 * a second repair finds nothing, and every undamaged artifact is still served.
 */
class DurableCheckCommandsTest {
  private static final int SIZE = 20 * 1024;
  private static final List<String> IDS = List.of("kv/a", "kv/b", "kv/c");

  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    out.reset();
    err.reset();
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        Map.of());
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private LayerSpec spec(String provider) {
    return LayerSpec.of("store", provider, Map.of("path", dir.resolve(provider).toString(), "capacity", "4MiB"));
  }

  /** The byte artifact {@code i} of {@link #IDS} is filled with. */
  private static byte pattern(int i) {
    return (byte) (0x51 + i * 0x11);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ssd", "cxl"})
  void fsckReportsDamage_repairQuarantinesIt_andASecondRepairFindsNothing(String provider) throws IOException {
    try (MemoryLayer layer = LayerProviders.forName(provider).open(spec(provider)); Arena arena = Arena.ofConfined()) {
      for (int i = 0; i < IDS.size(); i++) {
        MemorySegment payload = arena.allocate(SIZE);
        payload.fill(pattern(i));
        layer.put(ArtifactId.of(IDS.get(i)), ArtifactMeta.of(ArtifactType.KV_BLOCKS), payload);
      }
    }
    Path config = Files.writeString(dir.resolve("plane.yaml"), """
        tiers:
          - {name: hot, provider: cpu, capacity: 16MiB}
          - {name: store, provider: %s, path: "%s", capacity: 4MiB}
        """.formatted(provider, dir.resolve(provider)));

    assertEquals(Main.OK, run("-c", config.toString(), "fsck"), out() + err);
    assertTrue(out().endsWith("fsck: clean\n"), out());

    flipOneByteOf(pattern(1), dir.resolve(provider));
    assertEquals(Main.DAMAGED, run("-c", config.toString(), "fsck"), out() + err);
    assertTrue(out().contains(" 1 corrupt"), out());
    assertEquals(Main.DAMAGED, run("-c", config.toString(), "fsck"), "fsck changes nothing: " + out() + err);

    assertEquals(Main.OK, run("-c", config.toString(), "repair"), out() + err);
    assertTrue(out().endsWith("repair: done; run fsck to confirm\n"), out());
    assertEquals(Main.OK, run("-c", config.toString(), "repair"), out() + err);
    assertTrue(out().endsWith("repair: nothing to repair\n"), out());
    assertEquals(Main.OK, run("-c", config.toString(), "fsck"), out() + err);

    try (MemoryLayer layer = LayerProviders.forName(provider).open(spec(provider))) {
      assertEquals(null, layer.get(ArtifactId.of("kv/b")), "the damaged artifact is no longer served");
      for (int i : new int[] {0, 2}) {
        try (Lease lease = layer.get(ArtifactId.of(IDS.get(i)))) {
          MemorySegment expected = MemorySegment.ofArray(new byte[SIZE]).fill(pattern(i));
          assertEquals(-1, lease.segment().mismatch(expected), IDS.get(i) + " is kept whole");
        }
      }
    }
  }

  /** Flips one byte in the middle of the first run of {@code b}s found in a file under {@code root}. */
  private static void flipOneByteOf(byte b, Path root) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path f : files) {
      byte[] bytes = Files.readAllBytes(f);
      int run = 0;
      for (int i = 0; i < bytes.length; i++) {
        run = bytes[i] == b ? run + 1 : 0;
        if (run == SIZE / 2) {
          try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) ~b}), i);
            ch.force(true);
          }
          return;
        }
      }
    }
    throw new AssertionError("no run of the pattern under " + root);
  }
}
