package dev.peerpigeon;

import java.util.List;

/**
 * The hub mesh as this hub knows it (for {@code /status}): this hub and every hub it can route to, with their peer
 * counts, and every hub-to-hub link learned from the route table (this hub's paths and its neighbours' advertised
 * paths). Empty hub and link lists on a plain server. A snapshot; no peer ids.
 *
 * @param hubId this hub's id (null on a plain server)
 * @param hubs  this hub first, then the others by id
 * @param links each link once, {@code a < b}, sorted
 */
public record MeshStatus(String hubId, List<Hub> hubs, List<Link> links) {

    /**
     * One hub.
     *
     * @param hops  links on the best path from this hub (0 for this hub)
     * @param peers its peers as this hub's directory knows them (this hub: its announced local peers)
     */
    public record Hub(String id, int hops, int peers) {
    }

    /** A link between two hubs, ids sorted so that {@code a < b}. */
    public record Link(String a, String b) {
    }
}
