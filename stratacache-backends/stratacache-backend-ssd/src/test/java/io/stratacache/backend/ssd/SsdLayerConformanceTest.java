package io.stratacache.backend.ssd;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.codec.RecordCodec;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.testkit.AbstractMemoryLayerTest;
import io.stratacache.testkit.ConformanceFor;
import io.stratacache.testkit.LayerFactory;
import io.stratacache.testkit.PathLayerFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance kit over the {@code ssd} provider with its default settings, each layer in a
 * directory of its own under a temporary directory. The layer is {@code DURABLE}, so the kit's
 * durability contract runs too.
 */
@ConformanceFor("ssd")
class SsdLayerConformanceTest extends AbstractMemoryLayerTest {
  @TempDir Path dir;

  @Override
  protected LayerFactory factory() {
    return new PathLayerFactory(dir, "") {
      @Override
      protected MemoryLayer open(String tier, Path medium, long capacityBytes, String evictionPolicy) {
        return LayerProviders.forName("ssd").open(LayerSpec.of(tier, "ssd",
            Map.of("path", medium.toString(), "capacity", capacityBytes, "eviction_policy", evictionPolicy)));
      }

      /** Finds the record file whose header names {@code id} and flips a byte of its payload. */
      @Override
      public void damagePayload(String tier, ArtifactId id) {
        try (Stream<Path> files = Files.walk(medium(tier))) {
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
        throw new AssertionError("no record of " + id + " under " + medium(tier));
      }
    };
  }
}
