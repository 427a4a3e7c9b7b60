package dev.peerpigeon.federation;

import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.protocol.RouteInfo;
import dev.peerpigeon.signaling.LocalDelivery;
import dev.peerpigeon.signaling.PeerRegistry;
import dev.peerpigeon.signaling.PeerSession;
import dev.peerpigeon.signaling.SignalingSettings;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The directory side of the link protocol: checks each {@code peer-discovered}/{@code peer-disconnected}/{@code
 * hub-sync} a link sends (on its reader thread), applies it on the mesh thread only when it came over the route
 * toward its origin, floods what changed, and sends full directories to new links and resync answers.
 *
 * <p>Threads: {@code on*} run on link reader / transport threads and only check and post; {@code apply*},
 * {@code sendDirectory} and {@code answerSync} run on the mesh thread. The sequence clock is atomic, the local
 * sequence map concurrent (written by transport threads as local peers join and leave).
 */
final class DirectorySync {
    /** Discovery data of a remote peer: its announce data plus {@code peerId} and {@code isHub}. */
    private static final int DISCOVERY_OVERHEAD = 128;

    private final String self;
    private final LocalDelivery local;
    private final LinkTable links;
    private final RemoteDirectory directory;
    private final LinkGuard guard;
    private final MeshThread thread;
    private final MeshObserver observer;
    private final ReferenceHubCompat reference;
    /** This hub's clock for its own updates: microseconds since the epoch at start, plus one per update. */
    private final AtomicLong seq = new AtomicLong(System.currentTimeMillis() * 1000);
    /** network|peer -> sequence number of the local peer's current announce. */
    private final ConcurrentHashMap<String, Long> localSeqs = new ConcurrentHashMap<>();

    DirectorySync(String self, LocalDelivery local, LinkTable links, RemoteDirectory directory, LinkGuard guard,
                  MeshThread thread, MeshObserver observer) {
        this.self = self;
        this.local = local;
        this.links = links;
        this.directory = directory;
        this.guard = guard;
        this.thread = thread;
        this.observer = observer;
        this.reference = new ReferenceHubCompat(thread, links, l -> sendDirectory(l, System.currentTimeMillis()));
    }

    ReferenceHubCompat reference() {
        return reference;
    }

    // ------------------------------------------------------------------ local peers (transport threads)

    void localJoined(String peerId, String discovery, String net) {
        long s = seq.incrementAndGet();
        localSeqs.put(net + "|" + peerId, s);
        flood("peer-discovered", discovery, net, self, s, null);
    }

    void localLeft(String peerId, String net, boolean goodbye) {
        localSeqs.remove(net + "|" + peerId);
        flood("peer-disconnected", LinkFrames.departure(peerId, goodbye), net, self, seq.incrementAndGet(), null);
    }

    /**
     * Sends a directory update to every link but {@code except}: with {@code originHub}/{@code seq} to Java
     * hubs, plain to reference hubs (where {@link ReferenceHubCompat#takesPlainUpdate} allows).
     */
    void flood(String type, String data, String net, String origin, long s, HubLink except) {
        List<HubLink> all = links.links();
        if (all.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        String smartFrame = MessageCodec.notice(type, data, net, null, now, new RouteInfo(origin, null, -1, s, null));
        String plainFrame = MessageCodec.notice(type, data, net, null, now, null);
        for (HubLink l : all) {
            if (l == except) {
                continue;
            }
            if (l.smart) {
                l.send(smartFrame);
            } else if (ReferenceHubCompat.takesPlainUpdate(type, l)) {
                l.send(plainFrame);
            }
        }
    }

    // ------------------------------------------------------------------ link frames (reader threads)

    /** Runs a directory update from {@code link} on the mesh thread, or after a reference hub's pending resend. */
    private void postUpdate(HubLink link, Runnable update) {
        thread.post(() -> {
            if (!reference.holdWhileRefreshing(link, update)) {
                update.run();
            }
        });
    }

    void onDiscovered(HubLink link, Inbound msg) {
        SignalingSettings limits = local.settings();
        if (!link.directoryBudget.take(System.nanoTime())) {
            guard.refuse(link, LinkGuard.Refusal.RATE_LIMITED, "more than " + LinkGuard.DIRECTORY_RATE + " directory updates per second");
            return;
        }
        if (msg.data() != null && msg.data().length() > limits.maxAnnounceDataBytes() + DISCOVERY_OVERHEAD) {
            guard.refuse(link, LinkGuard.Refusal.BAD_ENTRY, "peer data larger than " + limits.maxAnnounceDataBytes() + " bytes");
            return;
        }
        LinkFrames.Entry entry = LinkFrames.Entry.parse(msg.data());
        if (entry == null) {
            guard.refuse(link, LinkGuard.Refusal.BAD_ENTRY, "peer-discovered without a peerId");
            return;
        }
        String peerId = entry.peerId();
        if (peerId.equals(self)) {
            return;
        }
        if (!PeerId.isValid(peerId)) {
            guard.refuse(link, LinkGuard.Refusal.BAD_ENTRY, "invalid peer id");
            return;
        }
        if (entry.isHub()) {
            ReferenceHubCompat.learnHubId(link, limits.hubMeshNamespace(), msg.networkName(), peerId, msg.data());
            if (!peerId.equals(link.remoteHubId)) {
                observer.hubDiscovered(peerId, link.toString(), msg.data());
            }
            return;
        }
        String net = msg.networkName() == null || msg.networkName().isEmpty() ? PeerRegistry.DEFAULT_NETWORK : msg.networkName();
        if (net.length() > limits.maxNetworkNameLength()) {
            guard.refuse(link, LinkGuard.Refusal.BAD_ENTRY, "network name longer than " + limits.maxNetworkNameLength());
            return;
        }
        RouteInfo r = msg.route();
        String origin;
        long s;
        if (link.smart && r != null && r.originHub() != null && r.seq() >= 0) {
            origin = r.originHub();
            s = r.seq();
            if (!guard.acceptOriginAndSeq(link, origin, s)) {
                return;
            }
        } else {
            origin = link.remoteHubId;
            s = seq.incrementAndGet();
        }
        String discovery = entry.discovery();
        postUpdate(link, () -> applyAnnounce(link, net, peerId, origin, s, discovery));
    }

    void onDisconnected(HubLink link, Inbound msg) {
        SignalingSettings limits = local.settings();
        if (!link.directoryBudget.take(System.nanoTime())) {
            guard.refuse(link, LinkGuard.Refusal.RATE_LIMITED, "more than " + LinkGuard.DIRECTORY_RATE + " directory updates per second");
            return;
        }
        LinkFrames.Entry entry = LinkFrames.Entry.parse(msg.data());
        if (entry == null) {
            guard.refuse(link, LinkGuard.Refusal.BAD_ENTRY, "peer-disconnected without a peerId");
            return;
        }
        String peerId = entry.peerId();
        if (!PeerId.isValid(peerId)) {
            return; // reference hubs also announce their mesh client's departures; nothing of ours
        }
        boolean goodbye = entry.goodbye();
        RouteInfo r = msg.route();
        String net = msg.networkName();
        if (net != null && net.length() > limits.maxNetworkNameLength()) {
            guard.refuse(link, LinkGuard.Refusal.BAD_ENTRY, "network name longer than " + limits.maxNetworkNameLength());
            return; // also keeps tombstones (which remember the network) small
        }
        if (link.smart && r != null && r.originHub() != null && r.seq() >= 0 && net != null) {
            if (!guard.acceptOriginAndSeq(link, r.originHub(), r.seq())) {
                return;
            }
            thread.post(() -> applyWithdraw(link, net, peerId, r.originHub(), r.seq(), goodbye));
        } else {
            // Reference hubs send scoped and unscoped notices; without a network look in every network.
            postUpdate(link, () -> {
                for (String n : net != null ? List.of(net) : directory.networks()) {
                    RemoteDirectory.Remote e = directory.get(n, peerId);
                    if (e != null && e.learnedFrom() == link) {
                        applyWithdraw(link, n, peerId, e.originHub(), e.seq() + 1, goodbye);
                    }
                }
            });
        }
    }

    /**
     * A neighbour's route toward some hubs moved to us: it asks for what we know of them (entries and recent
     * withdrawals), since copies it received earlier over its old route may have been refused meanwhile.
     */
    void onSyncRequest(HubLink link, Inbound msg) {
        if (!link.smart) {
            return;
        }
        if (!link.syncBudget.take(System.nanoTime())) {
            guard.refuse(link, LinkGuard.Refusal.RATE_LIMITED, "more than " + LinkGuard.SYNC_RATE + " resync requests per second");
            return;
        }
        Set<String> origins = LinkFrames.syncOrigins(msg.data(), RouteTable.MAX_HUBS_PER_LINK + 1);
        if (origins == null) {
            guard.refuse(link, LinkGuard.Refusal.BAD_ENTRY, "malformed hub-sync");
            return;
        }
        thread.post(() -> answerSync(link, origins));
    }

    // ------------------------------------------------------------------ mesh thread

    private void answerSync(HubLink link, Set<String> origins) {
        if (!links.contains(link)) {
            return;
        }
        long now = System.currentTimeMillis();
        if (origins.contains(self)) {
            local.forEachLocalPeer((net, peerId, discovery) -> {
                Long ls = localSeqs.get(net + "|" + peerId);
                if (ls != null) {
                    link.send(MessageCodec.notice("peer-discovered", discovery, net, null, now,
                            new RouteInfo(self, null, -1, ls, null)));
                }
            });
        }
        for (RemoteDirectory.Remote r : directory.entries()) {
            if (r.learnedFrom() != link && origins.contains(r.originHub())) {
                link.send(MessageCodec.notice("peer-discovered", r.discovery(), r.network(), null, now,
                        new RouteInfo(r.originHub(), null, -1, r.seq(), null)));
            }
        }
        directory.forEachTombstone((originAndPeer, t) -> {
            if (origins.contains(originAndPeer[0])) {
                link.send(MessageCodec.notice("peer-disconnected", LinkFrames.departure(originAndPeer[1], false),
                        t.network(), null, now, new RouteInfo(originAndPeer[0], null, -1, t.seq(), null)));
            }
        });
    }

    private void applyAnnounce(HubLink from, String net, String peerId, String origin, long s, String discovery) {
        if (origin.equals(self) || !links.contains(from)) {
            return;
        }
        if (!links.isRouteFor(from, origin)) {
            if (!directory.alreadyKnown(net, peerId, origin, s)) {
                guard.refuse(from, LinkGuard.Refusal.NOT_FROM_ROUTE, "update for hub " + PeerSession.shortId(origin) + " not from its route");
            }
            return;
        }
        if (links.isKnownHubId(peerId)) {
            guard.refuse(from, LinkGuard.Refusal.HUB_ID, "peer " + PeerSession.shortId(peerId) + " has the id of a hub");
            return;
        }
        if (local.isLocal(peerId)) {
            // Ids are unique across the federation: the peer is here (or a stale copy of one that moved here).
            guard.refuse(from, LinkGuard.Refusal.LIVE_HERE, "peer " + PeerSession.shortId(peerId) + " is connected to this hub");
            return;
        }
        if (!directory.alreadyKnown(net, peerId, origin, s) && !net.equals(local.settings().hubMeshNamespace())) {
            // Before our peers learn of the newcomer: they may offer to it at once, and it must know them first.
            reference.peerJoinedThere(from);
        }
        RemoteDirectory.Applied applied = directory.announce(net, peerId, origin, s, discovery, from);
        if (applied == RemoteDirectory.Applied.NEW || applied == RemoteDirectory.Applied.UPDATED) {
            flood("peer-discovered", discovery, net, origin, s, from);
        }
    }

    private void applyWithdraw(HubLink from, String net, String peerId, String origin, long s, boolean goodbye) {
        if (!links.contains(from)) {
            return;
        }
        if (!links.isRouteFor(from, origin)) {
            RemoteDirectory.Remote e = directory.get(net, peerId);
            if (e != null && e.originHub().equals(origin) && e.seq() < s) {
                guard.refuse(from, LinkGuard.Refusal.NOT_FROM_ROUTE, "withdrawal for hub " + PeerSession.shortId(origin) + " not from its route");
            }
            return;
        }
        if (directory.withdraw(net, peerId, origin, s, goodbye)) {
            flood("peer-disconnected", LinkFrames.departure(peerId, goodbye), net, origin, s, from);
        }
    }

    /**
     * Our local peers and the remote directory, to one link: with origin and sequence numbers to a Java hub,
     * as the reference's peer dump to a reference hub.
     */
    void sendDirectory(HubLink link, long now) {
        local.forEachLocalPeer((net, peerId, discovery) -> {
            if (link.smart) {
                Long ls = localSeqs.get(net + "|" + peerId);
                link.send(MessageCodec.notice("peer-discovered", discovery, net, null, now,
                        new RouteInfo(self, null, -1, ls == null ? seq.incrementAndGet() : ls, null)));
            } else {
                link.send(MessageCodec.notice("peer-discovered", discovery, net, ReferenceHubCompat.dumpTarget(link), now, null));
            }
        });
        for (RemoteDirectory.Remote r : directory.entries()) {
            if (r.learnedFrom() == link) {
                continue;
            }
            if (link.smart) {
                link.send(MessageCodec.notice("peer-discovered", r.discovery(), r.network(), null, now,
                        new RouteInfo(r.originHub(), null, -1, r.seq(), null)));
            } else {
                link.send(MessageCodec.notice("peer-discovered", r.discovery(), r.network(),
                        ReferenceHubCompat.dumpTarget(link), now, null));
            }
        }
    }

    /** Sends the peers of {@code net} hosted on other hubs to a newly joined local peer (under the network lock). */
    void sendRemotePeers(PeerSession session, String net) {
        long now = System.currentTimeMillis();
        for (RemoteDirectory.Remote r : directory.entries(net)) {
            if (!r.peerId().equals(session.peerId())) {
                session.connection().send(MessageCodec.notice("peer-discovered", r.discovery(), net, session.peerId(), now, null));
            }
        }
    }
}
