package io.stratacache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.BatchAccess;
import io.stratacache.spi.EvictionListener;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import io.stratacache.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Contract {@code close}: after {@link io.stratacache.spi.MemoryLayer#close()} every call but
 * {@code name()}, {@code capabilities()} and {@code close()} throws {@link
 * io.stratacache.core.LayerUnavailableException}; leases and reservations left open stay closable.
 */
@Contract("close")
public abstract class AbstractCloseTest extends AbstractLayerTest {
  @Test
  public void close_makesEveryCallThrowLayerUnavailable_butLeavesLeasesAndReservationsClosable() {
    MemoryLayer layer = open("hot", CAPACITY);
    ArtifactId id = ArtifactId.of("a");
    layer.put(id, ArtifactMeta.custom(), payload(100, seed));
    Lease lease = layer.get(id);
    Reservation reservation = layer.reserve(ArtifactId.of("r"), ArtifactMeta.custom(), 100);
    layer.close();

    MemorySegment p = payload(10, seed);
    List<ArtifactId> some = List.of(id);
    Map<String, Executable> calls = new LinkedHashMap<>();
    calls.put("put", () -> layer.put(id, ArtifactMeta.custom(), p));
    calls.put("reserve", () -> layer.reserve(ArtifactId.of("r2"), ArtifactMeta.custom(), 10));
    calls.put("get", () -> layer.get(id));
    calls.put("contains", () -> layer.contains(id));
    calls.put("delete", () -> layer.delete(id));
    calls.put("pin", () -> layer.pin(id));
    calls.put("unpin", () -> layer.unpin(id));
    calls.put("ids", layer::ids);
    calls.put("stats", layer::stats);
    calls.put("setEvictionListener", () -> layer.setEvictionListener(EvictionListener.DROP));
    calls.put("getAll", () -> BatchAccess.getAll(layer, some));
    calls.put("containsAll", () -> BatchAccess.containsAll(layer, some));
    calls.put("deleteAll", () -> BatchAccess.deleteAll(layer, some));
    calls.forEach((name, call) -> assertThrows(LayerUnavailableException.class, call, name + " after close"));

    assertEquals("hot", layer.name());
    assertEquals(capabilities, layer.capabilities(), "capabilities() after close");
    layer.close();
    lease.close();
    reservation.close();
  }
}
