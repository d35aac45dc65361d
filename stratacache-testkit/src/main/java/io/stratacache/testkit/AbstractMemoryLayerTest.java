package io.stratacache.testkit;

import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestClassOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole conformance kit: every contract of {@link io.stratacache.spi.MemoryLayer}, {@link
 * io.stratacache.spi.Lease} and {@link io.stratacache.spi.Reservation}, one nested class per
 * contract, all over one {@link LayerFactory}. A provider runs it with a few lines:
 *
 * <pre>{@code
 * @ConformanceFor("cpu")
 * class CpuLayerConformanceTest extends AbstractMemoryLayerTest {
 *   protected LayerFactory factory() {
 *     return (tier, capacity, policy) -> LayerProviders.forName("cpu").open(
 *         LayerSpec.of(tier, "cpu", Map.of("capacity", capacity, "eviction_policy", policy)));
 *   }
 * }
 * }</pre>
 *
 * <p>Each contract applies or not according to the layer's {@link
 * io.stratacache.spi.MemoryLayer#capabilities()} (see {@link Contract}); when the run ends, {@link
 * ConformanceReport} prints one line saying which contracts ran. A provider that wants only some
 * contracts extends those classes ({@link AbstractPutTest}, ...) directly.
 */
@ExtendWith(ConformanceReport.class)
@TestClassOrder(ClassOrderer.OrderAnnotation.class)
public abstract class AbstractMemoryLayerTest {
  /**
   * How to open layers of the provider under test; called once per test, on a fresh instance of
   * the subclass (so {@code @TempDir} fields are fresh too).
   */
  protected abstract LayerFactory factory();

  /** Contract {@code put}. */
  @Nested
  @Order(1)
  class Put extends AbstractPutTest {
    @Override
    protected LayerFactory factory() {
      return AbstractMemoryLayerTest.this.factory();
    }
  }

  /** Contract {@code get}. */
  @Nested
  @Order(2)
  class Get extends AbstractGetTest {
    @Override
    protected LayerFactory factory() {
      return AbstractMemoryLayerTest.this.factory();
    }
  }

  /** Contract {@code capacity}. */
  @Nested
  @Order(3)
  class Capacity extends AbstractCapacityTest {
    @Override
    protected LayerFactory factory() {
      return AbstractMemoryLayerTest.this.factory();
    }
  }

  /** Contract {@code eviction}. */
  @Nested
  @Order(4)
  class Eviction extends AbstractEvictionTest {
    @Override
    protected LayerFactory factory() {
      return AbstractMemoryLayerTest.this.factory();
    }
  }

  /** Contract {@code pins}. */
  @Nested
  @Order(5)
  class Pins extends AbstractPinTest {
    @Override
    protected LayerFactory factory() {
      return AbstractMemoryLayerTest.this.factory();
    }
  }

  /** Contract {@code close}. */
  @Nested
  @Order(6)
  class Close extends AbstractCloseTest {
    @Override
    protected LayerFactory factory() {
      return AbstractMemoryLayerTest.this.factory();
    }
  }

  /** Contract {@code durability}. */
  @Nested
  @Order(7)
  class Durability extends AbstractDurabilityTest {
    @Override
    protected LayerFactory factory() {
      return AbstractMemoryLayerTest.this.factory();
    }
  }

  /** Contract {@code concurrency}. */
  @Nested
  @Order(8)
  class Concurrency extends AbstractConcurrencyTest {
    @Override
    protected LayerFactory factory() {
      return AbstractMemoryLayerTest.this.factory();
    }
  }
}
