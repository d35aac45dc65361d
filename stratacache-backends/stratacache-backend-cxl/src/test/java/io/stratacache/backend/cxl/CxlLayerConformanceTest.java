package io.stratacache.backend.cxl;

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
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance kit over the {@code cxl} provider on file regions under a temporary directory,
 * with a fine allocation unit and enough slots for the durability contract's ten thousand small
 * artifacts. The layer is {@code DURABLE} and {@code SHARED}.
 */
@ConformanceFor("cxl")
class CxlLayerConformanceTest extends AbstractMemoryLayerTest {
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

  @TempDir Path dir;

  @Override
  protected LayerFactory factory() {
    return new PathLayerFactory(dir, ".region") {
      @Override
      protected MemoryLayer open(String tier, Path medium, long capacityBytes, String evictionPolicy) {
        return LayerProviders.forName("cxl").open(LayerSpec.of(tier, "cxl", Map.of(
            "path", medium.toString(), "capacity", capacityBytes, "eviction_policy", evictionPolicy,
            "alignment", 64, "block_size", 1024, "slots", Math.max(1024, capacityBytes / 4096))));
      }

      /** Finds the committed slot whose record names {@code id} and flips a byte of its payload. */
      @Override
      public void damagePayload(String tier, ArtifactId id) {
        try (FileChannel ch = FileChannel.open(medium(tier), StandardOpenOption.READ, StandardOpenOption.WRITE);
            Arena arena = Arena.ofConfined()) {
          MemorySegment r = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), arena);
          CxlLayout.Geometry g = CxlLayout.Geometry.of(r.get(LONG, CxlLayout.REGION_BYTES_OFFSET),
              r.get(INT, CxlLayout.SLOT_COUNT_OFFSET), r.get(INT, CxlLayout.BLOCK_BYTES_OFFSET),
              r.get(INT, CxlLayout.ALIGNMENT_OFFSET), r.get(INT, CxlLayout.MAX_PROCESSES_OFFSET));
          for (int s = 0; s < g.slotCount(); s++) {
            long so = g.slot(s);
            if (r.get(LONG, so + CxlLayout.SLOT_STATE) != CxlLayout.COMMITTED) {
              continue;
            }
            MemorySegment record = r.asSlice(g.dataOffset() + r.get(LONG, so + CxlLayout.SLOT_RECORD_OFFSET),
                r.get(LONG, so + CxlLayout.SLOT_RECORD_LENGTH));
            RecordCodec.Header h = RecordCodec.readHeader(record);
            if (h.id().equals(id)) {
              long at = record.byteSize() - h.payloadLength() + h.payloadLength() / 2;
              record.set(ValueLayout.JAVA_BYTE, at, (byte) (record.get(ValueLayout.JAVA_BYTE, at) ^ 0x40));
              r.force();
              return;
            }
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        throw new AssertionError("no committed record of " + id + " in " + medium(tier));
      }
    };
  }
}
