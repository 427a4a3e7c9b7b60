package dev.peerpigeon.federation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * Route adverts both ways: applies a neighbour's {@code hub-routes} (validated by {@link RouteTable}), and on a
 * route change sends ours to every Java link, asks links that became a route for a resync, and drops the peers of
 * hubs that became unreachable. Mesh thread only (including {@code lastCapWarning}).
 */
final class RouteAdverts {
    private static final Logger log = LoggerFactory.getLogger(HubMesh.class);

    private final MeshSettings settings;
    private final LinkTable links;
    private final RemoteDirectory directory;
    private final LinkGuard guard;
    private long lastCapWarning;
    /** The dialable addresses to advertise with a route table (see {@link MeshMaintainer#advertised}). */
    private java.util.function.Function<Map<String, RouteTable.Route>, Map<String, String>> addresses = t -> Map.of();

    RouteAdverts(MeshSettings settings, LinkTable links, RemoteDirectory directory, LinkGuard guard) {
        this.settings = settings;
        this.links = links;
        this.directory = directory;
        this.guard = guard;
    }

    void addresses(java.util.function.Function<Map<String, RouteTable.Route>, Map<String, String>> source) {
        this.addresses = source;
    }

    void apply(HubLink link, String data) {
        if (!links.contains(link)) {
            return;
        }
        Map<String, List<String>> raw = LinkFrames.routePaths(data);
        if (raw == null) {
            return;
        }
        RouteTable.Advert adv = RouteTable.validate(settings.hubId(), link.remoteHubId, raw);
        if (adv.bad() > 0) {
            guard.refuse(link, LinkGuard.Refusal.BAD_ROUTE, adv.bad() + " invalid path(s) in a route advert");
        }
        if (adv.excess() > 0) {
            guard.refuse(link, LinkGuard.Refusal.TOO_MANY_HUBS, "advertised more than " + RouteTable.MAX_HUBS_PER_LINK + " hubs ("
                    + adv.excess() + " ignored)");
        }
        link.advertised = adv.paths();
        // A Java hub sends its first advert right before its full directory: routes it moves need no resync.
        recompute(link.advertsApplied++ == 0 ? link : null);
    }

    /** On a route change: tell the neighbours, ask moved routes for a resync, drop peers of unreachable hubs. */
    void recompute(HubLink dumping) {
        LinkTable.Change change = links.recompute(dumping);
        if (change == null) {
            return;
        }
        String frame = advert(change.routes());
        for (HubLink l : links.links()) {
            if (l.smart) {
                l.send(frame);
            }
        }
        change.resync().forEach((l, origins) -> l.send(LinkFrames.sync(origins)));
        if (!change.lost().isEmpty()) {
            int n = directory.purgeOrigins(change.lost());
            if (n > 0) {
                log.info("Dropped {} peer(s) of {} unreachable hub(s)", n, change.lost().size());
            }
        }
    }

    /** Our advert, capped to the client frame limit (which every Java hub accepts on links): farthest hubs left out. */
    String advert(Map<String, RouteTable.Route> table) {
        LinkFrames.Advert a = LinkFrames.routes(settings.hubId(), RouteTable.paths(table), addresses.apply(table),
                settings.maxFrameSize() - 128);
        if (a.left() > 0) {
            long now = System.currentTimeMillis();
            if (now - lastCapWarning > LinkGuard.REFUSAL_LOG_MILLIS) {
                lastCapWarning = now;
                log.warn("Route advert capped at {} bytes: {} of {} hub(s) left out (the farthest)", settings.maxFrameSize(),
                        a.left(), table.size());
            }
        }
        return a.frame();
    }
}
