package dev.peerpigeon.federation;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.signaling.Federation;
import dev.peerpigeon.signaling.PeerSession;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One hub link, inbound or outbound. Immutable identity; {@code lastActivity}/{@code down} are volatile (any
 * thread); the rate buckets belong to the link's reader thread (frames arrive in order on one); the advert
 * state belongs to the mesh thread.
 */
final class HubLink implements Federation.Link {
    final Connection conn;
    final boolean outbound;
    final URI uri;
    final String remoteHubId;
    /** A Java hub (speaks {@value HubMesh#CAPABILITY}); false for a reference JS hub. */
    final boolean smart;
    final long connectedAt = System.currentTimeMillis();
    final String announceData;
    /** Largest frame the remote hub accepts (what it advertised, else the defaults). */
    final int sendLimit;
    volatile long lastActivity = connectedAt;
    /** Set once the link is removed; lets the hot path skip a list scan. */
    volatile boolean down;
    /** Reader thread only. */
    final LinkGuard.TokenBucket directoryBudget;
    final LinkGuard.TokenBucket syncBudget;
    final AtomicLong refused = new AtomicLong();
    final AtomicLong lastRefusalLog = new AtomicLong(Long.MIN_VALUE / 2);
    /** Neighbour's advertised paths (hubId -> path starting at the neighbour). Mesh thread only. */
    volatile Map<String, List<String>> advertised = Map.of(); // replaced whole; read by HubMesh.snapshot
    /** Route adverts applied so far. Mesh thread only. */
    int advertsApplied;
    /** A reference hub's view was refreshed less than a debounce interval ago. Mesh thread only. */
    boolean refreshPending;
    /** Directory updates from a reference hub that wait for the end of that interval, in order. Mesh thread only. */
    final java.util.List<Runnable> heldUpdates = new java.util.ArrayList<>();
    /**
     * A reference hub we dialed tells no id: routing uses a synthetic {@code remoteHubId}, and this is its real
     * {@code hubPeerId} once its own mesh client was listed to us (see {@link ReferenceHubCompat#learnHubId}); null
     * until then and on every other link. Written by the link's reader thread, read by stats.
     */
    volatile String reportedHubId;
    /**
     * Dialed by a hub's mesh maintenance ({@link MeshMaintainer}) rather than from a bootstrap list: such a link
     * may be refused at the link limit and dropped when redundant. Set before the link is published.
     */
    volatile boolean learned;
    /** Where the remote hub can be dialed (what we dialed, or what it announced / we saw), or null. */
    volatile URI address;
    /** Latest route advert not yet applied: adverts are coalesced so a flood costs one recompute per turn. */
    volatile String pendingRoutes;
    final AtomicBoolean routesQueued = new AtomicBoolean();

    private final AtomicLong framesSent;
    /** Where this link's frames go (the mesh's dispatcher); set once before the link is published. */
    private volatile Consumer<TextFrame> frames = f -> { };
    private volatile Runnable onClosed = () -> { };

    HubLink(Connection conn, boolean outbound, URI uri, String remoteHubId, boolean smart, String announceData,
            int sendLimit, int maxRemotePeers, AtomicLong framesSent) {
        this.conn = conn;
        this.outbound = outbound;
        this.uri = uri;
        this.remoteHubId = remoteHubId;
        this.smart = smart;
        this.announceData = announceData;
        this.sendLimit = sendLimit;
        this.framesSent = framesSent;
        this.directoryBudget = LinkGuard.directoryBucket(maxRemotePeers);
        this.syncBudget = LinkGuard.syncBucket();
    }

    void handlers(Consumer<TextFrame> frames, Runnable onClosed) {
        this.frames = frames;
        this.onClosed = onClosed;
    }

    void send(String frame) {
        framesSent.incrementAndGet();
        conn.send(frame);
    }

    /** A frame built by {@link dev.peerpigeon.protocol.MessageCodec#relayUtf8}; the array is handed over. */
    void sendUtf8(byte[] headroomAndFrame) {
        framesSent.incrementAndGet();
        conn.sendUtf8(headroomAndFrame);
    }

    /** The id stats and {@code /hubs} show: the real hub id of a reference hub once known, else {@link #remoteHubId}. */
    String shownHubId() {
        String r = reportedHubId;
        return r != null ? r : remoteHubId;
    }

    boolean usable() {
        return !down && conn.isOpen();
    }

    @Override
    public void onFrame(TextFrame text) {
        frames.accept(text);
    }

    @Override
    public void closed() {
        onClosed.run();
    }

    @Override
    public String toString() {
        return (outbound ? "link to " + uri : "link from hub " + PeerSession.shortId(remoteHubId))
                + (smart ? "" : " (reference hub)");
    }
}
