package dev.peerpigeon.signaling;

/**
 * The signaling layer's outward ports, wired after construction (the federation exists only once signaling does).
 *
 * <p>Threads: written while the run is being wired (the starting thread), read by any thread; volatile.
 */
final class SignalingPorts {
    volatile Federation federation = Federation.NONE;
    volatile SignalingObserver observer = SignalingObserver.NONE;
    volatile HubAccess hubAccess = new HubAccess(null, false);
    volatile dev.peerpigeon.support.Meters meters = dev.peerpigeon.support.Meters.NONE;
}
