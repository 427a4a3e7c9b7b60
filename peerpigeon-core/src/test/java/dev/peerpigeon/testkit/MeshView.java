package dev.peerpigeon.testkit;

import dev.peerpigeon.HubStats;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.federation.HubMesh;

import java.util.List;
import java.util.Map;

/**
 * What tests read of a hub's federation state. Where the public API has it (links, bootstrap attempts) this
 * reads {@link PeerPigeonServer#getHubStats()}; the rest is the one place in the tests that reads the
 * internal mesh ({@code PeerPigeonServer.hubMesh()}, which the facade drops): each such method names the
 * facade method it waits for. Stateless; call from any thread.
 */
public final class MeshView {
    private MeshView() {
    }

    /** The hub's mesh links (dialed either way), from the public stats. */
    public static List<HubStats.Hub> links(PeerPigeonServer hub) {
        return hub.getHubStats().hubs().stream().filter(h -> !h.direction().equals("peer")).toList();
    }

    /** Attempts of the hub's first bootstrap dialer (0 when it has none), from the public stats. */
    public static int attempts(PeerPigeonServer hub) {
        List<HubStats.Bootstrap> list = hub.getHubStats().bootstrapHubs();
        return list.isEmpty() ? 0 : list.get(0).attemptNumber();
    }

    /** Hubs reachable through the mesh. Needs a facade method (e.g. {@code HubStats.reachableHubs}). */
    public static int reachableHubCount(PeerPigeonServer hub) {
        return mesh(hub).reachableHubCount();
    }

    /** Whether the hub's directory holds a remote peer. Needs a facade method (e.g. {@code remotePeers(network)}). */
    public static boolean knowsRemote(PeerPigeonServer hub, String network, String peerId) {
        return mesh(hub).knowsRemote(network, peerId);
    }

    /** Hops to a hub on the best route, -1 without one. Needs a facade method (e.g. a route snapshot). */
    public static int pathLength(PeerPigeonServer hub, String hubId) {
        return mesh(hub).pathLength(hubId);
    }

    /** Refused hub-link frames by reason. Needs a facade method (e.g. {@code HubStats.refusals}). */
    public static Map<String, Long> refusalCounts(PeerPigeonServer hub) {
        return mesh(hub).refusalCounts();
    }

    /** Frames sent on mesh links. Needs a facade method (e.g. {@code HubStats.linkFramesSent}). */
    public static long linkFramesSent(PeerPigeonServer hub) {
        return mesh(hub).linkFramesSent();
    }

    /** A one-line description for failure messages. */
    public static String describe(PeerPigeonServer hub) {
        return String.valueOf(mesh(hub));
    }

    /**
     * The internal mesh itself, for the federation tests of dial URIs and self detection (which belong in unit
     * tests of the dialer once it has them).
     */
    public static HubMesh mesh(PeerPigeonServer hub) {
        return dev.peerpigeon.MeshAccess.mesh(hub);
    }
}
