package io.stratacache.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a concrete {@link AbstractMemoryLayerTest} as the conformance run of the {@link
 * io.stratacache.spi.LayerProvider} named {@link #value()}: the name {@link ConformanceReport}
 * prints, and what the build's check that every provider module runs the kit looks for.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface ConformanceFor {
  /** The provider's {@link io.stratacache.spi.LayerProvider#name()}. */
  String value();
}
