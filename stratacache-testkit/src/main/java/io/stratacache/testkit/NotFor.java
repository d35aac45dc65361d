package io.stratacache.testkit;

import io.stratacache.spi.Capability;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a kit test that does not apply to a layer declaring any of {@link #value()}: for example
 * one that counts evictions, which a {@link Capability#SELF_EVICTING} layer does not all see.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface NotFor {
  /** Capabilities under which the test does not apply. */
  Capability[] value();
}
