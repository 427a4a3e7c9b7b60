package dev.peerpigeon.signaling;

import dev.peerpigeon.protocol.MessageCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who may join the hub mesh (hub links, and hub announces on a plain server). With a hub secret, whoever
 * presents it; without one, <b>protected mode</b> (like Redis's): loopback addresses only, unless
 * {@code allowUnauthenticatedHubs} opens it to every address.
 *
 * <p>Threads: the settings are immutable; the per-address time of the last logged refusal is a bounded
 * concurrent map, written by any transport thread.
 */
public final class HubAccess {
    private static final Logger log = LoggerFactory.getLogger(HubAccess.class);
    public static final String REFUSAL = "Hub authentication required";
    /** One refusal log line per address per this interval. */
    static final long LOG_INTERVAL_MILLIS = 60_000;
    /** Addresses whose last refusal time is remembered; beyond that (a spray of addresses) refusals are not logged. */
    static final int MAX_TRACKED_ADDRESSES = 4096;

    private final byte[] secret;   // UTF-8, or null when none is configured
    private final boolean allowUnauthenticated;
    private final ConcurrentHashMap<InetAddress, Long> lastLogged = new ConcurrentHashMap<>();

    public HubAccess(String secret, boolean allowUnauthenticated) {
        this.secret = secret == null ? null : secret.getBytes(StandardCharsets.UTF_8);
        this.allowUnauthenticated = allowUnauthenticated;
    }

    public boolean hasSecret() {
        return secret != null;
    }

    /** Constant-time comparison of a presented secret with the configured one (false when either is missing). */
    public boolean secretMatches(String presented) {
        if (secret == null || presented == null) {
            return false;
        }
        // isEqual runs in time independent of where the bytes differ (expected value first: its length sets the loop).
        return MessageDigest.isEqual(secret, presented.getBytes(StandardCharsets.UTF_8));
    }

    /** May a connection from {@code remote}, presenting {@code presentedSecret} (or null), act as a hub? */
    public boolean authorized(InetAddress remote, String presentedSecret) {
        if (secret != null) {
            return secretMatches(presentedSecret);
        }
        return allowUnauthenticated || isLoopback(remote);
    }

    /** 127.0.0.0/8, ::1, and IPv4-mapped loopback ({@code ::ffff:127.x.y.z}). */
    public static boolean isLoopback(InetAddress a) {
        if (a == null) {
            return false;
        }
        if (a.isLoopbackAddress()) {
            return true;
        }
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            for (int i = 0; i < 10; i++) {
                if (b[i] != 0) {
                    return false;
                }
            }
            return b[10] == (byte) 0xff && b[11] == (byte) 0xff && b[12] == 127;
        }
        return false;
    }

    /** One line for the start-up log saying which mode the server is in. */
    public String describeMode() {
        if (secret != null) {
            return "hub links and hub announces must present HUB_SECRET";
        }
        if (allowUnauthenticated) {
            return "OPEN: ALLOW_UNAUTHENTICATED_HUBS=true and no HUB_SECRET, so any address may join the hub mesh"
                    + " (set HUB_SECRET on every hub to protect it)";
        }
        return "protected mode: no HUB_SECRET, so hub links and hub announces are accepted from loopback only"
                + " (set HUB_SECRET on every hub, or ALLOW_UNAUTHENTICATED_HUBS=true)";
    }

    public boolean open() {
        return secret == null && allowUnauthenticated;
    }

    /** Refuses a hub announce from an unauthorized session: an error, then close 1008 (logged, rate-limited). */
    public void refuse(PeerSession session, String networkName) {
        logRefusal(session.connection().remoteAddress(), "hub announce of " + session);
        session.connection().send(MessageCodec.error(REFUSAL, networkName, System.currentTimeMillis()));
        session.connection().close(1008, REFUSAL);
    }

    /** Logs a refused hub at most once a minute per address, naming the fix. */
    public void logRefusal(InetSocketAddress remote, String what) {
        InetAddress a = remote == null ? null : remote.getAddress();
        if (a != null && !shouldLog(a, System.currentTimeMillis())) {
            return;
        }
        String addr = a == null ? "an unknown address" : a.getHostAddress();
        if (secret != null) {
            log.warn("Refused {} from {}: no valid hub secret. Set the same HUB_SECRET on every hub"
                    + " (further refusals from this address are not logged for a minute)", what, addr);
        } else {
            log.warn("Refused {} from {}: protected mode (no HUB_SECRET) accepts hubs from loopback only. Set the same"
                    + " HUB_SECRET on every hub, or ALLOW_UNAUTHENTICATED_HUBS=true to accept hubs from any address"
                    + " (further refusals from this address are not logged for a minute)", what, addr);
        }
    }

    boolean shouldLog(InetAddress a, long now) {
        if (lastLogged.size() >= MAX_TRACKED_ADDRESSES && !lastLogged.containsKey(a)) {
            lastLogged.values().removeIf(t -> now - t >= LOG_INTERVAL_MILLIS);
            if (lastLogged.size() >= MAX_TRACKED_ADDRESSES) {
                return false; // thousands of addresses refused within a minute: those already logged say enough
            }
        }
        boolean[] due = new boolean[1];
        lastLogged.compute(a, (k, last) -> {
            if (last != null && now - last < LOG_INTERVAL_MILLIS) {
                return last;
            }
            due[0] = true;
            return now;
        });
        return due[0];
    }
}
