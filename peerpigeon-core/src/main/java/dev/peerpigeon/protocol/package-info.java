/**
 * Wire protocol: peer ids, the frame codec and protocol errors. No I/O and no state.
 * Internal to peerpigeon-core; not a stable API.
 */
package dev.peerpigeon.protocol;
