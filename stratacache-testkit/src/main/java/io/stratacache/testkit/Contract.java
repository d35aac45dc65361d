package io.stratacache.testkit;

import io.stratacache.spi.Capability;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the contract a kit class checks and the {@linkplain Capability capabilities} it applies to.
 * Before each test the kit compares them with what the layer declares and, where the contract does
 * not apply, aborts the test through a JUnit assumption; {@link ConformanceReport} lists what ran.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Contract {
  /** The contract's short name in the report (e.g. {@code eviction}). */
  String value();

  /** Capabilities a layer must declare for the contract to apply. */
  Capability[] requires() default {};

  /** Capabilities that make the contract inapplicable. */
  Capability[] excludes() default {};
}
