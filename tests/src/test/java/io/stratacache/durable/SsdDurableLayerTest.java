package io.stratacache.durable;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/** The durable contracts over the {@code ssd} provider with its default settings. */
class SsdDurableLayerTest extends AbstractDurableLayerTest {
  @TempDir Path dir;
  private final Map<String, Path> directories = new HashMap<>();
  private int opened;

  @Override
  protected MemoryLayer newLayer(String tier, long capacityBytes) {
    Path path = dir.resolve(tier + "-" + opened++);
    directories.put(tier, path);
    return reopen(tier, capacityBytes);
  }

  @Override
  protected MemoryLayer reopen(String tier, long capacityBytes) {
    return LayerProviders.forName("ssd").open(LayerSpec.of(tier, "ssd",
        Map.of("path", directories.get(tier).toString(), "capacity", capacityBytes)));
  }

  /** Finds the record file whose header names {@code id} and flips a byte of its payload. */
  @Override
  protected void damagePayload(String tier, ArtifactId id) {
    try (Stream<Path> files = Files.walk(directories.get(tier))) {
      for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".scr"))::iterator) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          ByteBuffer head = ByteBuffer.allocate((int) Math.min(ch.size(), 8192));
          ch.read(head, 0);
          RecordCodec.Header h = RecordCodec.readHeader(MemorySegment.ofBuffer(head.flip()));
          if (h.id().equals(id)) {
            long at = ch.size() - h.payloadLength() + h.payloadLength() / 2;
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, at);
            one.put(0, (byte) (one.get(0) ^ 0x40)).rewind();
            ch.write(one, at);
            return;
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new AssertionError("no record of " + id + " under " + directories.get(tier) + " " + List.of());
  }
}
