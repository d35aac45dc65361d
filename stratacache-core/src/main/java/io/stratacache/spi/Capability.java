package io.stratacache.spi;

/**
 * What a layer promises beyond the contracts every layer keeps. The conformance kit runs the
 * contracts that apply to the capabilities a layer declares, and reports which it ran.
 */
public enum Capability {
  /** Stored artifacts survive {@link MemoryLayer#close()} and a crash, and are found on reopen. */
  DURABLE,
  /** Several processes (or nodes) can open the same layer and see each other's artifacts. */
  SHARED,
  /**
   * The medium evicts by its own memory policy (a remote store's {@code maxmemory}, say): an
   * artifact may disappear without passing through the layer's {@link EvictionListener}, so
   * nothing may demote out of it and it must be the last tier of a chain.
   */
  SELF_EVICTING,
  /** Bytes live in accelerator memory: a lease's segment is not host-addressable. */
  DEVICE_MEMORY
}
