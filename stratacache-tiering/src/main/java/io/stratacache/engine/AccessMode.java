package io.stratacache.engine;

/**
 * How a call that names a tier uses it.
 *
 * <table>
 *   <caption>Access modes</caption>
 *   <tr><th>op</th><th>no tier named</th><th>CHAIN + tier</th><th>EXACT + tier</th><th>PREFER + tier</th></tr>
 *   <tr><td>store</td><td>head tier, then links downward</td><td>that tier, then downward</td>
 *       <td>that tier only</td><td>that tier; unknown tier: head and chain</td></tr>
 *   <tr><td>load</td><td>top-down read-through, promotes hits</td><td>same as no tier</td>
 *       <td>that tier only</td><td>that tier, else chain</td></tr>
 *   <tr><td>contains</td><td>first tier holding it</td><td>same</td><td>that tier only</td>
 *       <td>that tier, else chain</td></tr>
 *   <tr><td>delete</td><td>every tier and its dirty marks</td><td>-</td><td>that tier only</td><td>-</td></tr>
 * </table>
 */
public enum AccessMode {
  CHAIN,
  EXACT,
  PREFER
}
