package dev.peerpigeon.federation;

import dev.peerpigeon.protocol.PeerId;

import java.util.function.Consumer;

/**
 * What differs for reference JS hubs (PROTOCOL.md 6.2-6.6): they do not tell their id, accept their ws maxPayload,
 * get plain frames (no origin/seq), answer {@code error} to {@code peer-disconnected} on their inbound side, and do
 * not cache what arrives on their inbound side, so the directory is resent to them (debounced, and every sweep).
 * Its state, a link's {@code refreshPending} and {@code heldUpdates}, belongs to the mesh thread.
 */
final class ReferenceHubCompat {
    /** What a reference hub accepts (its ws maxPayload); what we send to reference hubs must fit. */
    static final int REFERENCE_FRAME_LIMIT = 1_048_576;
    /** Debounce of a directory refresh after a peer joined a reference hub we dialed. */
    static final long REFRESH_MILLIS = 250;

    private final MeshThread thread;
    private final LinkTable links;
    private final Consumer<HubLink> sendDirectory;

    ReferenceHubCompat(MeshThread thread, LinkTable links, Consumer<HubLink> sendDirectory) {
        this.thread = thread;
        this.links = links;
        this.sendDirectory = sendDirectory;
    }

    /** What we may send to a hub that advertised {@code advertised} (0: nothing), clamped to a sane range. */
    static int sendLimit(boolean smart, long advertised, int ownFrameSize) {
        if (advertised > 0) {
            return (int) Math.max(4096, Math.min(Integer.MAX_VALUE, advertised));
        }
        // An older Java hub accepts its client limit (assumed ours); a reference hub its ws maxPayload.
        return smart ? ownFrameSize : REFERENCE_FRAME_LIMIT;
    }

    /** A reference hub does not tell its id: a synthetic one for this connection. */
    static String syntheticHubId() {
        return PeerId.generate();
    }

    /**
     * A hub entry listed to us over {@code link}: when it is a reference hub we dialed, the entry in the namespace
     * without the {@code port} of a hub's announce is that hub's own mesh client, whose id is the hub's real
     * {@code hubPeerId} (other hubs linked into it announced with host and port). The first such entry is kept as
     * the id {@code /hubs} shows ({@link HubLink#shownHubId}); routing keeps the synthetic id. Reader thread.
     */
    static void learnHubId(HubLink link, String namespace, String networkName, String peerId, String data) {
        if (link.smart || !link.outbound || link.reportedHubId != null || !namespace.equals(networkName)) {
            return;
        }
        com.google.gson.JsonObject o = LinkFrames.object(data);
        if (o != null && !o.has("port")) {
            link.reportedHubId = peerId;
        }
    }

    /** Whether a plain directory update of {@code type} goes to reference hub link {@code l}. */
    static boolean takesPlainUpdate(String type, HubLink l) {
        // Its inbound side (our outbound link) would answer "error" to peer-disconnected (PROTOCOL.md 6.3).
        return type.equals("peer-discovered") || !l.outbound;
    }

    /** The target of a directory entry sent to reference hub link {@code l}: its id when it dialed us. */
    static String dumpTarget(HubLink l) {
        return l.outbound ? null : l.remoteHubId;
    }

    /**
     * A peer joined a reference hub we dialed. That hub does not cache what we sent it earlier, so its newcomer
     * would only learn our peers at the periodic refresh, while our peers learn of it at once and may send it an
     * offer before it knows them (a 1.1.3 client then answers with its own offer, and the glare can leave the pair
     * unconnected). So our peers are resent to that hub now, before the newcomer's discovery is applied here. For
     * the next {@link #REFRESH_MILLIS} that link's directory updates wait ({@link #holdWhileRefreshing}); when any
     * came, one more resend goes first and they follow in order. A join storm costs one resend per interval, and
     * each newcomer knows our peers before they know it. Mesh thread.
     */
    void peerJoinedThere(HubLink link) {
        if (link.smart || !link.outbound || link.refreshPending) {
            return;
        }
        sendDirectory.accept(link);
        armRefresh(link);
    }

    /**
     * Holds {@code update} (a directory update from {@code link}, in arrival order) while that reference link's
     * refresh interval is open; false when it should run now. Held updates are bounded by the link's directory
     * budget over one interval. Mesh thread.
     */
    boolean holdWhileRefreshing(HubLink link, Runnable update) {
        if (link.smart || !link.outbound || !link.refreshPending) {
            return false;
        }
        link.heldUpdates.add(update);
        return true;
    }

    private void armRefresh(HubLink link) {
        link.refreshPending = true;
        thread.schedule(() -> {
            if (link.heldUpdates.isEmpty() || !links.contains(link)) {
                link.refreshPending = false;
                link.heldUpdates.clear(); // a link that went away: its entries leave with it
                return;
            }
            java.util.List<Runnable> held = java.util.List.copyOf(link.heldUpdates);
            link.heldUpdates.clear();
            sendDirectory.accept(link); // before the held newcomers reach our peers
            held.forEach(Runnable::run); // run as they are: only postUpdate holds, so none is held again
            armRefresh(link);
        }, REFRESH_MILLIS);
    }

    /** Sweep: refresh every reference hub we dialed so its late joiners learn our peers. Mesh thread. */
    void refreshAll() {
        for (HubLink l : links.links()) {
            if (!l.smart && l.outbound) {
                sendDirectory.accept(l);
            }
        }
    }
}
