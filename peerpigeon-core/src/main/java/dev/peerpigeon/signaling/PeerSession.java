package dev.peerpigeon.signaling;

import dev.peerpigeon.signaling.Connection;

/**
 * One accepted WebSocket and the peer id it registered. Identity of the session (not of the id) is
 * what every cleanup is keyed on, so a stale socket can never remove a newer registration of its id.
 *
 * <p>Threads: frames of one connection are handled in order on one transport worker, which is the
 * only writer of the announce fields; the close callback may run on another thread, hence the
 * volatile fields. Membership changes happen under the network's lock (see {@link PeerRegistry}).
 */
public final class PeerSession {
    private final String peerId;
    private final Connection connection;
    private final long connectedAt;
    private volatile long lastActivity;
    private volatile String networkName;   // null until the first announce (signals then use "global")
    private volatile boolean announced;
    private volatile long announcedAt;
    private volatile boolean hub;
    private volatile String announceData = "{}";   // the announce data object as sent, JSON text
    private volatile String discoveryData;         // {"peerId":id,"isHub":b,...rest}; what others receive
    private volatile boolean closed;
    /** Set by the federation layer when this connection is an accepted hub link. */
    private volatile Federation.Link hubLink;
    /**
     * When this peer last sent an offer to each target (most recent 32). Confined to the connection's
     * worker thread (only this peer's own frames touch it).
     */
    private java.util.LinkedHashMap<String, Long> recentOffers;

    void offerSent(String target, long now) {
        if (recentOffers == null) {
            recentOffers = new java.util.LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<String, Long> eldest) {
                    return size() > 32;
                }
            };
        }
        recentOffers.remove(target);
        recentOffers.put(target, now);
    }

    boolean offeredRecently(String target, long now, long withinMillis) {
        Long t = recentOffers == null ? null : recentOffers.get(target);
        return t != null && now - t <= withinMillis;
    }

    /** Inbound frame budget; confined to the connection's worker thread. Null when unlimited. */
    RateLimiter rateLimiter;
    /**
     * Announce budget, created on the second announce (most peers announce once: 64 bytes less for each of them);
     * confined to the connection's worker thread, as is {@code announcedOnce}.
     */
    RateLimiter announceLimiter;
    boolean announcedOnce;
    /**
     * May this connection act as a hub ({@link HubAccess}, decided from its upgrade request before its first
     * frame)? False until decided: a path that forgot to decide refuses hubs rather than admitting them.
     */
    private volatile boolean hubAuthorized;

    public PeerSession(String peerId, Connection connection, long now) {
        this.peerId = peerId;
        this.connection = connection;
        this.connectedAt = now;
        this.lastActivity = now;
    }

    public String peerId() {
        return peerId;
    }

    public Connection connection() {
        return connection;
    }

    public long connectedAt() {
        return connectedAt;
    }

    public long lastActivity() {
        return lastActivity;
    }

    public void touch(long now) {
        lastActivity = now;
    }

    /** The network the peer announced in, or null before its first announce. */
    public String networkName() {
        return networkName;
    }

    /** The network used for this peer's signals: its announced network, or "global". */
    public String effectiveNetwork() {
        String n = networkName;
        return n == null ? PeerRegistry.DEFAULT_NETWORK : n;
    }

    public boolean announced() {
        return announced;
    }

    public long announcedAt() {
        return announcedAt;
    }

    public boolean isHub() {
        return hub;
    }

    public String announceData() {
        return announceData;
    }

    public String discoveryData() {
        return discoveryData;
    }

    public boolean isClosed() {
        return closed;
    }

    public Federation.Link hubLink() {
        return hubLink;
    }

    public void hubLink(Federation.Link link) {
        this.hubLink = link;
    }

    public boolean hubAuthorized() {
        return hubAuthorized;
    }

    public void hubAuthorized(boolean authorized) {
        this.hubAuthorized = authorized;
    }

    void markClosed() {
        closed = true;
    }

    void announce(String network, boolean isHub, String data, String discovery, long now) {
        this.networkName = network;
        this.hub = isHub;
        this.announceData = data;
        this.discoveryData = discovery;
        this.announced = true;
        this.announcedAt = now;
    }

    void leaveNetwork() {
        this.networkName = null;
        this.announced = false;
    }

    @Override
    public String toString() {
        return "peer " + shortId(peerId);
    }

    public static String shortId(String id) {
        return id == null ? "null" : id.length() > 8 ? id.substring(0, 8) : id;
    }
}
