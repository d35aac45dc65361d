package io.stratacache.spi;

/**
 * Optional: a durable layer that can check every record it holds against its checksum and
 * repair what it finds. {@code stratacache fsck} calls {@code check(false)} and {@code stratacache
 * repair} calls {@code check(true)} on a layer opened for the purpose (so that the layer's own
 * lock keeps out any other process using the same directory or region).
 *
 * <p>Contract, tested by each implementing layer:
 *
 * <ul>
 *   <li>{@code check(false)} reads every record and changes nothing: it reports what is corrupt,
 *       what is orphaned (a file or slot no index entry points at) and whether the persisted index
 *       disagrees with the records.
 *   <li>{@code check(true)} does the same and then quarantines every corrupt record, removes
 *       orphans and rebuilds the index; afterwards every record the layer serves is valid.
 *   <li>Both are safe to run twice: a second {@code check(true)} finds nothing to repair.
 *   <li>Neither loses a valid record.
 * </ul>
 */
public interface Checkable {
  /**
   * Verifies every record; with {@code repair} also fixes what it found.
   *
   * @return what was found (and, with {@code repair}, what was done)
   */
  CheckReport check(boolean repair);
}
