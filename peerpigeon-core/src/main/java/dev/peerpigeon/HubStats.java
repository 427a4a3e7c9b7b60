package dev.peerpigeon;

import java.net.URI;
import java.util.List;

/**
 * A snapshot of the hub side of the server (reference {@code getHubStats()} plus link details).
 *
 * @param namespaceRefusals hub upgrades refused with HTTP 409 since the start because the dialing hub said it is
 *                          in another hub mesh namespace
 */
public record HubStats(int totalHubs, int connectedHubs, List<Hub> hubs, List<Bootstrap> bootstrapHubs,
                       int remotePeers, long namespaceRefusals) {

    /** A snapshot without refusal counts. */
    public HubStats(int totalHubs, int connectedHubs, List<Hub> hubs, List<Bootstrap> bootstrapHubs, int remotePeers) {
        this(totalHubs, connectedHubs, hubs, bootstrapHubs, remotePeers, 0);
    }

    /**
     * A hub linked with this server.
     *
     * @param direction "in" (it dialed us), "out" (we dialed it) or "peer" (a hub client on a plain server)
     */
    public record Hub(String peerId, String direction, String namespace, String networkName, long connectedAt,
                      long lastActivity, String data) {
    }

    /** An outbound link and its redial state. */
    public record Bootstrap(URI uri, boolean connected, long lastAttempt, int attemptNumber, long nextAttemptAt,
                            String remoteHubId, boolean abandoned) {
    }
}
